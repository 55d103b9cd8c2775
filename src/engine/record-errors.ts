import { newId } from '../ids.js';
import type { JobErrorRow } from '../store/job-errors.js';

/** Where a failed record was and what it looked like when it entered the failing step. */
export interface StepContext {
  accountId: string;
  flowId: string;
  stepId: string;
  jobId: string;
  flowJobId: string;
  oIndex: number;
  skipRetries: boolean;
}

export interface RecordFailure {
  code: string;
  message: string;
  source: string;
  /** The record as it entered the failing step; stored as retry data. */
  record?: unknown;
  traceKey?: string;
}

/** One job error row per failure, with retry data unless the step skips retries. */
export function jobErrorRows(step: StepContext, failures: RecordFailure[], now = Date.now()): JobErrorRow[] {
  return failures.map((f) => {
    const id = newId();
    const retriable = !step.skipRetries && f.record !== undefined;
    return {
      _id: id,
      account_id: step.accountId,
      flow_id: step.flowId,
      step_id: step.stepId,
      job_id: step.jobId,
      flow_job_id: step.flowJobId,
      occurred_at: now,
      source: f.source,
      code: f.code,
      message: f.message.length > 5000 ? `${f.message.slice(0, 5000)}…` : f.message,
      trace_key: f.traceKey ?? traceKeyOf(f.record) ?? null,
      o_index: step.oIndex,
      retry_data_key: retriable ? id : null,
      retry_data: retriable ? JSON.stringify({ data: f.record, stage: step.stepId, traceKey: f.traceKey ?? traceKeyOf(f.record) }) : null,
      resolved_at: null,
      resolved_by: null,
    };
  });
}

/** Default trace key: the record's id, when it has one. */
export function traceKeyOf(record: unknown): string | undefined {
  if (!record || typeof record !== 'object') return undefined;
  const r = record as Record<string, unknown>;
  const id = r.id ?? r._id ?? r.Id ?? r.ID;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
