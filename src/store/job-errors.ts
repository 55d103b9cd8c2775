import type { Kysely, Transaction } from 'kysely';
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
