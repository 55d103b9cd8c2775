import { ApiError } from '../errors.js';
import { newId } from '../ids.js';
import type { Services } from '../domain/services.js';
import { insertJob, newJobRow } from '../store/jobs.js';
import { enqueue } from '../queue/work-queue.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';

export const FLOW_RUN = 'flow_run';

export interface FlowRunPayload {
  flowId: string;
  /** Run only these page generators. */
  exportIds?: string[];
}

/**
 * Creates a queued flow job and its work item in one transaction: neither exists without the other.
 * A flow that is already running gets a queued job that starts when the running one ends.
 */
export async function requestFlowRun(services: Services, accountId: string, flowId: string, options: { exportIds?: string[]; trigger?: string } = {}) {
  const flow = await services.flows.get(accountId, flowId);
  if (flow.disabled === true) throw new ApiError('flow_disabled', `Flow ${flowId} is disabled; enable it before running it.`);
  const generators = (flow.pageGenerators as { _exportId: string }[] | undefined) ?? (flow._exportId ? [{ _exportId: String(flow._exportId) }] : []);
  if (generators.length === 0) throw new ApiError('invalid_field', `Flow ${flowId} has no page generator to run.`, 'pageGenerators');
  const jobId = newId();
  const job = newJobRow({
    _id: jobId,
    account_id: accountId,
    type: 'flow',
    status: 'queued',
    flow_id: flowId,
    integration_id: typeof flow._integrationId === 'string' ? flow._integrationId : null,
    export_id: generators[0]!._exportId,
    extra: JSON.stringify(options.trigger ? { trigger: options.trigger } : {}),
  });
  const payload: FlowRunPayload = { flowId, ...(options.exportIds ? { exportIds: options.exportIds } : {}) };
  await services.store.db.transaction().execute(async (trx) => {
    await insertJob(trx, job);
    await enqueue(trx, { accountId, jobId, kind: FLOW_RUN, payload, maxAttempts: 1 });
  });
  workSignals.emit(WORK_ENQUEUED);
  return jobId;
}
