import type { Kysely } from 'kysely';

// Frozen in time: never edit a released migration, add a new one.
// Engine tables: pages between steps, one-running-job-per-flow locks, schedule slots, delta cursors.
export async function up(db: Kysely<any>): Promise<void> {
  // A page of records stored between flow steps: the run reads it back, so memory is bounded by page
  // size and a crashed run resumes from the step the page had reached.
  await db.schema
    .createTable('pages')
    .addColumn('_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('generator_index', 'integer', (c) => c.notNull())
    .addColumn('page_index', 'integer', (c) => c.notNull())
    .addColumn('next_step', 'integer', (c) => c.notNull())
    .addColumn('records', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pages_job_page').on('pages').columns(['job_id', 'generator_index', 'page_index']).unique().execute();

  // At most one running job per flow: the row is the lock, taken in the transaction that starts a job.
  await db.schema
    .createTable('flow_locks')
    .addColumn('flow_id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('locked_at', 'bigint', (c) => c.notNull())
    .execute();

  // One row per flow and schedule slot: several schedulers racing for the same tick insert once.
  await db.schema
    .createTable('schedule_slots')
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('slot_at', 'bigint', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('schedule_slots_pk', ['flow_id', 'slot_at'])
    .execute();

  // Last committed run time per flow page generator (delta checkpoint).
  await db.schema
    .createTable('delta_cursors')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('export_id', 'text', (c) => c.notNull())
    .addColumn('last_export_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('delta_cursors_pk', ['flow_id', 'export_id'])
    .execute();

  await db.schema.createIndex('job_errors_open').on('job_errors').columns(['flow_id', 'step_id', 'resolved_at']).execute();
  await db.schema.createIndex('job_errors_retry_key').on('job_errors').columns(['retry_data_key']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('job_errors_retry_key').execute();
  await db.schema.dropIndex('job_errors_open').execute();
  for (const t of ['delta_cursors', 'schedule_slots', 'flow_locks', 'pages']) await db.schema.dropTable(t).execute();
}
