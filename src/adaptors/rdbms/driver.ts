/**
 * The internal interface every SQL dialect implements (one small file per dialect). The RDBMS adaptor's
 * export, import and lookup code talk only to this; nothing outside `adaptors/rdbms` sees it.
 */

export type Row = Record<string, unknown>;

export interface QueryResult {
  rows: Row[];
  /** Rows changed by a write (or returned by a read). */
  rowCount: number;
}

/** Something that runs one SQL statement with bind parameters: the driver itself or an open transaction. */
export interface SqlRunner {
  query(sql: string, params?: readonly unknown[]): Promise<QueryResult>;
}

export interface StreamOptions {
  readOnly?: boolean;
}

/** Message of the error a read-only export query gets when it writes. */
export const READ_ONLY_MESSAGE = 'in test mode (preview, invoke) an export query may only read';

export type Dialect = 'sqlite' | 'postgresql' | 'mysql';

export interface RdbmsDriver extends SqlRunner {
  readonly dialect: Dialect;
  /** Human name of the target, used in messages: `PostgreSQL at db:5432`. */
  readonly description: string;
  /** Most bind parameters one statement may carry. */
  readonly maxParams: number;
  /** Bind placeholder for the n-th parameter (1-based): `$1` or `?`. */
  placeholder(n: number): string;
  /** Quotes one identifier part (already validated by `checkIdentifier`). */
  quoteIdentifier(name: string): string;
  /**
   * Yields the rows of a query in pages of at most `pageSize`, holding a server-side cursor. With
   * `readOnly` (previews, invoke) the query runs in a read-only transaction that is rolled back, so a
   * statement that writes fails instead of changing data.
   */
  stream(sql: string, params: readonly unknown[], pageSize: number, signal?: AbortSignal, options?: StreamOptions): AsyncGenerator<Row[]>;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws or when `rollback` is set. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>, options?: { rollback?: boolean }): Promise<T>;
  /**
   * Writes rows (`values[i]` aligned with `columns`) with one multi-row statement: an upsert on `keys`
   * when keys are given, a plain insert otherwise.
   */
  upsert(runner: SqlRunner, table: string, columns: readonly string[], values: readonly unknown[][], keys: readonly string[]): Promise<QueryResult>;
  /** True when an error says the connection or server failed, as opposed to one statement or record. */
  isConnectionError(err: unknown): boolean;
  close(): Promise<void>;
}

/** Thrown when the database cannot be reached; the message says where. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Validates an identifier (a table may be `schema.table`); throws with a message naming it. */
export function checkIdentifier(name: unknown, what: string): string[] {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${what} is missing`);
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => !IDENTIFIER.test(p))) {
    throw new Error(`${what} "${name}" is not a valid SQL identifier (letters, digits, _ and $; optionally schema.name)`);
  }
  return parts;
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function quoteName(driver: Pick<RdbmsDriver, 'quoteIdentifier'>, name: string, what = 'table name'): string {
  return checkIdentifier(name, what).map((p) => driver.quoteIdentifier(p)).join('.');
}

/** `(p1, p2), (p3, p4)` for `rows` rows of `cols` placeholders. */
export function valuesList(cols: number, rows: number, placeholder: (n: number) => string): string {
  const out: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const ps: string[] = [];
    for (let c = 0; c < cols; c++) ps.push(placeholder(n++));
    out.push(`(${ps.join(', ')})`);
  }
  return out.join(', ');
}

/** Error text with the useful extras some drivers keep apart (PostgreSQL's `detail`). */
export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(errorMessage).join('; ');
  if (err instanceof Error) {
    const detail = (err as { detail?: unknown }).detail;
    const base = err.message || String((err as { code?: unknown }).code ?? err.name);
    return typeof detail === 'string' && detail ? `${base} (${detail})` : base;
  }
  return String(err);
}

export function errorCode(err: unknown, fallback = 'db_error'): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : fallback;
}

/** Canonical JSON for a value read from a database row. */
export function fromDb(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

export function rowToRecord(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) out[key] = fromDb(row[key]);
  return out;
}

/** Objects and arrays go to the database as JSON text; undefined as NULL. */
export function jsonParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}

/** A tiny mutex: one transaction at a time on a single-connection driver. */
export function serialiser(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
