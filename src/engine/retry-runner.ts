import { sql } from 'kysely';
import type { Doc, RunContext } from '../adaptors/adaptor.js';
import type { Services } from '../domain/services.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { acquireFlowLock } from '../store/flow-locks.js';
import { insertJobErrors, openStepErrors, resolveErrors } from '../store/job-errors.js';
import { addToCounters, findJobById, updateJob } from '../store/jobs.js';
import { advancePage, deletePage, insertPage, pendingPages, type PageRow } from '../store/pages.js';
import { planFlow } from './flow-plan.js';
import type { RunOutcome } from './flow-runner.js';
import { noHooks, type PageHooks } from './hook-points.js';
import { endJob, FINAL_STATUSES, JobCanceled, RunInterrupted, stopReason, throwIfStopped } from './job-control.js';
import { runPageThroughSteps, type OpenProcessor } from './page-pipeline.js';
import { errorMessage, jobErrorRows } from './record-errors.js';
import { retryStartStep, type RetryRunPayload } from './retries.js';
import { closeProcessors, openProcessor } from './step-openers.js';

const RETRY_PAGE_SIZE = 20;

/**
 * Runs a retry job: the chosen errors' retry data become pages that enter the flow at the failing
 * step. The original errors are consumed (resolved by `retry`) in the transaction that stores those
 * pages; records that fail again become new errors of the retry job.
 */
export async function runRetryJob(services: Services, jobId: string, payload: RetryRunPayload, signal: AbortSignal, baseLog: Logger, hooks: PageHooks = noHooks): Promise<RunOutcome> {
  const db = services.store.db;
  const job = await findJobById(db, jobId);
  if (!job || FINAL_STATUSES.includes(job.status)) return 'finished';
  if (job.status === 'canceling') {
    await endJob(db, jobId, 'canceled');
    return 'finished';
  }
  if (!(await acquireFlowLock(db, payload.flowId, jobId))) return 'wait';
  const now = Date.now();
  const started = await db
    .updateTable('jobs')
    .set({ status: 'running', started_at: sql`COALESCE(started_at, ${now})`, last_modified: now })
    .where('_id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  if (Number(started.numUpdatedRows) === 0) {
    await endJob(db, jobId, 'canceled');
    return 'finished';
  }
  const log = baseLog.child({ jobId, flowId: payload.flowId });
  const accountId = job.account_id;
  const processors: (OpenProcessor & { doc: Doc })[] = [];
  try {
    const flow = await services.flows.getInternal(accountId, payload.flowId);
    const plan = planFlow(flow);
    const startStep = retryStartStep(plan, payload.stepId);
    if (startStep === undefined) throw new Error(`step ${payload.stepId} is no longer part of flow ${payload.flowId}`);
    const extra = JSON.parse((await findJobById(db, jobId))!.extra) as Record<string, unknown>;
    if (!extra._materialized) await materialize(services, jobId, accountId, payload, startStep, extra);
    for (const p of plan.processors) {
      if (p.index >= startStep) processors[p.index] = await openProcessor(services, accountId, p, hooks);
    }
    const current = new Date(job.started_at ?? now).toISOString();
    const ctx: RunContext = { signal, log, templateData: { settings: flow.settings ?? {}, currentExportDateTime: current }, currentExportDateTime: current };
    for (const page of await pendingPages(db, jobId)) {
      await throwIfStopped(db, jobId, signal);
      await runStored(page);
    }
    await endJob(db, jobId, 'completed');
    return 'finished';

    async function runStored(page: PageRow) {
      if (page.next_step >= plan.processors.length) return deletePage(db, page._id);
      await runPageThroughSteps(processors, page.next_step, JSON.parse(page.records), page.page_index, ctx, hooks, async (report) => {
        const { plan: step } = report.processor;
        const stepCtx = { accountId, flowId: payload.flowId, stepId: step.stepId, jobId, flowJobId: jobId, oIndex: step.oIndex, skipRetries: plan.skipRetries || processors[step.index]?.doc.skipRetries === true };
        await db.transaction().execute(async (trx) => {
          await addToCounters(trx, jobId, report.counts);
          if (report.failures.length > 0) await insertJobErrors(trx, jobErrorRows(stepCtx, report.failures));
          if (report.done) await deletePage(trx, page._id);
          else await advancePage(trx, page._id, report.next.step, JSON.stringify(report.next.records));
        });
        if (!report.done) await throwIfStopped(db, jobId, signal);
      });
    }
  } catch (err) {
    const stop = err instanceof RunInterrupted || err instanceof JobCanceled ? err : stopReason(signal);
    if (stop instanceof RunInterrupted) return 'interrupted';
    if (stop instanceof JobCanceled) {
      await endJob(db, jobId, 'canceled');
      return 'finished';
    }
    const failureReason = errorMessage(err);
    log.warn({ err: failureReason }, 'retry job failed');
    await endJob(db, jobId, 'failed', { failureReason });
    return 'finished';
  } finally {
    await closeProcessors(processors.filter(Boolean));
  }
}

/** Turns the still-open errors' retry data into stored pages and consumes those errors, atomically. */
async function materialize(services: Services, jobId: string, accountId: string, payload: RetryRunPayload, startStep: number, extra: Record<string, unknown>) {
  await services.store.db.transaction().execute(async (trx) => {
    const errors = await openStepErrors(trx, accountId, payload.flowId, payload.stepId, { retryDataKeys: payload.retryDataKeys });
    const records: unknown[] = [];
    const seen = new Set<string>();
    for (const e of errors) {
      if (!e.retry_data_key || !e.retry_data || seen.has(e.retry_data_key)) continue;
      seen.add(e.retry_data_key);
      records.push((JSON.parse(e.retry_data) as { data: unknown }).data);
    }
    for (let i = 0, page = 0; i < records.length; i += RETRY_PAGE_SIZE, page++) {
      await insertPage(trx, { _id: newId(), account_id: accountId, job_id: jobId, generator_index: 0, page_index: page, next_step: startStep, records: JSON.stringify(records.slice(i, i + RETRY_PAGE_SIZE)), created_at: Date.now() });
    }
    await resolveErrors(trx, errors, 'retry');
    await updateJob(trx, jobId, { extra: JSON.stringify({ ...extra, _materialized: true, numRetryRecords: records.length }) });
  });
}
