import type { DataRecord, RunContext } from '../adaptors/adaptor.js';
import type { ErrorDetail } from './record-errors.js';

/** What became of one record at one page processor. */
export interface RecordResult {
  status: 'success' | 'ignored' | 'failed';
  /** What response mapping reads: imports `{id, statusCode, errors, ignored, _json}`, lookups `{data, errors}`. */
  response: Record<string, unknown>;
  /** Errors to store (a success may carry some: partial success). */
  errors: ErrorDetail[];
}

export interface StepOutput {
  /** One result per input record, same order. */
  results: RecordResult[];
  /** Test mode only: the payloads the step would have sent (mapped records), one per submitted record. */
  preview?: unknown[];
}

/**
 * One page processor of a running flow (an import, or an export used as a lookup), opened once per
 * run. Contract: `processPage` returns exactly one result per record; it throws only when the page
 * cannot be processed at all, and then every record of the page fails.
 */
export interface ProcessorStep {
  processPage(records: DataRecord[], ctx: RunContext, pageIndex: number): Promise<StepOutput>;
  /** Called once after the run completed, before `close` (never in test mode); throws when the delivery failed. */
  commit?(ctx: RunContext): Promise<void>;
  close(): Promise<void>;
}
