import { adaptorForExport, adaptorForImport } from '../adaptors/registry.js';
import type { DataRecord, Doc, RunContext } from '../adaptors/adaptor.js';
import type { Services } from '../domain/services.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { insertJobErrors } from '../store/job-errors.js';
import { addToCounters, findJobById, insertJob, newJobRow, updateJob, type Counters } from '../store/jobs.js';
import { ImportStep } from './import-step.js';
import { jobErrorRows, type RecordFailure, type StepContext } from './record-errors.js';
import type { FlowRunPayload } from './flow-runs.js';

interface PageGenerator { _exportId: string; skipRetries?: boolean }
interface PageProcessor { type: 'import' | 'export'; _importId?: string; _exportId?: string; proceedOnFailure?: boolean }

interface ProcessorRun {
  processor: PageProcessor;
  step: ImportStep;
  ctx: StepContext;
}

export class JobCanceled extends Error {}

/**
 * Runs one flow job: every page generator's pages, in order, through every page processor.
 * Counters are written after each page, so progress is visible while the job runs.
 */
export async function runFlowJob(services: Services, jobId: string, payload: FlowRunPayload, signal: AbortSignal, baseLog: Logger): Promise<void> {
  const db = services.store.db;
  const job = await findJobById(db, jobId);
  if (!job) return;
  if (job.status === 'canceling' || job.status === 'canceled') {
    await updateJob(db, jobId, { status: 'canceled', ended_at: Date.now() });
    return;
  }
  const accountId = job.account_id;
  const log = baseLog.child({ jobId, flowId: payload.flowId });
  const startedAt = Date.now();
  await updateJob(db, jobId, { status: 'running', started_at: startedAt });

  const openSteps: ProcessorRun[] = [];
  let failure: string | undefined;
  try {
    const flow = await services.flows.getInternal(accountId, payload.flowId);
    const generators = ((flow.pageGenerators as PageGenerator[] | undefined) ?? (flow._exportId ? [{ _exportId: String(flow._exportId) }] : []))
      .filter((g) => !payload.exportIds || payload.exportIds.includes(g._exportId));
    const processors = (flow.pageProcessors as PageProcessor[] | undefined) ?? (flow._importId ? [{ type: 'import' as const, _importId: String(flow._importId) }] : []);
    const ctx: RunContext = {
      signal,
      log,
      templateData: { settings: flow.settings ?? {}, currentExportDateTime: new Date(startedAt).toISOString() },
      currentExportDateTime: new Date(startedAt).toISOString(),
    };

    for (const [i, processor] of processors.entries()) {
      if (processor.type !== 'import') throw new Error(`page processor ${i}: lookup exports are not supported by this runner yet`);
      const importDoc = await services.imports.getInternal(accountId, processor._importId!);
      const adaptor = adaptorForImport(String(importDoc.adaptorType));
      if (!adaptor) throw new Error(`import ${importDoc._id}: no adaptor runs ${String(importDoc.adaptorType)} imports yet`);
      const connection = await services.connections.getInternal(accountId, String(importDoc._connectionId));
      const childId = newId();
      const oIndex = generators.length + i;
      await insertJob(db, newJobRow({ _id: childId, account_id: accountId, type: 'import', status: 'running', flow_id: payload.flowId, import_id: importDoc._id, flow_job_id: jobId, o_index: oIndex, started_at: Date.now() }));
      const step = await ImportStep.open(importDoc, connection, adaptor).catch((err: unknown) => {
        throw new Error(`opening import ${importDoc._id}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      openSteps.push({
        processor,
        step,
        ctx: { accountId, flowId: payload.flowId, stepId: importDoc._id, jobId: childId, flowJobId: jobId, oIndex, skipRetries: flow.skipRetries === true },
      });
    }

    for (const [g, generator] of generators.entries()) {
      await runGenerator(services, { accountId, jobId, flowId: payload.flowId, oIndex: g, generator, skipRetries: flow.skipRetries === true }, openSteps, ctx);
    }
    await updateJob(db, jobId, { done_exporting: 1 });
  } catch (err) {
    failure = err instanceof JobCanceled ? undefined : err instanceof Error ? err.message : String(err);
    if (err instanceof JobCanceled || signal.aborted) {
      await finishChildren(services, openSteps, 'canceled');
      await updateJob(db, jobId, { status: 'canceled', ended_at: Date.now() });
      log.info({}, 'flow job canceled');
      return;
    }
    log.warn({ err: failure }, 'flow job failed');
  } finally {
    for (const s of openSteps) await s.step.close().catch(() => undefined);
  }
  await finishChildren(services, openSteps, failure ? 'failed' : 'completed');
  const extra = JSON.parse((await findJobById(db, jobId))?.extra ?? '{}') as Record<string, unknown>;
  await updateJob(db, jobId, {
    status: failure ? 'failed' : 'completed',
    ended_at: Date.now(),
    ...(failure ? { extra: JSON.stringify({ ...extra, failureReason: failure }) } : {}),
  });
}

async function finishChildren(services: Services, steps: ProcessorRun[], status: string) {
  for (const s of steps) await updateJob(services.store.db, s.ctx.jobId, { status, ended_at: Date.now() });
}

interface GeneratorRun {
  accountId: string;
  jobId: string;
  flowId: string;
  oIndex: number;
  generator: PageGenerator;
  skipRetries: boolean;
}

async function runGenerator(services: Services, run: GeneratorRun, steps: ProcessorRun[], ctx: RunContext) {
  const db = services.store.db;
  const exportDoc = await services.exports.getInternal(run.accountId, run.generator._exportId);
  const adaptor = adaptorForExport(String(exportDoc.adaptorType));
  const childId = newId();
  await insertJob(db, newJobRow({ _id: childId, account_id: run.accountId, type: 'export', status: 'running', flow_id: run.flowId, export_id: exportDoc._id, flow_job_id: run.jobId, o_index: run.oIndex, started_at: Date.now() }));
  const exportCtx: StepContext = { accountId: run.accountId, flowId: run.flowId, stepId: exportDoc._id, jobId: childId, flowJobId: run.jobId, oIndex: run.oIndex, skipRetries: run.skipRetries || run.generator.skipRetries === true };
  try {
    if (!adaptor) throw new Error(`no adaptor runs ${String(exportDoc.adaptorType)} exports yet`);
    const connection = await services.connections.getInternal(run.accountId, String(exportDoc._connectionId));
    const session = await adaptor.open(connection);
    try {
      if (!session.exportPages) throw new Error(`the ${adaptor.connectionType} adaptor cannot export records`);
      const pageSize = typeof exportDoc.pageSize === 'number' ? exportDoc.pageSize : 20;
      const limit = exportDoc.type === 'test' ? Number((exportDoc.test as { limit?: number } | undefined)?.limit ?? 1) : undefined;
      for await (const page of session.exportPages({ export: exportDoc, pageSize, ...(limit ? { limit } : {}) }, ctx)) {
        await throwIfCanceled(services, run.jobId, ctx.signal);
        const problems: RecordFailure[] = (page.problems ?? []).map((p) => ({ code: p.code, message: p.message, source: 'application', ...(p.data !== undefined ? { record: p.data } : {}) }));
        await record(services, exportCtx, run.jobId, { num_success: page.records.length, num_export: page.records.length, num_pages_generated: 1, num_error: problems.length, num_open_error: problems.length }, problems);
        await processPage(services, run.jobId, page.records, steps, ctx);
      }
    } finally {
      await session.close().catch(() => undefined);
    }
    await updateJob(db, childId, { status: 'completed', ended_at: Date.now() });
  } catch (err) {
    if (err instanceof JobCanceled || ctx.signal.aborted) {
      await updateJob(db, childId, { status: 'canceled', ended_at: Date.now() });
      throw err instanceof JobCanceled ? err : new JobCanceled();
    }
    const message = `export ${exportDoc._id}${exportDoc.name ? ` (${String(exportDoc.name)})` : ''}: ${err instanceof Error ? err.message : String(err)}`;
    await record(services, exportCtx, run.jobId, { num_error: 1, num_open_error: 1 }, [{ code: 'export_failed', message, source: 'connection' }]);
    await updateJob(db, childId, { status: 'failed', ended_at: Date.now() });
    throw new Error(message, { cause: err });
  }
}

async function processPage(services: Services, flowJobId: string, records: DataRecord[], steps: ProcessorRun[], ctx: RunContext) {
  let current = records;
  for (const s of steps) {
    if (current.length === 0) break;
    const result = await s.step.processPage(current, ctx);
    await record(
      services,
      s.ctx,
      flowJobId,
      { num_success: result.success, num_ignore: result.ignored, num_error: result.failed, num_open_error: result.failed, num_pages_processed: 1 },
      result.failures,
    );
    if (!s.processor.proceedOnFailure) current = result.passed.map((i) => current[i]!);
  }
}

/** Adds counts to a child job and its flow job, and stores the step's failures, in one transaction. */
async function record(services: Services, step: StepContext, flowJobId: string, counts: Counters, failures: RecordFailure[]) {
  const flowCounts: Counters = { ...counts };
  // The flow job counts records its generators produced once, in numExport; numPagesGenerated likewise.
  await services.store.db.transaction().execute(async (trx) => {
    await addToCounters(trx, step.jobId, counts);
    await addToCounters(trx, flowJobId, flowCounts);
    if (failures.length > 0) await insertJobErrors(trx, jobErrorRows(step, failures));
  });
}

async function throwIfCanceled(services: Services, jobId: string, signal: AbortSignal) {
  if (signal.aborted) throw new JobCanceled();
  const job = await findJobById(services.store.db, jobId);
  if (job && (job.status === 'canceling' || job.status === 'canceled')) throw new JobCanceled();
}

export type { Doc };
