import type { DataRecord, RunContext } from '../adaptors/adaptor.js';
import { adaptorForExport } from '../adaptors/registry.js';
import { connectionForAdaptor } from '../domain/adaptor-connections.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../logger.js';
import { computeRunWindow } from './delta.js';
import { planFlow } from './flow-plan.js';
import { noHooks } from './hook-points.js';
import { runPageThroughSteps, type OpenProcessor } from './page-pipeline.js';
import { errorMessage } from './record-errors.js';
import { closeProcessors, openProcessor } from './step-openers.js';

export interface TestStepReport {
  type: 'import' | 'export';
  _importId?: string;
  _exportId?: string;
  /** Records as they entered the step. */
  input: DataRecord[];
  /** Imports: the mapped payloads the step would send. */
  mapped?: unknown[];
  /** One result per input record; imports in test mode answer the would-be request in `response._json`. */
  results: { status: string; response: Record<string, unknown>; errors: unknown[] }[];
}

export interface TestRunReport {
  testMode: true;
  exported: { _exportId: string; records: DataRecord[]; error?: string }[];
  steps: TestStepReport[];
}

/**
 * Runs a flow on a few records in test mode: exports read (at most `limit` records per generator),
 * lookups read, imports map and answer what they would send without writing (RunContext.testMode).
 * Exports see the same delta window a real run would (the stored checkpoint, read only). Nothing is
 * stored: no job, no errors, and the checkpoint never moves.
 */
export async function testFlowRun(services: Services, accountId: string, flowId: string, options: { limit: number; log: Logger; signal: AbortSignal }): Promise<TestRunReport> {
  const flow = await services.flows.getInternal(accountId, flowId);
  const plan = planFlow(flow);
  const now = new Date().toISOString();
  const ctx: RunContext = { signal: options.signal, log: options.log, templateData: { settings: flow.settings ?? {}, currentExportDateTime: now }, currentExportDateTime: now, testMode: true };
  const report: TestRunReport = { testMode: true, exported: [], steps: [] };
  const processors: OpenProcessor[] = [];
  try {
    for (const p of plan.processors) processors.push(await openProcessor(services, accountId, p, noHooks));
    const stepReports = new Map<number, TestStepReport>();
    for (const g of plan.generators) {
      const records: DataRecord[] = [];
      const entry: TestRunReport['exported'][number] = { _exportId: g.exportId, records };
      report.exported.push(entry);
      try {
        const exp = await services.exports.getInternal(accountId, g.exportId);
        const window = await computeRunWindow(services.store.db, accountId, flowId, new Map([[g.exportId, exp]]), {}, Date.parse(now));
        const last = window.lastExportDateTime[g.exportId];
        const genCtx: RunContext = last ? { ...ctx, lastExportDateTime: last, templateData: { ...ctx.templateData, lastExportDateTime: last } } : ctx;
        const adaptor = adaptorForExport(String(exp.adaptorType));
        if (!adaptor) throw new Error(`no adaptor runs ${String(exp.adaptorType)} exports yet`);
        const session = await adaptor.open(await connectionForAdaptor(services, accountId, String(exp._connectionId)));
        try {
          const pageSize = Math.min(options.limit, typeof exp.pageSize === 'number' ? exp.pageSize : 20);
          for await (const page of session.exportPages!({ export: exp, pageSize, limit: options.limit }, genCtx)) {
            records.push(...page.records.slice(0, options.limit - records.length));
            if (records.length >= options.limit) break;
          }
        } finally {
          await session.close().catch(() => undefined);
        }
      } catch (err) {
        entry.error = errorMessage(err);
        continue;
      }
      await runPageThroughSteps(processors, 0, records, 0, ctx, noHooks, async (r) => {
        const prev = stepReports.get(r.processor.plan.index);
        const step: TestStepReport = prev ?? {
          type: r.processor.plan.type,
          ...(r.processor.plan.type === 'import' ? { _importId: r.processor.plan.stepId } : { _exportId: r.processor.plan.stepId }),
          input: [],
          results: [],
        };
        step.input.push(...r.input);
        if (r.output.preview) step.mapped = [...(step.mapped ?? []), ...r.output.preview];
        step.results.push(...r.output.results);
        if (!prev) {
          stepReports.set(r.processor.plan.index, step);
          report.steps.push(step);
        }
      });
    }
  } finally {
    await closeProcessors(processors);
  }
  return report;
}
