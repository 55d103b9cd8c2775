import type { Kysely, Transaction } from 'kysely';
import { releaseFlowLock } from '../store/flow-locks.js';
import { childJobs, findJobById, updateJob } from '../store/jobs.js';
import { deletePagesOfJob } from '../store/pages.js';
import type { Database } from '../store/tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export const FINAL_STATUSES = ['completed', 'failed', 'canceled'];

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
 * flow for its next queued run.
 */
export async function endJob(db: Kysely<Database>, jobId: string, status: 'completed' | 'failed' | 'canceled', extra?: Record<string, unknown>, inSameTransaction?: (trx: Transaction<Database>) => Promise<void>) {
  await db.transaction().execute(async (trx) => {
    const job = await findJobById(trx, jobId);
    if (!job) return;
    const now = Date.now();
    for (const child of await childJobs(trx, jobId)) {
      if (!FINAL_STATUSES.includes(child.status)) await updateJob(trx, child._id, { status: status === 'completed' ? 'completed' : status, ended_at: now });
    }
    const merged = extra ? JSON.stringify({ ...(JSON.parse(job.extra) as object), ...extra }) : job.extra;
    await updateJob(trx, jobId, { status, ended_at: now, extra: merged, ...(status === 'completed' ? { done_exporting: job.type === 'flow' ? 1 : job.done_exporting } : {}) });
    await deletePagesOfJob(trx, jobId);
    if (job.flow_id) await releaseFlowLock(trx, job.flow_id, jobId);
    await inSameTransaction?.(trx);
  });
}
