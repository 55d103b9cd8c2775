import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, JobTable } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export type JobRow = JobTable;

export const counterColumns = [
  'num_export',
  'num_success',
  'num_error',
  'num_ignore',
  'num_resolved',
  'num_open_error',
  'num_pages_generated',
  'num_pages_processed',
] as const;
export type CounterColumn = (typeof counterColumns)[number];
export type Counters = Partial<Record<CounterColumn, number>>;

export function newJobRow(fields: Pick<JobTable, '_id' | 'account_id' | 'type' | 'status'> & Partial<JobTable>): JobTable {
  const now = Date.now();
  return {
    flow_id: null,
    integration_id: null,
    export_id: null,
    import_id: null,
    flow_job_id: null,
    retry_of_job_id: null,
    o_index: null,
    num_export: 0,
    num_success: 0,
    num_error: 0,
    num_ignore: 0,
    num_resolved: 0,
    num_open_error: 0,
    num_pages_generated: 0,
    num_pages_processed: 0,
    done_exporting: 0,
    created_at: now,
    started_at: null,
    ended_at: null,
    last_modified: now,
    canceled_by: null,
    extra: '{}',
    ...fields,
  };
}

export async function insertJob(db: Db, row: JobTable) {
  await db.insertInto('jobs').values(row).execute();
}

export async function findJob(db: Db, accountId: string, id: string) {
  return db.selectFrom('jobs').selectAll().where('account_id', '=', accountId).where('_id', '=', id).executeTakeFirst();
}

export async function findJobById(db: Db, id: string) {
  return db.selectFrom('jobs').selectAll().where('_id', '=', id).executeTakeFirst();
}

export async function updateJob(db: Db, id: string, changes: Partial<Omit<JobTable, '_id' | 'account_id'>>) {
  await db
    .updateTable('jobs')
    .set({ ...changes, last_modified: Date.now() })
    .where('_id', '=', id)
    .execute();
}

/** Adds to counters atomically (several steps of one flow job may report at once). */
export async function addToCounters(db: Db, id: string, delta: Counters) {
  const entries = Object.entries(delta).filter(([, n]) => n);
  if (entries.length === 0) return;
  const set: Record<string, unknown> = { last_modified: Date.now() };
  for (const [column, n] of entries) set[column] = sql`${sql.ref(column)} + ${n}`;
  await db.updateTable('jobs').set(set).where('_id', '=', id).execute();
}

export interface JobListFilter {
  accountId: string;
  jobId?: string;
  flowIds?: string[];
  /** null: standalone flows (no integration). */
  integrationId?: string | null;
  retryOfJobId?: string;
  /** `num_success: {gte: 1}` and the like. */
  ranges?: Partial<Record<CounterColumn, { gte?: number; lte?: number }>>;
  /** Leave out runs that moved no record. */
  hideEmpty?: boolean;
  flowId?: string;
  flowJobId?: string;
  exportId?: string;
  importId?: string;
  types?: string[];
  statuses?: string[];
  createdAtGte?: number;
  createdAtLte?: number;
  limit: number;
}

export async function listJobs(db: Db, f: JobListFilter) {
  let q = db.selectFrom('jobs').selectAll().where('account_id', '=', f.accountId);
  if (f.flowId) q = q.where('flow_id', '=', f.flowId);
  if (f.flowJobId) q = q.where('flow_job_id', '=', f.flowJobId);
  if (f.exportId) q = q.where('export_id', '=', f.exportId);
  if (f.importId) q = q.where('import_id', '=', f.importId);
  if (f.integrationId === null) q = q.where('integration_id', 'is', null);
  else if (f.integrationId) q = q.where('integration_id', '=', f.integrationId);
  if (f.jobId) q = q.where('_id', '=', f.jobId);
  if (f.flowIds?.length) q = q.where('flow_id', 'in', f.flowIds);
  if (f.retryOfJobId) q = q.where('retry_of_job_id', '=', f.retryOfJobId);
  for (const [column, range] of Object.entries(f.ranges ?? {}) as [CounterColumn, { gte?: number; lte?: number }][]) {
    if (range.gte !== undefined) q = q.where(column, '>=', range.gte);
    if (range.lte !== undefined) q = q.where(column, '<=', range.lte);
  }
  if (f.hideEmpty) q = q.where((eb) => eb.or([eb('num_export', '>', 0), eb('num_success', '>', 0), eb('num_error', '>', 0), eb('num_ignore', '>', 0)]));
  if (f.types?.length) q = q.where('type', 'in', f.types);
  if (f.statuses?.length) q = q.where('status', 'in', f.statuses);
  if (f.createdAtGte !== undefined) q = q.where('created_at', '>=', f.createdAtGte);
  if (f.createdAtLte !== undefined) q = q.where('created_at', '<=', f.createdAtLte);
  return q.orderBy('created_at', 'desc').orderBy('_id', 'desc').limit(f.limit).execute();
}

export async function childJobs(db: Db, flowJobId: string) {
  return db.selectFrom('jobs').selectAll().where('flow_job_id', '=', flowJobId).orderBy('o_index').orderBy('created_at').execute();
}
