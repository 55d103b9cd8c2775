import type { TSchema } from 'typebox';

/**
 * The contract every application adaptor implements (one folder per adaptor under `src/adaptors/`,
 * one line in `registry.ts`). The engine calls it; nothing else talks to applications.
 *
 * Documents arrive as stored resources: a connection is `{_id, type, <type block>: {...}}` with its
 * secrets already decrypted; an export or import is the stored resource with its adaptor block
 * (`http`, `rdbms`, `ftp`, …).
 */
export type Doc = { _id: string; [field: string]: unknown };

/** A record as exports yield it: canonical JSON. */
export type DataRecord = Record<string, unknown>;

/** A problem an export met that does not stop the run (a repeated paging token, an unparsable row). */
export interface ExportProblem {
  code: string;
  message: string;
  /** The raw data that failed, kept as retry data when there is one. */
  data?: unknown;
}

export interface ExportPage {
  records: DataRecord[];
  problems?: ExportProblem[];
}

/** Per-record result of an import: §6.5 of the API contract. */
export interface RecordOutcome {
  /** 200 success (may carry errors = partial success), 422 data error, 401/403 connection offline. */
  statusCode: number;
  id?: string | number;
  ignored?: boolean;
  errors?: { code: string; message: string; source?: string }[];
  _json?: unknown;
}

export interface RunContext {
  /** Fires when the job is canceled or the process shuts down: stop promptly. */
  signal: AbortSignal;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Values exposed to Handlebars templates (settings, state, delta times). */
  templateData: Record<string, unknown>;
  /** ISO time of the last committed run (delta exports); absent on the first run. */
  lastExportDateTime?: string;
  /** ISO time this run started: the next delta checkpoint. */
  currentExportDateTime: string;
  /** Preview/test mode: nothing may be written to the application. */
  testMode?: boolean;
  /**
   * The id of the job this run belongs to (the flow job, or the retry job), the same when an interrupted run
   * resumes; absent outside a job (previews). Keys state an adaptor keeps for the run (file imports' spools).
   */
  runId?: string;
}

export interface ExportRequest {
  export: Doc;
  /** Records per page (export.pageSize, default 20). */
  pageSize: number;
  /** Stop after this many records in total (test exports, invoke previews). */
  limit?: number;
}

export interface ImportRequest {
  import: Doc;
  /** Mapped records, one outcome expected for each, in the same order. */
  records: DataRecord[];
  /** 0-based index of this page in the run, when the engine knows it (first-page-only writes). */
  pageIndex?: number;
}

/** What `AdaptorSession.commitImport` is called with: the import whose run completed. */
export interface ImportCommitRequest {
  import: Doc;
}

export interface LookupRequest {
  import: Doc;
  lookup: Record<string, unknown>;
  /** One entry per distinct source value; answer with the matches for each, same order. */
  values: unknown[];
}

/** A lookup's answers, aligned with `LookupRequest.values`: each value's matches, or why searching it failed. */
export type LookupAnswers = (unknown[] | { error: string })[];

/** A problem `Adaptor.check` found in a block. */
export interface BlockProblem {
  code: string;
  field: string;
  message: string;
}

/** An open connection to one application; created per run (or per page) and closed after. */
export interface AdaptorSession {
  /** Throws an Error with a clear message ("connecting to …: …") when the application cannot be reached. */
  ping(ctx: RunContext): Promise<void>;
  /** Yields pages in order until the source is exhausted; throws to fail the export step. */
  exportPages?(req: ExportRequest, ctx: RunContext): AsyncIterable<ExportPage>;
  /**
   * Optional. The engine calls it once after a run whose pages came from `exportPages(req)` has committed
   * (every page processed and its outcomes stored), with the same `req`. File exports move or delete the
   * files they read here. A run that fails, is canceled or is a preview never calls it, so the source data
   * stays in place and the next run reads it again. Called on the same session, before `close()` (the
   * file adaptors also accept it after `close()`: they reconnect). Throws when the clean-up failed (the
   * run's data is already committed; the engine records the error on the job).
   */
  commitExport?(req: ExportRequest, ctx: RunContext): Promise<void>;
  /** Writes one page; returns exactly one outcome per record. Throws only when the whole page failed. */
  importRecords?(req: ImportRequest, ctx: RunContext): Promise<RecordOutcome[]>;
  /**
   * Optional. The engine calls it once per import step after the run completed (every page through every step
   * and its outcomes stored), before `close()`, with the same `ctx.runId` the pages had. File imports that
   * aggregate a run into one file (`file.skipAggregation: false`) upload that file here. A run that fails, is
   * canceled or is a preview (test mode) never calls it. Throws when the delivery failed: the engine records a
   * `commit_failed` error on the import's job (the records' outcomes are already stored).
   */
  commitImport?(req: ImportCommitRequest, ctx: RunContext): Promise<void>;
  /**
   * Dynamic lookups for the mapper: one answer per value, its matches or `{error}` when searching that
   * value failed (the other values keep their answers). Rejects only when the whole call failed.
   */
  lookup?(req: LookupRequest, ctx: RunContext): Promise<LookupAnswers>;
  close(): Promise<void>;
}

export interface Adaptor {
  /** Connection `type` this adaptor serves (`http`, `rdbms`, `ftp`, `s3`, …). */
  readonly connectionType: string;
  /** Export `adaptorType` values it runs, e.g. `['HTTPExport']`. */
  readonly exportTypes: readonly string[];
  /** Import `adaptorType` values it runs, e.g. `['HTTPImport']`. */
  readonly importTypes: readonly string[];
  /** JSON schemas of the adaptor's blocks, used to validate resources and document them. */
  readonly schemas: {
    /** The top-level `file` block of file exports and imports (formats), when the adaptor reads or writes files. */
    file?: TSchema;
    connection?: TSchema;
    export?: TSchema;
    import?: TSchema;
  };
  /** Name of the block on each resource (`http`, `rdbms`…). */
  readonly blockName: string;
  /**
   * Optional checks of a block at save time, beyond its schema (templates that do not compile, bad
   * identifiers); each problem names its field in full (`rdbms.query[0]`). Answered as a 422.
   */
  check?(resource: 'connection' | 'export' | 'import', block: Record<string, unknown>): BlockProblem[];
  open(connection: Doc): Promise<AdaptorSession>;
}

/**
 * Where a session stores credentials it renewed (a rotated OAuth refresh token, a fetched access token):
 * `update` maps dotted paths of the connection document (`http.auth.oauth.refreshToken`) to new values.
 * The platform attaches one to the connection documents it opens sessions on
 * (`domain/adaptor-connections.ts`); it is not part of the stored document and never serialised.
 */
export type CredentialsSink = (update: Record<string, unknown>) => Promise<void>;

const CREDENTIALS_SINK = Symbol('integrator.credentialsSink');

/** Attaches `sink` to a connection document (kept through object spreads, invisible to JSON). */
export function attachCredentialsSink<T extends Doc>(connection: T, sink: CredentialsSink): T {
  Object.defineProperty(connection, CREDENTIALS_SINK, { value: sink, enumerable: true, configurable: true });
  return connection;
}

export function credentialsSinkOf(connection: Doc): CredentialsSink | undefined {
  return (connection as { [CREDENTIALS_SINK]?: CredentialsSink })[CREDENTIALS_SINK];
}
