import { ApiError } from '../errors.js';
import { FILTERABLE_FIELD, type FieldFilter } from '../store/resource-filters.js';

/** Query parameters that are not field filters. */
const reserved = new Set(['limit', 'after', 'skip', 'include', 'exclude', 'fetchQueueSize', 'sandbox_any']);

const suffixes: [string, FieldFilter['op']][] = [
  ['_gte', '>='],
  ['_lte', '<='],
  ['_gt', '>'],
  ['_lt', '<'],
  ['_in', 'in'],
];

/**
 * Field filters from a list's query string (spec §3.3): `name=x`, `createdAt_gte=…`, `_flowId_in=a&_flowId_in=b`
 * or `_flowId_in[0]=a`; a repeated plain parameter means OR.
 */
export function filtersFrom(query: Record<string, unknown>): FieldFilter[] {
  const byKey = new Map<string, FieldFilter>();
  for (const [rawKey, raw] of Object.entries(query)) {
    if (reserved.has(rawKey)) continue;
    const key = rawKey.replace(/\[\d*\]$/, '');
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    let field = key;
    let op: FieldFilter['op'] = values.length > 1 || key !== rawKey ? 'in' : '=';
    for (const [suffix, sop] of suffixes) {
      if (key.endsWith(suffix) && key.length > suffix.length) {
        field = key.slice(0, -suffix.length);
        op = sop;
        break;
      }
    }
    if (!FILTERABLE_FIELD.test(field)) throw new ApiError('invalid_query', `${rawKey} is not a field that lists can be filtered by.`, rawKey);
    if (op !== 'in' && values.length > 1) throw new ApiError('invalid_query', `${rawKey} takes one value.`, rawKey);
    if ((field === 'createdAt' || field === 'lastModified') && values.some((v) => !/^\d+$/.test(v) && Number.isNaN(Date.parse(v)))) {
      throw new ApiError('invalid_query', `${rawKey} must be an ISO date or epoch milliseconds.`, rawKey);
    }
    const id = `${field}|${op}`;
    const existing = byKey.get(id);
    if (existing && op === 'in') existing.values.push(...values);
    else byKey.set(id, { field, op, values });
  }
  return [...byKey.values()];
}

export interface Projection {
  include?: string[];
  exclude?: string[];
}

export function projectionFrom(query: Record<string, unknown>): Projection | undefined {
  const list = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v)).split(',').map((s) => s.trim()).filter(Boolean);
  if (query.include !== undefined && query.exclude !== undefined) {
    throw new ApiError('invalid_query_params', 'Please provide either include or exclude param in the request query and not both.');
  }
  if (query.include !== undefined) return { include: list(query.include) };
  if (query.exclude !== undefined) return { exclude: list(query.exclude) };
  return undefined;
}

/** Fields every projected answer keeps, so a client can still tell rows apart. */
const identity = ['_id', 'name', 'type', 'adaptorType'];

export function project(doc: Record<string, unknown>, p: Projection): Record<string, unknown> {
  if (p.include) {
    const out: Record<string, unknown> = {};
    for (const k of identity) if (doc[k] !== undefined) out[k] = doc[k];
    for (const path of p.include) copyPath(doc, out, path.split('.'));
    return out;
  }
  const out = structuredClone(doc);
  for (const path of p.exclude ?? []) deletePath(out, path.split('.'));
  return out;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, parts: string[]) {
  const [head, ...rest] = parts;
  if (head === undefined || !(head in from)) return;
  const value = from[head];
  if (rest.length === 0) {
    to[head] = value;
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    const child = (to[head] && typeof to[head] === 'object' ? to[head] : {}) as Record<string, unknown>;
    to[head] = child;
    copyPath(value as Record<string, unknown>, child, rest);
  }
}

function deletePath(doc: Record<string, unknown>, parts: string[]) {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (rest.length === 0) delete doc[head];
  else if (doc[head] && typeof doc[head] === 'object') deletePath(doc[head] as Record<string, unknown>, rest);
}
