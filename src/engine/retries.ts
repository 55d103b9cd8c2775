import type { Services } from '../domain/services.js';
import { ApiError, type ErrorItem } from '../errors.js';
import { newId } from '../ids.js';
import { enqueue } from '../queue/work-queue.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';
import { openStepErrors } from '../store/job-errors.js';
import { insertJob, newJobRow, type JobRow } from '../store/jobs.js';
import { planFlow, type FlowPlan } from './flow-plan.js';

export const RETRY_RUN = 'retry_run';

export interface RetryRunPayload {
  flowId: string;
  stepId: string;
  retryDataKeys: string[];
}

/** The processor index a step's records re-enter at: its own for a processor, the first for a generator. */
export function retryStartStep(plan: FlowPlan, stepId: string): number | undefined {
  const processor = plan.processors.find((p) => p.stepId === stepId);
  if (processor) return processor.index;
  return plan.generators.some((g) => g.exportId === stepId) ? 0 : undefined;
}

/**
 * Queues a retry job for open errors of one flow step (chosen by retry data key or error id; all open
 * retriable errors when neither is given). The job re-runs those records from the failing step on.
 */
export async function requestRetry(services: Services, accountId: string, flowId: string, stepId: string, pick: { retryDataKeys?: string[]; errorIds?: string[] }): Promise<JobRow> {
  const flow = await services.flows.getInternal(accountId, flowId);
  const plan = planFlow(flow);
  if (retryStartStep(plan, stepId) === undefined) throw new ApiError('not_found', `Step ${stepId} is not part of flow ${flowId}.`);
  const open = await openStepErrors(services.store.db, accountId, flowId, stepId, pick);
  // Every key or id asked for must name an open error of this step: a typo retries nothing, loudly.
  const unknown: ErrorItem[] = [];
  const openKeys = new Set(open.map((e) => e.retry_data_key));
  const openIds = new Set(open.map((e) => e._id));
  pick.retryDataKeys?.forEach((k, i) => {
    if (!openKeys.has(k)) unknown.push({ code: 'invalid_field', field: `retryDataKeys[${i}]`, message: `${k} is not the retry data key of an open error of step ${stepId} (unknown, or already resolved or retried).` });
  });
  pick.errorIds?.forEach((id, i) => {
    if (!openIds.has(id)) unknown.push({ code: 'invalid_field', field: `errorIds[${i}]`, message: `${id} is not an open error of step ${stepId} (unknown, or already resolved or retried).` });
  });
  if (unknown.length > 0) throw new ApiError(unknown, 422);
  const errors = open.filter((e) => e.retry_data_key !== null);
  const keys = [...new Set(errors.map((e) => e.retry_data_key!))];
  if (keys.length === 0) throw new ApiError('invalid_field', 'No open error with retry data matches; resolved errors and errors without retry data cannot be retried.', pick.retryDataKeys ? 'retryDataKeys' : pick.errorIds ? 'errorIds' : undefined);
  const isImport = plan.processors.some((p) => p.stepId === stepId && p.type === 'import');
  const job = newJobRow({
    _id: newId(),
    account_id: accountId,
    type: 'retry',
    status: 'queued',
    flow_id: flowId,
    integration_id: typeof flow._integrationId === 'string' ? flow._integrationId : null,
    export_id: isImport ? null : stepId,
    import_id: isImport ? stepId : null,
    flow_job_id: errors[0]!.flow_job_id,
    retry_of_job_id: errors[0]!.flow_job_id ?? errors[0]!.job_id,
    extra: JSON.stringify({ _expOrImpId: stepId, numRetryRecords: keys.length }),
  });
  const payload: RetryRunPayload = { flowId, stepId, retryDataKeys: keys };
  await services.store.db.transaction().execute(async (trx) => {
    await insertJob(trx, job);
    await enqueue(trx, { accountId, jobId: job._id, kind: RETRY_RUN, payload, maxAttempts: 5 }, services.store.dialect);
  });
  workSignals.emit(WORK_ENQUEUED);
  return job;
}
