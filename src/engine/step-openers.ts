import { adaptorForExport, adaptorForImport } from '../adaptors/registry.js';
import type { Doc, RunContext } from '../adaptors/adaptor.js';
import { connectionForAdaptor } from '../domain/adaptor-connections.js';
import type { Services } from '../domain/services.js';
import type { ProcessorPlan } from './flow-plan.js';
import type { PageHooks } from './hook-points.js';
import { ImportStep } from './import-step.js';
import { LookupStep } from './lookup-step.js';
import type { OpenProcessor } from './page-pipeline.js';
import { errorMessage } from './record-errors.js';

/** The resource doc of a page processor (import, or lookup export). */
export async function processorDoc(services: Services, accountId: string, plan: ProcessorPlan): Promise<Doc> {
  return plan.type === 'import' ? services.imports.getInternal(accountId, plan.stepId) : services.exports.getInternal(accountId, plan.stepId);
}

/** Opens one page processor's adaptor session. Throws with the step named when it cannot. */
export async function openProcessor(services: Services, accountId: string, plan: ProcessorPlan, hooks: PageHooks): Promise<OpenProcessor & { doc: Doc }> {
  const doc = await processorDoc(services, accountId, plan);
  const what = `${plan.type === 'import' ? 'import' : 'lookup'} ${doc._id}${doc.name ? ` (${String(doc.name)})` : ''}`;
  try {
    const adaptor = plan.type === 'import' ? adaptorForImport(String(doc.adaptorType)) : adaptorForExport(String(doc.adaptorType));
    if (!adaptor) throw new Error(`no adaptor runs ${String(doc.adaptorType)} ${plan.type === 'import' ? 'imports' : 'exports'} yet`);
    const connection = await connectionForAdaptor(services, accountId, String(doc._connectionId));
    if (connection.offline === true) throw new Error(`connection ${connection._id} is offline`);
    const step = plan.type === 'import' ? await ImportStep.open(doc, connection, adaptor, hooks) : await LookupStep.open(doc, connection, adaptor);
    return { plan, step, doc };
  } catch (err) {
    throw new Error(`opening ${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * The run completed: each import step delivers what its adaptor kept for the end of the run (a file import's
 * one file per run), in step order. A failure is handed to `failed` with its message and does not stop the others.
 */
export async function commitImports(processors: OpenProcessor[], ctx: RunContext, failed: (processor: OpenProcessor, message: string) => Promise<void>) {
  if (ctx.testMode === true) return;
  for (const p of processors) {
    if (p.plan.type !== 'import' || !p.step.commit) continue;
    try {
      await p.step.commit(ctx);
    } catch (err) {
      await failed(p, `import ${p.plan.stepId}: delivering the run's records: ${errorMessage(err)}`);
    }
  }
}

export async function closeProcessors(processors: OpenProcessor[]) {
  for (const p of processors) await p.step.close().catch(() => undefined);
}
