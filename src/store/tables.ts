import type { Generated } from 'kysely';

// Portable-SQL rules (spec/stack.md §5): text ids, epoch-ms integers for time, JSON documents as text,
// 0/1 for booleans, filtered fields promoted to their own columns.

export interface AccountTable {
  _id: string;
  name: string;
  created_at: number;
}

export interface UserTable {
  _id: string;
  account_id: string;
  email: string;
  name: string;
  role: string;
  created_at: number;
}

export interface TokenTable {
  _id: string;
  account_id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the token string; the token itself is never stored. */
  token_hash: string;
  /** JSON: `"*"` or a list of resource ids. */
  scope: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  /** `api` (a user's token) or `one_time` (minted for one extension call). */
  kind: Generated<string>;
  /** Auto-purge choice as the API names it (`1 hour` … `never`); `expires_at` holds its effect. */
  auto_purge: string | null;
}

/** Every configurable resource (connection, export, import, flow, integration…) as one JSON document. */
export interface ResourceTable {
  _id: string;
  account_id: string;
  kind: string;
  name: string | null;
  doc: string;
  created_at: number;
  last_modified: number;
  integration_id: string | null;
  connection_id: string | null;
  connector_id: string | null;
  adaptor_type: string | null;
}

/** Which resource uses which: kept on every write so deletes can refuse `still_referenced`. */
export interface ResourceRefTable {
  account_id: string;
  from_id: string;
  to_id: string;
}

export interface JobTable {
  _id: string;
  account_id: string;
  type: string;
  status: string;
  flow_id: string | null;
  integration_id: string | null;
  export_id: string | null;
  import_id: string | null;
  flow_job_id: string | null;
  retry_of_job_id: string | null;
  o_index: number | null;
  num_export: number;
  num_success: number;
  num_error: number;
  num_ignore: number;
  num_resolved: number;
  num_open_error: number;
  num_pages_generated: number;
  num_pages_processed: number;
  done_exporting: number;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  last_modified: number;
  canceled_by: string | null;
  /** JSON: fields without a column (run options, failure reason). */
  extra: string;
}

export interface JobErrorTable {
  _id: string;
  account_id: string;
  flow_id: string;
  step_id: string;
  job_id: string;
  flow_job_id: string | null;
  occurred_at: number;
  source: string;
  code: string;
  message: string;
  trace_key: string | null;
  o_index: number | null;
  retry_data_key: string | null;
  /** JSON `{data, stage, traceKey}`: the record as it entered the failing step. */
  retry_data: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
}

export interface WorkItemTable {
  _id: string;
  account_id: string;
  job_id: string;
  kind: string;
  payload: string;
  status: string;
  run_at: number;
  locked_until: number | null;
  locked_by: string | null;
  attempts: number;
  max_attempts: number;
  created_at: number;
}

export interface StateTable {
  account_id: string;
  /** '' for global keys, else the owning resource's id. */
  scope_id: string;
  key: string;
  value: string;
  updated_at: number;
}

/** One leaky bucket per account (API rate limit), shared by every process on PostgreSQL. */
export interface RateBucketTable {
  account_id: string;
  tokens: number;
  updated_at: number;
  /** 1 when the last take succeeded: read back by the same atomic UPDATE … RETURNING. */
  allowed: number;
}

/** Who changed what, when: documents before and after, secrets masked. */
export interface AuditLogTable {
  _id: string;
  account_id: string;
  user_id: string | null;
  token_id: string | null;
  source: string;
  action: string;
  resource_type: string;
  resource_id: string;
  before_doc: string | null;
  after_doc: string | null;
  created_at: number;
}

/** A part of a resource configured on its own route (`distributed`). */
export interface ResourcePartTable {
  account_id: string;
  resource_id: string;
  part: string;
  doc: string;
  last_modified: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** Engine: a page of records stored between flow steps (migration 003). */
export interface PageTable {
  _id: string;
  account_id: string;
  job_id: string;
  generator_index: number;
  page_index: number;
  /** Index of the page processor the page goes to next (= processors.length when done). */
  next_step: number;
  /** JSON array of records as they enter `next_step`. */
  records: string;
  created_at: number;
}

/** Engine: the running job of a flow (one at most). */
export interface FlowLockTable {
  flow_id: string;
  job_id: string;
  locked_at: number;
}

/** Engine: a schedule slot already turned into a job. */
export interface ScheduleSlotTable {
  flow_id: string;
  slot_at: number;
  job_id: string;
}

/** Engine: delta checkpoint per flow page generator. */
export interface DeltaCursorTable {
  account_id: string;
  flow_id: string;
  export_id: string;
  last_export_at: number;
  updated_at: number;
}

export interface Database {
  accounts: AccountTable;
  users: UserTable;
  tokens: TokenTable;
  resources: ResourceTable;
  resource_refs: ResourceRefTable;
  jobs: JobTable;
  job_errors: JobErrorTable;
  work_items: WorkItemTable;
  state: StateTable;
  meta: MetaTable;
  rate_buckets: RateBucketTable;
  audit_log: AuditLogTable;
  resource_parts: ResourcePartTable;
  pages: PageTable;
  flow_locks: FlowLockTable;
  schedule_slots: ScheduleSlotTable;
  delta_cursors: DeltaCursorTable;
}

// Kept for future auto-increment-free tables that want a generated column type.
export type { Generated };
