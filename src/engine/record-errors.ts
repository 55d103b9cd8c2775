import { newId } from '../ids.js';
import type { JobErrorRow } from '../store/job-errors.js';

/** Where failed records were and which jobs count them. */
export interface StepContext {
  accountId: string;
  flowId: string;
  /** The export or import `_id` of the failing step. */
  stepId: string;
  /** The job that counts the failure (a child job, or a retry job). */
  jobId: string;
  /** The parent flow job (the retry job itself for retries). */
  flowJobId: string;
  oIndex: number;
  skipRetries: boolean;
}

export interface ErrorDetail {
  code: string;
  message: string;
  source: string;
}

/** One failed record: its errors and the record as it entered the failing step (its retry data). */
export interface RecordFailure {
  errors: ErrorDetail[];
  record?: unknown;
  traceKey?: string;
}

/**
 * Job error rows for failed records. The errors of one record share one retry data key, so a retry
 * sends the record once however many errors it had.
 */
export function jobErrorRows(step: StepContext, failures: RecordFailure[], now = Date.now()): JobErrorRow[] {
  const rows: JobErrorRow[] = [];
  for (const f of failures) {
    const retriable = !step.skipRetries && f.record !== undefined;
    const traceKey = f.traceKey ?? traceKeyOf(f.record);
    const retryDataKey = retriable ? newId() : null;
    const retryData = retriable ? JSON.stringify({ data: f.record, stage: step.stepId, traceKey }) : null;
    const errors = f.errors.length > 0 ? f.errors : [{ code: 'unknown_error', message: 'the record failed without an error message', source: 'internal' }];
    for (const e of errors) {
      rows.push({
        _id: newId(),
        account_id: step.accountId,
        flow_id: step.flowId,
        step_id: step.stepId,
        job_id: step.jobId,
        flow_job_id: step.flowJobId,
        occurred_at: now,
        source: e.source,
        code: e.code,
        message: e.message.length > 5000 ? `${e.message.slice(0, 5000)}…` : e.message,
        trace_key: traceKey ?? null,
        o_index: step.oIndex,
        retry_data_key: retryDataKey,
        retry_data: retryData,
        resolved_at: null,
        resolved_by: null,
      });
    }
  }
  return rows;
}

/** Default trace key: the record's id, when it has one. */
export function traceKeyOf(record: unknown): string | undefined {
  if (!record || typeof record !== 'object') return undefined;
  const r = record as Record<string, unknown>;
  const id = r.id ?? r._id ?? r.Id ?? r.ID;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
