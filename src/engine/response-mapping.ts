import { getPath, setPath } from '../mapping/index.js';

/** `pageProcessors[i].responseMapping`: copies parts of a step's response into the record. */
export interface ResponseMapping {
  fields?: { extract?: string; generate?: string }[];
  lists?: { generate?: string; fields?: { extract?: string; generate?: string }[] }[];
}

/**
 * Merges a step's response into a copy of the record. Imports answer `{id, statusCode, errors, ignored,
 * _json}`; lookups `{data: [...], errors: [...]}`. `lists[]` rules set each field on every element of
 * the record's array `generate`.
 */
export function applyResponseMapping(record: Record<string, unknown>, response: Record<string, unknown>, mapping: ResponseMapping | undefined): Record<string, unknown> {
  if (!mapping || (!mapping.fields?.length && !mapping.lists?.length)) return record;
  const out = structuredClone(record);
  for (const f of mapping.fields ?? []) {
    if (!f.extract || !f.generate) continue;
    const value = getPath(response, f.extract);
    if (value !== undefined) setPath(out, f.generate, structuredClone(value));
  }
  for (const list of mapping.lists ?? []) {
    if (!list.generate) continue;
    const target = getPath(out, list.generate);
    if (!Array.isArray(target)) continue;
    for (const element of target) {
      if (!element || typeof element !== 'object') continue;
      for (const f of list.fields ?? []) {
        if (!f.extract || !f.generate) continue;
        const value = getPath(response, f.extract);
        if (value !== undefined) setPath(element as Record<string, unknown>, f.generate, structuredClone(value));
      }
    }
  }
  return out;
}
