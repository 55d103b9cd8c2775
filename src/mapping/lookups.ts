import type { MappingIssue } from './errors.js';

/** What every lookup carries once normalised, whichever form it was written in. */
interface LookupCommon {
  name: string;
  /** No match gives `default` (or "") instead of a record error. */
  allowFailures: boolean;
  hasDefault: boolean;
  default: unknown;
}

export interface StaticLookup extends LookupCommon {
  kind: 'static';
  map: ReadonlyMap<string, unknown>;
}

export interface DynamicLookup extends LookupCommon {
  kind: 'dynamic';
  pickFirstMatch: boolean;
  useDefaultOnMultipleMatches: boolean;
  /** The lookup as written (relativeURI, recordType, expression, …) for the port to interpret. */
  definition: Readonly<Record<string, unknown>>;
}

export type Lookup = StaticLookup | DynamicLookup;

/** A port's answer for one value: the matches found, or why the search itself failed. */
export type LookupAnswer = readonly unknown[] | { readonly error: string };

/**
 * How the mapper reaches applications for dynamic lookups; the engine implements it with adaptors.
 *
 * Called at most once per dynamic lookup per page, with the distinct values the page needs. A value
 * is the rule's extracted (or template) value; for a rule without extract it is the whole record, so
 * the lookup's own placeholders can be filled from it. The answer array is aligned with `values`.
 * A rejected promise, or an `{error}` answer, is a record error for every record that needed the
 * value, whatever `allowFailures` says: an outage is not "no match".
 */
export interface LookupPort {
  lookup(lookup: DynamicLookup, values: readonly unknown[]): Promise<readonly LookupAnswer[]>;
}

// Keys that make a lookup a search in an application rather than a static map.
const DYNAMIC_KEYS = [
  'relativeURI',
  'method',
  'body',
  'postData',
  'extract',
  'recordType',
  'searchField',
  'resultField',
  'expression',
  '_lookupCacheId',
];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A lookup's on/off setting: `true`/`false`, the strings `"true"`/`"false"` (any case, trimmed), and `""`,
 * `null` or absent for off. Anything else (`"0"`, `1`, `{}`) is reported rather than guessed.
 */
function flag(def: Record<string, unknown>, key: string, at: string, issues: MappingIssue[]): boolean {
  const v = def[key];
  if (v === undefined || v === null || v === '' || v === false) return false;
  if (v === true) return true;
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (word === 'true') return true;
    if (word === 'false') return false;
  }
  issues.push({
    code: 'invalid_field',
    field: `${at}.${key}`,
    message: `${key} must be true or false (got ${describeValue(v)})`,
  });
  return false;
}

function normalizeOne(name: string, def: Record<string, unknown>, at: string, issues: MappingIssue[]): Lookup {
  const common: LookupCommon = {
    name,
    allowFailures: flag(def, 'allowFailures', at, issues),
    hasDefault: def.default !== undefined,
    default: def.default,
  };
  const dynamic = DYNAMIC_KEYS.some((k) => def[k] !== undefined);
  if (!dynamic && def.map !== undefined) {
    const map = new Map<string, unknown>();
    if (isPlainObject(def.map)) for (const [k, v] of Object.entries(def.map)) map.set(k, v);
    else issues.push({ code: 'invalid_field', field: `${at}.map`, message: 'map must be an object of value -> result' });
    return { ...common, kind: 'static', map };
  }
  return {
    ...common,
    kind: 'dynamic',
    pickFirstMatch: flag(def, 'pickFirstMatch', at, issues),
    useDefaultOnMultipleMatches: flag(def, 'useDefaultOnMultipleMatches', at, issues),
    definition: def.name === name ? def : { ...def, name },
  };
}

const IMPORT_LOOKUPS: unique symbol = Symbol('import lookups');

/** Every place an import holds lookups (see importLookupsOf); pass it where the import-level `lookups[]` goes. */
export interface ImportLookups {
  readonly [IMPORT_LOOKUPS]: true;
  /** Each source with the path its entries are named by in messages (`rest.lookups`). */
  readonly sources: ReadonlyArray<{ readonly at: string; readonly lookups: unknown }>;
}

/** Adaptor blocks that held an import's `lookups[]` in older imports (spec §4.4). */
const LEGACY_LOOKUP_BLOCKS = ['rest', 'http', 'netsuite', 'netsuite_da'] as const;

/**
 * The lookups of an import document besides `mapping.lookups`: the top-level `lookups[]` and, for older
 * imports, `rest.lookups`, `http.lookups`, `netsuite.lookups` and `netsuite_da.lookups` (same shape:
 * named objects). Validation and runs both read an import's lookups through this.
 */
export function importLookupsOf(importDoc: unknown): ImportLookups {
  const doc = isPlainObject(importDoc) ? importDoc : {};
  const sources: Array<{ at: string; lookups: unknown }> = [{ at: 'lookups', lookups: doc.lookups }];
  for (const block of LEGACY_LOOKUP_BLOCKS) {
    const b = doc[block];
    if (isPlainObject(b) && b.lookups !== undefined) sources.push({ at: `${block}.lookups`, lookups: b.lookups });
  }
  return { [IMPORT_LOOKUPS]: true, sources };
}

function isImportLookups(v: unknown): v is ImportLookups {
  return typeof v === 'object' && v !== null && (v as Partial<ImportLookups>)[IMPORT_LOOKUPS] === true;
}

/**
 * Merges the seed's `mapping.lookups` (object keyed by name, or a named array) with the import's own
 * lookups (the import-level `lookups[]`, or every place importLookupsOf finds) into one table by name,
 * reporting malformed entries and names defined twice (the same definition repeated in two places is
 * accepted once).
 */
export function normalizeLookups(
  mappingLookups: unknown,
  importLookups: unknown,
  issues: MappingIssue[],
): Map<string, Lookup> {
  const table = new Map<string, Lookup>();
  const written = new Map<string, string>();
  const add = (name: unknown, def: unknown, at: string): void => {
    if (!isPlainObject(def)) {
      issues.push({ code: 'invalid_field', field: at, message: 'a lookup must be an object' });
      return;
    }
    if (typeof name !== 'string' || name === '') {
      issues.push({ code: 'invalid_field', field: `${at}.name`, message: 'a lookup needs a name' });
      return;
    }
    const text = JSON.stringify({ ...def, name });
    if (table.has(name)) {
      if (written.get(name) === text) return;
      issues.push({ code: 'invalid_field', field: `${at}.name`, message: `lookup name "${name}" is defined twice` });
      return;
    }
    written.set(name, text);
    table.set(name, normalizeOne(name, def, at, issues));
  };
  const addAll = (source: unknown, at: string): void => {
    if (source === undefined || source === null) return;
    if (Array.isArray(source)) {
      source.forEach((def, i) => add(isPlainObject(def) ? def.name : undefined, def, `${at}[${i}]`));
    } else if (isPlainObject(source)) {
      for (const [name, def] of Object.entries(source)) add(name, def, `${at}.${name}`);
    } else {
      issues.push({ code: 'invalid_field', field: at, message: 'lookups must be an array or an object keyed by name' });
    }
  };
  addAll(mappingLookups, 'mapping.lookups');
  if (isImportLookups(importLookups)) for (const s of importLookups.sources) addAll(s.lookups, s.at);
  else addAll(importLookups, 'lookups');
  return table;
}

/** Short printable form of a value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
