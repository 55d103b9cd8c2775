import type { Transaction } from 'kysely';
import type { Doc } from '../adaptors/adaptor.js';
import type { Services } from '../domain/services.js';
import { ApiError } from '../errors.js';
import { newId } from '../ids.js';
import { enqueue } from '../queue/work-queue.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';
import { insertJob, newJobRow } from '../store/jobs.js';
import type { Database } from '../store/tables.js';
import { planFlow } from './flow-plan.js';

export const FLOW_RUN = 'flow_run';

/** Attempts a flow run gets when its process dies mid-run (each restart resumes it). */
const FLOW_RUN_ATTEMPTS = 5;

export interface FlowRunPayload {
  flowId: string;
  /** Run only these page generators. */
  exportIds?: string[];
  /** Custom delta window (`POST /flows/:id/run {export:{startDate, endDate}}`). */
  startDate?: string;
  endDate?: string;
}

export interface FlowRunOptions {
  exportIds?: string[];
  startDate?: string;
  endDate?: string;
  /** What asked for the run: api, schedule, chain, demo… (shown on the job). */
  trigger?: string;
  /** For a chained run: the flows whose completion led here, first to last (kept on the job as `chain`). */
  chain?: string[];
}

/** Refuses flows that cannot run; returns the job row and payload to create. */
export function prepareFlowRun(accountId: string, flow: Doc, options: FlowRunOptions) {
  if (flow.disabled === true) throw new ApiError('flow_disabled', `Flow ${flow._id} is disabled; enable it before running it.`);
  const plan = planFlow(flow);
  if (plan.generators.length === 0) throw new ApiError('invalid_field', `Flow ${flow._id} has no page generator to run.`, 'pageGenerators');
  const unknown = options.exportIds?.filter((id) => !plan.generators.some((g) => g.exportId === id)) ?? [];
  if (unknown.length > 0) throw new ApiError('invalid_field', `Not page generators of flow ${flow._id}: ${unknown.join(', ')}.`, '_exportIds');
  const job = newJobRow({
    _id: newId(),
    account_id: accountId,
    type: 'flow',
    status: 'queued',
    flow_id: flow._id,
    integration_id: typeof flow._integrationId === 'string' ? flow._integrationId : null,
    export_id: plan.generators[0]!.exportId,
    extra: JSON.stringify({ ...(options.trigger ? { trigger: options.trigger } : {}), ...(options.chain ? { chain: options.chain } : {}) }),
  });
  const payload: FlowRunPayload = {
    flowId: flow._id,
    ...(options.exportIds ? { exportIds: options.exportIds } : {}),
    ...(options.startDate ? { startDate: options.startDate } : {}),
    ...(options.endDate ? { endDate: options.endDate } : {}),
  };
  return { job, payload };
}

/** Inserts a prepared run's job and work item; call inside a transaction. */
export async function insertFlowRun(trx: Transaction<Database>, services: Services, prepared: ReturnType<typeof prepareFlowRun>) {
  await insertJob(trx, prepared.job);
  await enqueue(trx, { accountId: prepared.job.account_id, jobId: prepared.job._id, kind: FLOW_RUN, payload: prepared.payload, maxAttempts: FLOW_RUN_ATTEMPTS }, services.store.dialect);
}

/**
 * Creates a queued flow job and its work item in one transaction: neither exists without the other.
 * A flow that is already running gets a queued job that starts when the running one ends.
 */
export async function requestFlowRun(services: Services, accountId: string, flowId: string, options: FlowRunOptions = {}) {
  const flow = await services.flows.getInternal(accountId, flowId);
  const prepared = prepareFlowRun(accountId, flow, options);
  await services.store.db.transaction().execute((trx) => insertFlowRun(trx, services, prepared));
  workSignals.emit(WORK_ENQUEUED);
  return prepared.job._id;
}
