import { converterFor, toStringValue } from './convert.js';
import { copyValue } from './copy.js';
import { describeValue, type DynamicLookup, type Lookup } from './lookups.js';
import { compileGetter, formatPath, hasWildcard, isPlainKey, splitAtWildcards, type Segment } from './path.js';
import { compileDateFormatter, compileDateParser } from './dates.js';
import type { DatePlan, FieldPlan, SourcePlan } from './plan.js';
import { MISSING, PENDING, pushError, withHint, type Cx, type InlineHint, type Produce, type Row } from './runtime.js';

type Key = string | number;
type Source = (record: unknown, row: Row) => unknown;

/** Where a field rule sits: at the top of the document, or in a list whose rows iterate `[*]`. */
export interface FieldContext {
  /** The list's generate path, when the rule belongs to a list. */
  list: Key[] | undefined;
  /** Index of a dynamic lookup in the page's lookup batch. */
  dynamicIndex(lookup: DynamicLookup): number;
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';

/** A constant; objects are copied per use so that no two records share one. */
function constant(value: unknown): () => unknown {
  if (typeof value !== 'object' || value === null) return () => value;
  return () => copyValue(value);
}

/** Reads a path; `copy` when the value goes to the output as it is (see copyValue). */
function pathSource(path: Segment[], inList: boolean, copy: boolean): Source {
  const parts = splitAtWildcards(path);
  const depth = parts.length - 1;
  // In a list, a path with [*] reads from the row element of its deepest wildcard.
  if (!inList || depth === 0) {
    const get = compileGetter(path);
    return copy ? (record) => copyValue(get(record)) : get;
  }
  const tail = compileGetter(parts[depth] as Key[]);
  return copy ? (_record, row) => copyValue(tail(row[depth])) : (_record, row) => tail(row[depth]);
}

function templateSource(parts: readonly (string | Segment[])[], inList: boolean): Source {
  const lits: string[] = [''];
  const fns: Source[] = [];
  for (const part of parts) {
    if (typeof part === 'string') lits[lits.length - 1] += part;
    else {
      fns.push(pathSource(part, inList, false));
      lits.push('');
    }
  }
  const [l0 = '', l1 = ''] = lits;
  if (fns.length === 0) return () => l0;
  if (fns.length === 1) {
    const f0 = fns[0] as Source;
    return (record, row) => l0 + toStringValue(f0(record, row)) + l1;
  }
  return (record, row) => {
    let s = l0;
    for (let i = 0; i < fns.length; i++) s += toStringValue((fns[i] as Source)(record, row)) + lits[i + 1];
    return s;
  };
}

function compileSource(source: SourcePlan, inList: boolean, lookup: Lookup | undefined): Source {
  switch (source.kind) {
    case 'path':
      return pathSource(source.path, inList, lookup === undefined);
    case 'template':
      return templateSource(source.parts, inList);
    case 'hard':
      return constant(source.value);
    case 'none':
      // A dynamic lookup without extract is given the whole record to fill its own placeholders.
      return lookup?.kind === 'dynamic' ? (record) => record : () => undefined;
  }
}

/** The inline form of a rule without lookup or default that reads one path or is a primitive constant. */
function hintOf(plan: FieldPlan, inList: boolean): InlineHint | undefined {
  const source = plan.source;
  if (source.kind === 'hard') {
    const v = plan.dataType === undefined ? source.value : converterFor(plan.dataType)(source.value);
    const primitive =
      typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isFinite(v));
    return primitive ? { kind: 'const', value: v as string | number | boolean | null } : undefined;
  }
  if (source.kind !== 'path') return undefined;
  const parts = splitAtWildcards(source.path);
  const depth = parts.length - 1;
  if (depth > 0 && !inList) return undefined; // collects
  const keys = parts[depth] as (string | number)[];
  return keys.every(isPlainKey) ? { kind: 'path', depth, keys, dataType: plan.dataType } : undefined;
}

/** Compiles one field rule into a producer; every decision about the rule is taken here, once. */
export function compileField(plan: FieldPlan, ctx: FieldContext): Produce {
  const inList = ctx.list !== undefined;
  const lookup = plan.lookup;
  const src = compileSource(plan.source, inList, lookup);
  // Outside lists a wildcard extract collects an array; conversions and lookups apply per element.
  const collects = !inList && plan.source.kind === 'path' && hasWildcard(plan.source.path);
  const conv = plan.dataType === undefined ? undefined : converterFor(plan.dataType);
  const hasDef = plan.hasDefault;
  const def = constant(plan.default);

  // Rules with date formats, discardIfEmpty or a condition take their own path, so plain rules keep theirs.
  if (plan.date !== undefined || plan.discardIfEmpty || plan.when !== undefined) {
    return compileExtended(plan, ctx, src, collects, conv, hasDef, def);
  }

  if (lookup === undefined) {
    if (collects) {
      const whenMissing = (): unknown => (hasDef ? (conv ? conv(def()) : def()) : conv ? conv(undefined) : MISSING);
      return (record, row) => {
        const v = src(record, row) as unknown[] | undefined;
        if (v === undefined) return whenMissing();
        return conv ? v.map(conv) : v;
      };
    }
    const hint = !hasDef ? hintOf(plan, inList) : undefined;
    if (hint !== undefined) return withHint(conv === undefined ? src : (record, row) => conv(src(record, row)), hint);
    if (conv === undefined && !hasDef) return src;
    if (conv === undefined) {
      return (record, row) => {
        const v = src(record, row);
        return isEmpty(v) ? def() : v;
      };
    }
    if (!hasDef) return (record, row) => conv(src(record, row));
    return (record, row) => {
      const v = src(record, row);
      return conv(isEmpty(v) ? def() : v);
    };
  }

  const resolve = lookupResolver(plan, lookup, ctx, conv, hasDef, def);
  if (!collects) return (record, row, cx) => resolve(src(record, row), cx);
  return (record, row, cx) => {
    const v = src(record, row) as unknown[] | undefined;
    if (v === undefined) return resolve(undefined, cx);
    const out: unknown[] = [];
    for (const el of v) {
      const r = resolve(el, cx);
      if (r !== MISSING) out.push(r);
    }
    return out;
  };
}

/** Returned by a lookup resolver in probe mode when the lookup finds nothing (conditional lookup_*). */
const NOT_FOUND: unique symbol = Symbol('not found');
/** A date that could not be read, with the error already recorded. */
const FAILED: unique symbol = Symbol('failed');
/** A date that could not be read, in a rule with a default. */
const USE_DEFAULT: unique symbol = Symbol('use default');

/** The output path of a rule, with the list row, for record errors. */
function fieldNameOf(plan: FieldPlan, list: Key[] | undefined, cx: Cx): string {
  return formatPath(list === undefined ? plan.generate : [...list, cx.rowIndex, ...plan.generate]);
}

/** The date conversion of a rule: text in the generate format, or undefined when the value is not a date. */
function dateConverter(date: DatePlan): (v: unknown) => string | undefined {
  const parse = compileDateParser(date.extractFormat, date.extractZone);
  const format = compileDateFormatter(date.generateFormat, date.generateZone);
  return (v) => {
    const ms = parse(v);
    return ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15 ? undefined : format(ms);
  };
}

/**
 * A rule with date formats, `discardIfEmpty` or `conditional.when`. Order: the condition on the
 * extracted value (extract_not_empty), the date conversion (an empty value is left as is), the default
 * and the lookup (with its condition), dataType, then discardIfEmpty.
 */
function compileExtended(
  plan: FieldPlan,
  ctx: FieldContext,
  src: Source,
  collects: boolean,
  conv: ((v: unknown) => unknown) | undefined,
  hasDef: boolean,
  def: () => unknown,
): Produce {
  const list = ctx.list;
  const lookup = plan.lookup;
  const when = plan.when;
  const probe = when === 'lookup_not_empty' || when === 'lookup_empty';
  const convert = plan.date === undefined ? undefined : dateConverter(plan.date);
  const formatText = plan.date?.extractFormat === undefined ? 'an ISO 8601 date' : `a date in the format ${JSON.stringify(plan.date.extractFormat)}`;
  const dated = (v: unknown, cx: Cx): unknown => {
    if (convert === undefined || isEmpty(v)) return v;
    const d = convert(v);
    if (d !== undefined) return d;
    if (hasDef) return USE_DEFAULT;
    pushError(cx, { code: 'invalid_date', message: `${describeValue(v)} is not ${formatText}`, field: fieldNameOf(plan, list, cx) });
    return FAILED;
  };
  const finish = conv ?? ((v: unknown) => v);
  const resolve: (v: unknown, cx: Cx) => unknown =
    lookup === undefined
      ? (v) => finish(isEmpty(v) && hasDef ? def() : v)
      : lookupResolver(plan, lookup, ctx, conv, hasDef, def, probe);
  // lookup_empty: the value when the lookup finds nothing is the one allowFailures or a default gives, never an error.
  const lookupDefault = constant(lookup?.default);
  const onMiss = (): unknown => {
    const done = conv ?? copyValue;
    if (lookup?.allowFailures) return done(lookup.hasDefault ? lookupDefault() : hasDef ? def() : '');
    return hasDef ? done(def()) : MISSING;
  };
  const one = (raw: unknown, cx: Cx): unknown => {
    let v = dated(raw, cx);
    if (v === FAILED) return MISSING;
    if (v === USE_DEFAULT) v = undefined;
    const r = resolve(v, cx);
    if (when === 'lookup_not_empty') return r === NOT_FOUND ? MISSING : r;
    if (when === 'lookup_empty') return r === NOT_FOUND ? onMiss() : MISSING;
    return r;
  };
  const discard = plan.discardIfEmpty;
  const extractNotEmpty = when === 'extract_not_empty';

  if (!collects) {
    return (record, row, cx) => {
      const v = src(record, row);
      if (extractNotEmpty && isEmpty(v)) return MISSING;
      const r = one(v, cx);
      return discard && isEmpty(r) ? MISSING : r;
    };
  }
  // Outside lists a [*] extract collects an array; each element is converted, as in plain rules.
  const element = (raw: unknown, cx: Cx): unknown => {
    if (lookup !== undefined) return one(raw, cx);
    const v = dated(raw, cx);
    if (v === FAILED) return MISSING;
    return finish(v === USE_DEFAULT ? def() : v);
  };
  return (record, row, cx) => {
    const v = src(record, row) as unknown[] | undefined;
    if (extractNotEmpty && (v === undefined || v.length === 0)) return MISSING;
    let r: unknown;
    if (v === undefined) r = one(undefined, cx);
    else {
      const out: unknown[] = [];
      for (const el of v) {
        const e = element(el, cx);
        if (e !== MISSING || lookup === undefined) out.push(e);
      }
      r = out;
    }
    return discard && isEmpty(r) ? MISSING : r;
  };
}

function lookupResolver(
  plan: FieldPlan,
  lookup: Lookup,
  ctx: FieldContext,
  conv: ((v: unknown) => unknown) | undefined,
  hasDef: boolean,
  def: () => unknown,
  probe = false,
): (value: unknown, cx: Cx) => unknown {
  const finish = conv ?? copyValue;
  const lookupDefault = constant(lookup.default);
  const list = ctx.list;
  const fieldName = (cx: Cx): string => fieldNameOf(plan, list, cx);
  // `matches` is 0 for no match, above 1 for too many; the message is only built for an error.
  const fail = (cx: Cx, value: unknown, matches: number): unknown => {
    if (probe && matches === 0) return NOT_FOUND; // several matches are not "empty": they fail as usual
    if (lookup.allowFailures) return finish(lookup.hasDefault ? lookupDefault() : hasDef ? def() : '');
    if (hasDef) return finish(def());
    const reason = isEmpty(value)
      ? `the value to look up is ${value === undefined ? 'missing' : `empty (${describeValue(value)})`}`
      : `${matches === 0 ? 'no match' : `${matches} matches`} for ${describeValue(value)}`;
    pushError(cx, { code: 'lookup_failed', message: `lookup "${lookup.name}": ${reason}`, field: fieldName(cx) });
    return MISSING;
  };

  if (lookup.kind === 'static') {
    const map = lookup.map;
    return (value, cx) => {
      if (isEmpty(value)) return fail(cx, value, 0);
      const key = typeof value === 'string' ? value : toStringValue(value);
      const hit = map.get(key);
      if (hit !== undefined || map.has(key)) return finish(hit);
      return fail(cx, value, 0);
    };
  }

  const index = ctx.dynamicIndex(lookup);
  return (value, cx) => {
    if (isEmpty(value)) return fail(cx, value, 0);
    const answer = cx.dynamic(index, value);
    if (answer === PENDING) return MISSING;
    if (!Array.isArray(answer)) {
      const reason = (answer as { error: string }).error;
      const message = `lookup "${lookup.name}" failed for ${describeValue(value)}: ${reason}`;
      pushError(cx, { code: 'lookup_failed', message, field: fieldName(cx) });
      return MISSING;
    }
    const n = answer.length;
    if (n === 1) return finish(answer[0]);
    if (n === 0) return fail(cx, value, 0);
    if (lookup.pickFirstMatch) return finish(answer[0]);
    if (lookup.useDefaultOnMultipleMatches) return finish(lookup.hasDefault ? lookupDefault() : hasDef ? def() : '');
    if (lookup.allowFailures) return finish(answer[0]);
    return fail(cx, value, n);
  };
}
