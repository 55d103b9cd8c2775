import type { DataRecord, Doc, RunContext } from '../adaptors/adaptor.js';
import type { Services } from '../domain/services.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { insertJobErrors, openStepErrors, resolveErrors, type JobErrorRow } from '../store/job-errors.js';
import { addToCounters } from '../store/jobs.js';
import { advancePage, deletePage, insertPage, pendingPages, type PageRow } from '../store/pages.js';
import { planFlow } from './flow-plan.js';
import type { RunOutcome } from './flow-runner.js';
import { noHooks, type PageHooks } from './hook-points.js';
import { endJob, JobCanceled, RunInterrupted, startFlowJob, stopReason, throwIfStopped } from './job-control.js';
import { runPageThroughSteps, type OpenProcessor, type StepReport } from './page-pipeline.js';
import { errorMessage, jobErrorRows } from './record-errors.js';
import { retryStartStep, type RetryRunPayload } from './retries.js';
import { closeProcessors, commitImports, openProcessor } from './step-openers.js';

const RETRY_PAGE_SIZE = 20;

/**
 * Runs (or resumes) a retry job: the chosen errors' retry data re-enter the flow at the failing step,
 * a chunk at a time. An original error stays open until its record has been through that step again:
 * it is consumed (resolved by `retry`) in the same transaction that stores the step's outcome — a
 * success, an ignore, or a new error of the retry job. So a retry that is canceled, fails, or dies
 * leaves every record it did not get to as an open, retryable error, and a resumed retry picks up
 * exactly the errors still open. Records that passed the step and wait for a later one are stored as
 * pages; if the job ends before they are through, they become open errors at that later step
 * (see `endJob`).
 */
export async function runRetryJob(services: Services, jobId: string, payload: RetryRunPayload, signal: AbortSignal, baseLog: Logger, hooks: PageHooks = noHooks): Promise<RunOutcome> {
  const db = services.store.db;
  const job = await startFlowJob(db, jobId, payload.flowId);
  if (typeof job === 'string') return job;
  const log = baseLog.child({ jobId, flowId: payload.flowId });
  const accountId = job.account_id;
  const processors: (OpenProcessor & { doc: Doc })[] = [];
  try {
    const flow = await services.flows.getInternal(accountId, payload.flowId);
    const plan = planFlow(flow);
    const startStep = retryStartStep(plan, payload.stepId);
    if (startStep === undefined) throw new Error(`step ${payload.stepId} is no longer part of flow ${payload.flowId}`);
    for (const p of plan.processors) {
      if (p.index >= startStep) processors[p.index] = await openProcessor(services, accountId, p, hooks);
    }
    const current = new Date(job.started_at ?? Date.now()).toISOString();
    const ctx: RunContext = { signal, log, templateData: { settings: flow.settings ?? {}, currentExportDateTime: current }, currentExportDateTime: current, runId: jobId };
    const stepCtxOf = (report: StepReport) => {
      const { plan: step } = report.processor;
      return { accountId, flowId: payload.flowId, stepId: step.stepId, jobId, flowJobId: jobId, oIndex: step.oIndex, skipRetries: plan.skipRetries || processors[step.index]?.doc.skipRetries === true };
    };

    // Pages stored by an interrupted attempt: records already past the retried step.
    for (const page of await pendingPages(db, jobId)) {
      await throwIfStopped(db, jobId, signal);
      await runStored(page);
    }
    // The errors still open, a chunk at a time; consumed ones (by this job or a user) are skipped.
    for (let i = 0; i < payload.retryDataKeys.length; i += RETRY_PAGE_SIZE) {
      await throwIfStopped(db, jobId, signal);
      const keys = payload.retryDataKeys.slice(i, i + RETRY_PAGE_SIZE);
      const errors = await openStepErrors(db, accountId, payload.flowId, payload.stepId, { retryDataKeys: keys });
      const records: DataRecord[] = [];
      const seen = new Set<string>();
      for (const e of errors) {
        if (!e.retry_data_key || !e.retry_data || seen.has(e.retry_data_key)) continue;
        seen.add(e.retry_data_key);
        records.push((JSON.parse(e.retry_data) as { data: DataRecord }).data);
      }
      if (records.length === 0) continue;
      const chunkErrors = errors.filter((e) => e.retry_data_key !== null && seen.has(e.retry_data_key));
      if (startStep >= plan.processors.length) {
        // A generator's records in a flow without processors: there is no step left for them to go through.
        await db.transaction().execute(async (trx) => resolveErrors(trx, await openStepErrors(trx, accountId, payload.flowId, payload.stepId, { errorIds: chunkErrors.map((e) => e._id) }), 'retry'));
        continue;
      }
      await runChunk(records, chunkErrors, Math.floor(i / RETRY_PAGE_SIZE));
    }
    await throwIfStopped(db, jobId, signal);
    await commitImports(processors.filter(Boolean), ctx, async (p, message) => {
      const stepCtx = { accountId, flowId: payload.flowId, stepId: p.plan.stepId, jobId, flowJobId: jobId, oIndex: p.plan.oIndex, skipRetries: true };
      await db.transaction().execute(async (trx) => {
        await addToCounters(trx, jobId, { num_error: 1, num_open_error: 1 });
        await insertJobErrors(trx, jobErrorRows(stepCtx, [{ errors: [{ code: 'commit_failed', message, source: 'connection' }] }]));
      });
    });
    await endJob(db, jobId, 'completed');
    return 'finished';

    /** One chunk from the retried step on; the first step's outcome consumes the chunk's errors. */
    async function runChunk(records: DataRecord[], consumed: JobErrorRow[], pageIndex: number) {
      let pageId: string | undefined;
      let firstStep = true;
      await runPageThroughSteps(processors, startStep!, records, pageIndex, ctx, hooks, async (report) => {
        await db.transaction().execute(async (trx) => {
          await addToCounters(trx, jobId, report.counts);
          if (report.failures.length > 0) await insertJobErrors(trx, jobErrorRows(stepCtxOf(report), report.failures));
          if (firstStep) {
            // Re-read inside the transaction: an error a user resolved meanwhile is not counted twice.
            await resolveErrors(trx, await openStepErrors(trx, accountId, payload.flowId, payload.stepId, { errorIds: consumed.map((e) => e._id) }), 'retry');
            if (!report.done) {
              pageId = newId();
              await insertPage(trx, { _id: pageId, account_id: accountId, job_id: jobId, generator_index: 0, page_index: pageIndex, next_step: report.next.step, records: JSON.stringify(report.next.records), created_at: Date.now() });
            }
          } else if (pageId !== undefined) {
            if (report.done) await deletePage(trx, pageId);
            else await advancePage(trx, pageId, report.next.step, JSON.stringify(report.next.records));
          }
        });
        firstStep = false;
        if (!report.done) await throwIfStopped(db, jobId, signal);
      });
    }

    async function runStored(page: PageRow) {
      if (page.next_step >= plan.processors.length) return deletePage(db, page._id);
      await runPageThroughSteps(processors, page.next_step, JSON.parse(page.records), page.page_index, ctx, hooks, async (report) => {
        await db.transaction().execute(async (trx) => {
          await addToCounters(trx, jobId, report.counts);
          if (report.failures.length > 0) await insertJobErrors(trx, jobErrorRows(stepCtxOf(report), report.failures));
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
