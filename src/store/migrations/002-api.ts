import type { Kysely } from 'kysely';

// Frozen in time: never edit a released migration, add a new one.
// API tables: per-account rate buckets, the audit trail, configuration sub-resources, token kinds.
export async function up(db: Kysely<any>): Promise<void> {
  // `api` (a user's API token) or `one_time` (minted for one extension call, never listed).
  await db.schema.alterTable('tokens').addColumn('kind', 'text', (c) => c.notNull().defaultTo('api')).execute();
  await db.schema.alterTable('tokens').addColumn('auto_purge', 'text').execute();
  await db.schema.createIndex('tokens_account').on('tokens').columns(['account_id', 'kind', '_id']).execute();

  // One leaky bucket per account, shared by every API process on PostgreSQL.
  await db.schema
    .createTable('rate_buckets')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('allowed', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('token_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('before_doc', 'text')
    .addColumn('after_doc', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_account').on('audit_log').columns(['account_id', '_id']).execute();
  await db.schema.createIndex('audit_log_resource').on('audit_log').columns(['account_id', 'resource_id', '_id']).execute();

  // Parts of a resource configured apart from it (`/exports/:id/distributed`, `/imports/:id/distributed`).
  await db.schema
    .createTable('resource_parts')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('part', 'text', (c) => c.notNull())
    .addColumn('doc', 'text', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_parts_pk', ['resource_id', 'part'])
    .execute();

  await db.schema.createIndex('resources_account_kind_name').on('resources').columns(['account_id', 'kind', 'name']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('resources_account_kind_name').execute();
  for (const t of ['resource_parts', 'audit_log', 'rate_buckets']) await db.schema.dropTable(t).execute();
  await db.schema.dropIndex('tokens_account').execute();
  await db.schema.alterTable('tokens').dropColumn('auto_purge').execute();
  await db.schema.alterTable('tokens').dropColumn('kind').execute();
}
