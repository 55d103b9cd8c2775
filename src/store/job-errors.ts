import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, JobErrorTable } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export type JobErrorRow = JobErrorTable;

export async function insertJobErrors(db: Db, rows: JobErrorTable[]) {
  // Chunked: SQLite caps bound parameters per statement.
  for (let i = 0; i < rows.length; i += 50) {
    await db.insertInto('job_errors').values(rows.slice(i, i + 50)).execute();
  }
}

export async function listJobErrors(db: Db, accountId: string, filter: { jobIds?: string[]; flowId?: string; stepId?: string; limit: number; open?: boolean }) {
  let q = db.selectFrom('job_errors').selectAll().where('account_id', '=', accountId);
  if (filter.jobIds) q = q.where((eb) => eb.or([eb('job_id', 'in', filter.jobIds!), eb('flow_job_id', 'in', filter.jobIds!)]));
  if (filter.flowId) q = q.where('flow_id', '=', filter.flowId);
  if (filter.stepId) q = q.where('step_id', '=', filter.stepId);
  if (filter.open) q = q.where('resolved_at', 'is', null);
  return q.orderBy('_id').limit(filter.limit).execute();
}

export interface StepErrorFilter {
  accountId: string;
  flowId: string;
  stepId: string;
  resolved: boolean;
  startAtErrorId?: string;
  occurredAtGte?: number;
  occurredAtLte?: number;
  resolvedAtGte?: number;
  resolvedAtLte?: number;
  sources?: string[];
  flowJobId?: string;
  limit: number;
}

/** Open (or resolved) errors of one flow step, in id order, from `startAtErrorId` on. */
export async function listStepErrors(db: Db, f: StepErrorFilter) {
  let q = db.selectFrom('job_errors').selectAll().where('account_id', '=', f.accountId).where('flow_id', '=', f.flowId).where('step_id', '=', f.stepId);
  q = f.resolved ? q.where('resolved_at', 'is not', null) : q.where('resolved_at', 'is', null);
  if (f.startAtErrorId) q = q.where('_id', '>=', f.startAtErrorId);
  if (f.occurredAtGte !== undefined) q = q.where('occurred_at', '>=', f.occurredAtGte);
  if (f.occurredAtLte !== undefined) q = q.where('occurred_at', '<=', f.occurredAtLte);
  if (f.resolvedAtGte !== undefined) q = q.where('resolved_at', '>=', f.resolvedAtGte);
  if (f.resolvedAtLte !== undefined) q = q.where('resolved_at', '<=', f.resolvedAtLte);
  if (f.sources?.length) q = q.where('source', 'in', f.sources);
  if (f.flowJobId) q = q.where((eb) => eb.or([eb('flow_job_id', '=', f.flowJobId!), eb('job_id', '=', f.flowJobId!)]));
  return q.orderBy('_id').limit(f.limit).execute();
}

/** Open errors per step of a flow: `{step_id, num_error, last_error_at}`. */
export async function openErrorsByStep(db: Db, accountId: string, flowId: string) {
  return db
    .selectFrom('job_errors')
    .select(['step_id', (eb) => eb.fn.countAll<number>().as('num_error'), (eb) => eb.fn.max('occurred_at').as('last_error_at')])
    .where('account_id', '=', accountId)
    .where('flow_id', '=', flowId)
    .where('resolved_at', 'is', null)
    .groupBy('step_id')
    .execute();
}

/** Open errors of a step chosen by id, retry data key, or all of them when both lists are absent. */
export async function openStepErrors(db: Db, accountId: string, flowId: string, stepId: string, pick: { errorIds?: string[]; retryDataKeys?: string[] }) {
  let q = db.selectFrom('job_errors').selectAll().where('account_id', '=', accountId).where('flow_id', '=', flowId).where('step_id', '=', stepId).where('resolved_at', 'is', null);
  if (pick.errorIds) q = q.where('_id', 'in', pick.errorIds.length ? pick.errorIds : ['']);
  if (pick.retryDataKeys) q = q.where('retry_data_key', 'in', pick.retryDataKeys.length ? pick.retryDataKeys : ['']);
  return q.orderBy('_id').execute();
}

/**
 * Marks errors resolved and moves their counts on the jobs that hold them (numOpenError down,
 * numResolved up, on the step job and its flow job). Returns how many were resolved.
 */
export async function resolveErrors(db: Db, rows: JobErrorTable[], by: string, now = Date.now()): Promise<number> {
  let resolved = 0;
  const perJob = new Map<string, number>();
  for (let i = 0; i < rows.length; i += 200) {
    const ids = rows.slice(i, i + 200).map((r) => r._id);
    const result = await db.updateTable('job_errors').set({ resolved_at: now, resolved_by: by }).where('_id', 'in', ids).where('resolved_at', 'is', null).executeTakeFirst();
    resolved += Number(result.numUpdatedRows);
  }
  for (const r of rows) {
    perJob.set(r.job_id, (perJob.get(r.job_id) ?? 0) + 1);
    if (r.flow_job_id && r.flow_job_id !== r.job_id) perJob.set(r.flow_job_id, (perJob.get(r.flow_job_id) ?? 0) + 1);
  }
  for (const [jobId, n] of perJob) {
    await db
      .updateTable('jobs')
      .set({ num_open_error: sql`CASE WHEN num_open_error >= ${n} THEN num_open_error - ${n} ELSE 0 END`, num_resolved: sql`num_resolved + ${n}`, last_modified: now })
      .where('_id', '=', jobId)
      .execute();
  }
  return resolved;
}

export async function findByRetryDataKey(db: Db, accountId: string, flowId: string, stepId: string, key: string) {
  return db
    .selectFrom('job_errors')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('flow_id', '=', flowId)
    .where('step_id', '=', stepId)
    .where('retry_data_key', '=', key)
    .executeTakeFirst();
}

/** Replaces the retry data of a failed record (all its errors share it). */
export async function updateRetryData(db: Db, accountId: string, retryDataKey: string, retryData: string) {
  await db.updateTable('job_errors').set({ retry_data: retryData }).where('account_id', '=', accountId).where('retry_data_key', '=', retryDataKey).execute();
}
