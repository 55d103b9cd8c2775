import { sql, type Kysely, type Transaction } from 'kysely';
import { acquireFlowLock, releaseFlowLock } from '../store/flow-locks.js';
import { insertJobErrors } from '../store/job-errors.js';
import { addToCounters, childJobs, findJobById, updateJob, type JobRow } from '../store/jobs.js';
import { deletePagesOfJob, pendingPages } from '../store/pages.js';
import type { Database } from '../store/tables.js';
import { planFlow } from './flow-plan.js';
import { jobErrorRows, type RecordFailure } from './record-errors.js';

type Db = Kysely<Database> | Transaction<Database>;

export const FINAL_STATUSES = ['completed', 'failed', 'canceled'];

/**
 * Moves a claimed flow or retry job to running: 'finished' when it already ended or was canceled (a
 * cancel asked before or during the claim ends it here), 'wait' while another job holds the flow's lock,
 * else the job as it now stands.
 */
export async function startFlowJob(db: Kysely<Database>, jobId: string, flowId: string): Promise<JobRow | 'finished' | 'wait'> {
  const job = await findJobById(db, jobId);
  if (!job || FINAL_STATUSES.includes(job.status)) return 'finished';
  if (job.status === 'canceling') {
    await endJob(db, jobId, 'canceled');
    return 'finished';
  }
  if (!(await acquireFlowLock(db, flowId, jobId))) return 'wait';
  const now = Date.now();
  const started = await db
    .updateTable('jobs')
    .set({ status: 'running', started_at: sql`COALESCE(started_at, ${now})`, last_modified: now })
    .where('_id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  if (Number(started.numUpdatedRows) === 0) {
    // Canceled between the claim and the start.
    await endJob(db, jobId, 'canceled');
    return 'finished';
  }
  return (await findJobById(db, jobId))!;
}

/** Thrown between pages or steps when the job was canceled. */
export class JobCanceled extends Error {
  constructor() {
    super('the job was canceled');
  }
}

/** Thrown when the process shuts down mid-run: the job stays running and resumes at the next start. */
export class RunInterrupted extends Error {
  constructor() {
    super('the process is shutting down');
  }
}

/** Abort reasons the worker uses, so a run tells a cancel from a shutdown. */
export const CANCEL_REASON = 'canceled';
export const SHUTDOWN_REASON = 'shutdown';

export function stopReason(signal: AbortSignal): Error | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason === SHUTDOWN_REASON ? new RunInterrupted() : new JobCanceled();
}

/** Throws JobCanceled or RunInterrupted when the run must stop. */
export async function throwIfStopped(db: Db, jobId: string, signal: AbortSignal) {
  const reason = stopReason(signal);
  if (reason) throw reason;
  const job = await findJobById(db, jobId);
  if (!job || job.status === 'canceling' || job.status === 'canceled') throw new JobCanceled();
}

/**
 * Ends a job and its unfinished children in one transaction, drops its stored pages and frees the
 * flow for its next queued run. A retry job that stops before the end keeps its records: the ones
 * waiting in stored pages become open errors of the retry job at the step they were waiting for.
 */
export async function endJob(db: Kysely<Database>, jobId: string, status: 'completed' | 'failed' | 'canceled', extra?: Record<string, unknown>, inSameTransaction?: (trx: Transaction<Database>) => Promise<void>) {
  await db.transaction().execute(async (trx) => {
    const job = await findJobById(trx, jobId);
    if (!job) return;
    const now = Date.now();
    for (const child of await childJobs(trx, jobId)) {
      if (!FINAL_STATUSES.includes(child.status)) await updateJob(trx, child._id, { status: status === 'completed' ? 'completed' : status, ended_at: now });
    }
    if (job.type === 'retry' && status !== 'completed') await keepUnfinishedRetryRecords(trx, job);
    const merged = extra ? JSON.stringify({ ...(JSON.parse(job.extra) as object), ...extra }) : job.extra;
    await updateJob(trx, jobId, { status, ended_at: now, extra: merged, ...(status === 'completed' ? { done_exporting: job.type === 'flow' ? 1 : job.done_exporting } : {}) });
    await deletePagesOfJob(trx, jobId);
    if (job.flow_id) await releaseFlowLock(trx, job.flow_id, jobId);
    await inSameTransaction?.(trx);
  });
}

/**
 * The records of a stopping retry job that already passed the retried step (their original errors
 * are consumed) but not the later ones: each becomes an open, retryable error at its next step, so
 * nothing a retry took is dropped.
 */
async function keepUnfinishedRetryRecords(trx: Transaction<Database>, job: JobRow) {
  const pages = await pendingPages(trx, job._id);
  if (pages.length === 0 || !job.flow_id) return;
  const row = await trx.selectFrom('resources').select('doc').where('account_id', '=', job.account_id).where('kind', '=', 'flows').where('_id', '=', job.flow_id).executeTakeFirst();
  if (!row) return;
  const flow = { ...(JSON.parse(row.doc) as Record<string, unknown>), _id: job.flow_id };
  let plan;
  try {
    plan = planFlow(flow);
  } catch {
    return;
  }
  let count = 0;
  for (const page of pages) {
    const step = plan.processors[page.next_step];
    if (!step) continue;
    const records = JSON.parse(page.records) as unknown[];
    const failures: RecordFailure[] = records.map((record) => ({
      errors: [{ code: 'retry_not_finished', message: `The retry job ${job._id} stopped before this record went through this step; retry it again.`, source: 'internal' }],
      record,
    }));
    const stepCtx = { accountId: job.account_id, flowId: job.flow_id, stepId: step.stepId, jobId: job._id, flowJobId: job._id, oIndex: step.oIndex, skipRetries: false };
    await insertJobErrors(trx, jobErrorRows(stepCtx, failures));
    count += failures.length;
  }
  if (count > 0) await addToCounters(trx, job._id, { num_error: count, num_open_error: count });
}
