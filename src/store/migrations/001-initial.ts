import type { Kysely } from 'kysely';

// Frozen in time: never edit a released migration, add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts._id'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts._id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('resources')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('doc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .addColumn('integration_id', 'text')
    .addColumn('connection_id', 'text')
    .addColumn('connector_id', 'text')
    .addColumn('adaptor_type', 'text')
    .execute();
  await db.schema.createIndex('resources_account_kind').on('resources').columns(['account_id', 'kind', '_id']).execute();
  await db.schema.createIndex('resources_integration').on('resources').columns(['account_id', 'integration_id']).execute();

  await db.schema
    .createTable('resource_refs')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('from_id', 'text', (c) => c.notNull())
    .addColumn('to_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_refs_pk', ['from_id', 'to_id'])
    .execute();
  await db.schema.createIndex('resource_refs_to').on('resource_refs').columns(['to_id']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text')
    .addColumn('integration_id', 'text')
    .addColumn('export_id', 'text')
    .addColumn('import_id', 'text')
    .addColumn('flow_job_id', 'text')
    .addColumn('retry_of_job_id', 'text')
    .addColumn('o_index', 'integer')
    .addColumn('num_export', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_success', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_error', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_ignore', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_resolved', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_open_error', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_pages_generated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('num_pages_processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('done_exporting', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .addColumn('canceled_by', 'text')
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('jobs_account_created').on('jobs').columns(['account_id', 'created_at']).execute();
  await db.schema.createIndex('jobs_flow').on('jobs').columns(['flow_id', 'status']).execute();
  await db.schema.createIndex('jobs_parent').on('jobs').columns(['flow_job_id']).execute();

  await db.schema
    .createTable('job_errors')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('flow_job_id', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('trace_key', 'text')
    .addColumn('o_index', 'integer')
    .addColumn('retry_data_key', 'text')
    .addColumn('retry_data', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'text')
    .execute();
  await db.schema.createIndex('job_errors_step').on('job_errors').columns(['flow_id', 'step_id', '_id']).execute();
  await db.schema.createIndex('job_errors_job').on('job_errors').columns(['job_id']).execute();
  await db.schema.createIndex('job_errors_flow_job').on('job_errors').columns(['flow_job_id']).execute();

  await db.schema
    .createTable('work_items')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('locked_by', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('work_items_claim').on('work_items').columns(['status', 'run_at']).execute();
  await db.schema.createIndex('work_items_job').on('work_items').columns(['job_id']).execute();

  await db.schema
    .createTable('state')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('state_pk', ['account_id', 'scope_id', 'key'])
    .execute();

  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['meta', 'state', 'work_items', 'job_errors', 'jobs', 'resource_refs', 'resources', 'tokens', 'users', 'accounts']) {
    await db.schema.dropTable(t).execute();
  }
}
