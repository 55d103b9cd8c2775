import type { JobErrorRow } from '../store/job-errors.js';
import type { JobRow } from '../store/jobs.js';

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());
const PURGE_AFTER_MS = 30 * 24 * 3600 * 1000;

/** A job as the API shows it (§4.13). */
export function jobToApi(row: JobRow): Record<string, unknown> {
  // Engine bookkeeping (run window, retry progress) lives under `_`-prefixed keys other than link ids.
  const extra = Object.fromEntries(
    Object.entries(JSON.parse(row.extra) as Record<string, unknown>).filter(([k]) => k === '_expOrImpId' || !k.startsWith('_')),
  );
  const out: Record<string, unknown> = {
    _id: row._id,
    type: row.type,
    status: row.status,
    _flowId: row.flow_id ?? undefined,
    _integrationId: row.integration_id ?? undefined,
    _exportId: row.export_id ?? undefined,
    _importId: row.import_id ?? undefined,
    _flowJobId: row.flow_job_id ?? undefined,
    _retryOfJobId: row.retry_of_job_id ?? undefined,
    oIndex: row.o_index ?? undefined,
    numExport: row.num_export,
    numSuccess: row.num_success,
    numError: row.num_error,
    numIgnore: row.num_ignore,
    numResolved: row.num_resolved,
    numOpenError: row.num_open_error,
    numPagesGenerated: row.num_pages_generated,
    numPagesProcessed: row.num_pages_processed,
    createdAt: iso(row.created_at),
    lastModified: iso(row.last_modified),
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    lastExecutedAt: iso(row.ended_at ?? row.started_at),
    purgeAt: iso(row.created_at + PURGE_AFTER_MS),
    canceledBy: row.canceled_by ?? undefined,
    ...extra,
  };
  if (row.type === 'flow') out.doneExporting = row.done_exporting === 1;
  if (row.started_at !== null) out.queueTime = row.started_at - row.created_at;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** A job error in the legacy job-centric shape (`GET /jobs/:id/joberrors`) plus the modern fields. */
export function jobErrorToApi(row: JobErrorRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    _id: row._id,
    errorId: row._id,
    _jobId: row.job_id,
    _flowJobId: row.flow_job_id ?? undefined,
    _flowId: row.flow_id,
    _expOrImpId: row.step_id,
    occurredAt: iso(row.occurred_at),
    createdAt: iso(row.occurred_at),
    source: row.source,
    code: row.code,
    message: row.message,
    traceKey: row.trace_key ?? undefined,
    oIndex: row.o_index ?? undefined,
    retryDataKey: row.retry_data_key ?? undefined,
    retry: row.retry_data_key !== null,
    resolved: row.resolved_at !== null,
    resolvedAt: iso(row.resolved_at),
    resolvedBy: row.resolved_by ?? undefined,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
