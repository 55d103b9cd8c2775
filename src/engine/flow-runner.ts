import type { AdaptorSession, Doc, ExportRequest, RunContext } from '../adaptors/adaptor.js';
import { adaptorForExport } from '../adaptors/registry.js';
import { connectionForAdaptor } from '../domain/adaptor-connections.js';
import type { Services } from '../domain/services.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';
import { insertJobErrors } from '../store/job-errors.js';
import { addToCounters, childJobs, findJobById, insertJob, newJobRow, updateJob, type Counters, type JobRow } from '../store/jobs.js';
import { advancePage, deletePage, insertPage, pendingPages, type PageRow } from '../store/pages.js';
import { advanceCursors, computeRunWindow, type RunWindow } from './delta.js';
import { planFlow, type FlowPlan, type GeneratorPlan } from './flow-plan.js';
import { insertFlowRun, prepareFlowRun, type FlowRunPayload } from './flow-runs.js';
import { noHooks, type PageHooks } from './hook-points.js';
import { endJob, JobCanceled, RunInterrupted, startFlowJob, stopReason, throwIfStopped } from './job-control.js';
import { runPageThroughSteps, type OpenProcessor, type StepReport } from './page-pipeline.js';
import { errorMessage, jobErrorRows, type RecordFailure, type StepContext } from './record-errors.js';
import { closeProcessors, commitImports, openProcessor } from './step-openers.js';

/** finished: the job ended (any status); wait: another job of the flow runs; interrupted: shutdown, resume later. */
export type RunOutcome = 'finished' | 'wait' | 'interrupted';

export { JobCanceled };

/**
 * Runs (or resumes) one flow job. Every page is stored before the page processors see it and moved
 * from step to step in the same transaction that stores that step's counts and errors; a run that
 * restarts after a crash finishes the stored pages, re-reads its export skipping the pages it already
 * stored, and so counts and writes each record once.
 */
export async function runFlowJob(services: Services, jobId: string, payload: FlowRunPayload, signal: AbortSignal, baseLog: Logger, hooks: PageHooks = noHooks): Promise<RunOutcome> {
  const job = await startFlowJob(services.store.db, jobId, payload.flowId);
  if (typeof job === 'string') return job;
  const run = new FlowRun(services, job, payload, signal, baseLog.child({ jobId, flowId: payload.flowId }), hooks);
  return run.execute();
}

interface GeneratorSession {
  session: AdaptorSession;
  req: ExportRequest;
  ctx: RunContext;
  exportId: string;
}

class FlowRun {
  readonly #services: Services;
  readonly #job: JobRow;
  readonly #payload: FlowRunPayload;
  readonly #signal: AbortSignal;
  readonly #log: Logger;
  readonly #hooks: PageHooks;
  readonly #processors: (OpenProcessor & { doc: Doc })[] = [];
  readonly #sessions: GeneratorSession[] = [];
  readonly #children = new Map<number, JobRow>();
  #flow!: Doc;
  #plan!: FlowPlan;
  #generators: GeneratorPlan[] = [];
  #window!: RunWindow;

  constructor(services: Services, job: JobRow, payload: FlowRunPayload, signal: AbortSignal, log: Logger, hooks: PageHooks) {
    this.#services = services;
    this.#job = job;
    this.#payload = payload;
    this.#signal = signal;
    this.#log = log;
    this.#hooks = hooks;
  }

  get #db() {
    return this.#services.store.db;
  }

  async execute(): Promise<RunOutcome> {
    const jobId = this.#job._id;
    try {
      await this.#prepare();
      for (const page of await pendingPages(this.#db, jobId)) {
        await throwIfStopped(this.#db, jobId, this.#signal);
        await this.#runStoredPage(page);
      }
      for (const g of this.#generators) {
        if (this.#children.get(g.oIndex)?.status === 'completed') continue;
        await this.#runGenerator(g);
      }
      await throwIfStopped(this.#db, jobId, this.#signal);
      await this.#commit();
      return 'finished';
    } catch (err) {
      const stop = err instanceof RunInterrupted || err instanceof JobCanceled ? err : stopReason(this.#signal);
      if (stop instanceof RunInterrupted) {
        this.#log.info({}, 'flow job interrupted by shutdown; it resumes at the next start');
        return 'interrupted';
      }
      if (stop instanceof JobCanceled) {
        await endJob(this.#db, jobId, 'canceled');
        this.#log.info({}, 'flow job canceled');
        return 'finished';
      }
      const failureReason = errorMessage(err);
      this.#log.warn({ err: failureReason }, 'flow job failed');
      await endJob(this.#db, jobId, 'failed', { failureReason });
      return 'finished';
    } finally {
      await closeProcessors(this.#processors);
      for (const s of this.#sessions) await s.session.close().catch(() => undefined);
    }
  }

  async #prepare() {
    const { accountId } = { accountId: this.#job.account_id };
    this.#flow = await this.#services.flows.getInternal(accountId, this.#payload.flowId);
    this.#plan = planFlow(this.#flow);
    this.#generators = this.#plan.generators.filter((g) => !this.#payload.exportIds || this.#payload.exportIds.includes(g.exportId));
    const extra = JSON.parse(this.#job.extra) as { _run?: { window: RunWindow } };
    if (extra._run?.window) {
      this.#window = extra._run.window;
    } else {
      const exportsById = new Map<string, Doc>();
      for (const g of this.#generators) exportsById.set(g.exportId, await this.#services.exports.getInternal(accountId, g.exportId));
      this.#window = await computeRunWindow(this.#db, accountId, this.#flow._id, exportsById, this.#payload, this.#job.started_at ?? Date.now());
      await updateJob(this.#db, this.#job._id, { extra: JSON.stringify({ ...extra, _run: { window: this.#window } }) });
    }
    await this.#ensureChildren();
    for (const plan of this.#plan.processors) this.#processors.push(await openProcessor(this.#services, accountId, plan, this.#hooks));
  }

  /** Child jobs: one export job per generator, one per processor; a resumed run finds its own. */
  async #ensureChildren() {
    const existing = new Map((await childJobs(this.#db, this.#job._id)).map((c) => [c.o_index, c]));
    const wanted = [
      ...this.#generators.map((g) => ({ oIndex: g.oIndex, type: 'export', exportId: g.exportId, importId: null as string | null })),
      ...this.#plan.processors.map((p) => ({ oIndex: p.oIndex, type: p.type, exportId: p.type === 'export' ? p.stepId : null, importId: p.type === 'import' ? p.stepId : null })),
    ];
    for (const w of wanted) {
      let row = existing.get(w.oIndex);
      if (!row) {
        row = newJobRow({
          _id: newId(),
          account_id: this.#job.account_id,
          type: w.type,
          status: 'running',
          flow_id: this.#flow._id,
          integration_id: this.#job.integration_id,
          export_id: w.exportId,
          import_id: w.importId,
          flow_job_id: this.#job._id,
          o_index: w.oIndex,
          started_at: Date.now(),
        });
        await insertJob(this.#db, row);
      }
      this.#children.set(w.oIndex, row);
    }
  }

  #ctxFor(exportId: string): RunContext {
    const last = this.#window.lastExportDateTime[exportId];
    const current = this.#window.currentExportDateTime;
    return {
      signal: this.#signal,
      log: this.#log,
      templateData: { settings: this.#flow.settings ?? {}, currentExportDateTime: current, ...(last ? { lastExportDateTime: last } : {}) },
      currentExportDateTime: current,
      ...(last ? { lastExportDateTime: last } : {}),
      runId: this.#job._id,
    };
  }

  async #runGenerator(g: GeneratorPlan) {
    const accountId = this.#job.account_id;
    const child = (await findJobById(this.#db, this.#children.get(g.oIndex)!._id))!;
    const exportDoc = await this.#services.exports.getInternal(accountId, g.exportId);
    const stepCtx: StepContext = { accountId, flowId: this.#flow._id, stepId: g.exportId, jobId: child._id, flowJobId: this.#job._id, oIndex: g.oIndex, skipRetries: g.skipRetries || exportDoc.skipRetries === true };
    const ctx = this.#ctxFor(g.exportId);
    // Pages already stored by an interrupted attempt of this run: read again, then skipped.
    const skip = child.num_pages_generated;
    try {
      const adaptor = adaptorForExport(String(exportDoc.adaptorType));
      if (!adaptor) throw new Error(`no adaptor runs ${String(exportDoc.adaptorType)} exports yet`);
      const connection = await connectionForAdaptor(this.#services, accountId, String(exportDoc._connectionId));
      if (connection.offline === true) throw new Error(`connection ${connection._id} is offline`);
      const session = await adaptor.open(connection);
      const pageSize = typeof exportDoc.pageSize === 'number' ? exportDoc.pageSize : 20;
      const limit = exportDoc.type === 'test' ? Number((exportDoc.test as { limit?: number } | undefined)?.limit ?? 1) : undefined;
      const req: ExportRequest = { export: exportDoc, pageSize, ...(limit ? { limit } : {}) };
      this.#sessions.push({ session, req, ctx, exportId: g.exportId });
      if (!session.exportPages) throw new Error(`the ${adaptor.connectionType} adaptor cannot export records`);
      let pageIndex = 0;
      for await (const page of session.exportPages(req, ctx)) {
        await throwIfStopped(this.#db, this.#job._id, this.#signal);
        if (pageIndex < skip) {
          pageIndex++;
          continue;
        }
        const saved = await this.#hooks.preSavePage(g.exportId, page.records, pageIndex);
        const problems: RecordFailure[] = (page.problems ?? []).map((p) => ({ errors: [{ code: p.code, message: p.message, source: 'application' }], ...(p.data !== undefined ? { record: p.data } : {}) }));
        const stored = await this.#storeExportPage(stepCtx, g, pageIndex, saved.records, problems);
        if (stored) await this.#runStoredPage(stored);
        pageIndex++;
        if (saved.abort) break;
      }
    } catch (err) {
      if (err instanceof JobCanceled || err instanceof RunInterrupted || this.#signal.aborted) throw err;
      const message = `export ${exportDoc._id}${exportDoc.name ? ` (${String(exportDoc.name)})` : ''}: ${errorMessage(err)}`;
      await this.#db.transaction().execute(async (trx) => {
        const counts: Counters = { num_error: 1, num_open_error: 1 };
        await addToCounters(trx, child._id, counts);
        await addToCounters(trx, this.#job._id, counts);
        await insertJobErrors(trx, jobErrorRows(stepCtx, [{ errors: [{ code: 'export_failed', message, source: 'connection' }] }]));
        await updateJob(trx, child._id, { status: 'failed', ended_at: Date.now() });
      });
      throw new Error(message, { cause: err });
    }
    await updateJob(this.#db, child._id, { status: 'completed', ended_at: Date.now() });
    this.#children.set(g.oIndex, { ...child, status: 'completed' });
  }

  /** Counts an export page and stores it for the processors, in one transaction. */
  async #storeExportPage(stepCtx: StepContext, g: GeneratorPlan, pageIndex: number, records: Doc[] | Record<string, unknown>[], problems: RecordFailure[]): Promise<PageRow | undefined> {
    const n = records.length;
    const counts: Counters = { num_export: n, num_success: n, num_pages_generated: 1, num_error: problems.length, num_open_error: problems.reduce((k, p) => k + p.errors.length, 0) };
    const row: PageRow | undefined = this.#plan.processors.length > 0 && n > 0
      ? { _id: newId(), account_id: this.#job.account_id, job_id: this.#job._id, generator_index: g.oIndex, page_index: pageIndex, next_step: 0, records: JSON.stringify(records), created_at: Date.now() }
      : undefined;
    await this.#db.transaction().execute(async (trx) => {
      await addToCounters(trx, stepCtx.jobId, counts);
      await addToCounters(trx, this.#job._id, counts);
      if (problems.length > 0) await insertJobErrors(trx, jobErrorRows(stepCtx, problems));
      if (row) await insertPage(trx, row);
    });
    return row;
  }

  async #runStoredPage(page: PageRow) {
    const generator = this.#plan.generators.find((g) => g.oIndex === page.generator_index);
    const ctx = this.#ctxFor(generator?.exportId ?? '');
    const records = JSON.parse(page.records) as Record<string, unknown>[];
    if (page.next_step >= this.#processors.length) {
      await deletePage(this.#db, page._id);
      return;
    }
    await runPageThroughSteps(this.#processors, page.next_step, records, page.page_index, ctx, this.#hooks, async (report) => {
      await this.#storeStep(page, report);
      if (!report.done) await throwIfStopped(this.#db, this.#job._id, this.#signal);
    });
  }

  /** One step's counts and errors, and the page's move to its next step, in one transaction. */
  async #storeStep(page: PageRow, report: StepReport) {
    const { plan } = report.processor;
    const child = this.#children.get(plan.oIndex)!;
    const doc = this.#processors[plan.index]!.doc;
    const stepCtx: StepContext = { accountId: this.#job.account_id, flowId: this.#flow._id, stepId: plan.stepId, jobId: child._id, flowJobId: this.#job._id, oIndex: plan.oIndex, skipRetries: this.#plan.skipRetries || doc.skipRetries === true };
    await this.#db.transaction().execute(async (trx) => {
      await addToCounters(trx, child._id, report.counts);
      await addToCounters(trx, this.#job._id, report.counts);
      if (report.failures.length > 0) await insertJobErrors(trx, jobErrorRows(stepCtx, report.failures));
      if (report.done) await deletePage(trx, page._id);
      else await advancePage(trx, page._id, report.next.step, JSON.stringify(report.next.records));
    });
  }

  /**
   * The run committed: exports may retire their source data, delta checkpoints advance, the job
   * completes and the flows to run next are queued, in that order.
   */
  async #commit() {
    const accountId = this.#job.account_id;
    // Imports deliver first (one file per run), so an export retires its source only after.
    await commitImports(this.#processors, this.#ctxFor(this.#generators[0]?.exportId ?? ''), async (p, message) => {
      const child = this.#children.get(p.plan.oIndex)!;
      const stepCtx: StepContext = { accountId, flowId: this.#flow._id, stepId: p.plan.stepId, jobId: child._id, flowJobId: this.#job._id, oIndex: p.plan.oIndex, skipRetries: true };
      await this.#db.transaction().execute(async (trx) => {
        await addToCounters(trx, child._id, { num_error: 1, num_open_error: 1 });
        await addToCounters(trx, this.#job._id, { num_error: 1, num_open_error: 1 });
        await insertJobErrors(trx, jobErrorRows(stepCtx, [{ errors: [{ code: 'commit_failed', message, source: 'connection' }] }]));
      });
    });
    for (const s of this.#sessions) {
      if (!s.session.commitExport) continue;
      try {
        await s.session.commitExport(s.req, s.ctx);
      } catch (err) {
        const child = this.#children.get(this.#generators.find((g) => g.exportId === s.exportId)!.oIndex)!;
        const stepCtx: StepContext = { accountId, flowId: this.#flow._id, stepId: s.exportId, jobId: child._id, flowJobId: this.#job._id, oIndex: child.o_index ?? 0, skipRetries: true };
        await this.#db.transaction().execute(async (trx) => {
          await addToCounters(trx, child._id, { num_error: 1, num_open_error: 1 });
          await addToCounters(trx, this.#job._id, { num_error: 1, num_open_error: 1 });
          await insertJobErrors(trx, jobErrorRows(stepCtx, [{ errors: [{ code: 'commit_failed', message: `export ${s.exportId}: retiring the exported data: ${errorMessage(err)}`, source: 'connection' }] }]));
        });
      }
    }
    const next: ReturnType<typeof prepareFlowRun>[] = [];
    // The flows that led to this run, and this one: a flow met again would chain for ever (A → B → A).
    const chain = [...chainOf(this.#job.extra), this.#flow._id];
    for (const id of (this.#flow._runNextFlowIds as string[] | undefined) ?? []) {
      if (chain.includes(id)) {
        this.#log.warn({ nextFlowId: id, chain }, 'next flow not started: it already ran in this chain of flows');
        continue;
      }
      try {
        next.push(prepareFlowRun(accountId, await this.#services.flows.getInternal(accountId, id), { trigger: 'chain', chain }));
      } catch (err) {
        this.#log.warn({ nextFlowId: id, err: errorMessage(err) }, 'next flow not started');
      }
    }
    await endJob(this.#db, this.#job._id, 'completed', undefined, async (trx) => {
      await advanceCursors(trx, accountId, this.#flow._id, this.#generators.map((g) => g.exportId), this.#window);
      for (const p of next) await insertFlowRun(trx, this.#services, p);
    });
    if (next.length > 0) workSignals.emit(WORK_ENQUEUED);
  }
}

/** The `chain` kept on a chained flow job's extra (the flows that led to it), or none. */
function chainOf(extra: string | null): string[] {
  try {
    const chain = (JSON.parse(extra ?? '{}') as { chain?: unknown }).chain;
    return Array.isArray(chain) ? chain.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
