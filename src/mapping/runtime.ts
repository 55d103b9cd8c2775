import type { DataType } from './convert.js';
import type { RecordError } from './errors.js';
import type { LookupAnswer } from './lookups.js';

/**
 * Returned by a producer when the rule leaves its target out. It is `undefined`, which JSON cannot
 * hold anyway, so a plain path getter is already a producer.
 */
export const MISSING = undefined;
/** Returned by Cx.dynamic while the first pass only records the values a page needs. */
export const PENDING: unique symbol = Symbol('pending');

/** The current list row: [record, element at the 1st [*], element at the 2nd [*], …]. */
export type Row = readonly unknown[];
export const NO_ROW: Row = [];

/** Per-page state a compiled mapping threads through its producers (one record at a time). */
export interface Cx {
  /** Errors of the current record, or null while it has none. */
  errors: RecordError[] | null;
  /** Index of the list row being built, for error field names. */
  rowIndex: number;
  /** Answers a dynamic lookup (by index) for a value, or PENDING during the collecting pass. */
  dynamic: (index: number, value: unknown) => LookupAnswer | typeof PENDING;
}

/** Computes one output value for a record (and list row): a value, or MISSING. */
export type Produce = (record: unknown, row: Row, cx: Cx) => unknown;

export function pushError(cx: Cx, error: RecordError): void {
  if (cx.errors === null) cx.errors = [error];
  else cx.errors.push(error);
}

/**
 * What a producer does, when it is simple enough for objectBuilder to write it inline: read a path
 * (from the record, or from the list row element at `depth`) and maybe convert it; or a constant.
 */
export type InlineHint =
  | { kind: 'path'; depth: number; keys: readonly (string | number)[]; dataType: DataType | undefined }
  | { kind: 'const'; value: string | number | boolean | null };

export const inlineHints = new WeakMap<Produce, InlineHint>();

export function withHint(fn: Produce, hint: InlineHint): Produce {
  inlineHints.set(fn, hint);
  return fn;
}
