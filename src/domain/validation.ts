import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { TSchema } from 'typebox';
import type { ErrorItem } from '../errors.js';

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

/** Validates `value` against `schema`; returns field-level errors (empty when valid). */
export function validateAgainst(schema: TSchema, value: unknown, prefix = ''): ErrorItem[] {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (fn(value)) return [];
  return dedupe((fn.errors ?? []).map((e) => toItem(e, prefix)));
}

function toItem(e: ErrorObject, prefix: string): ErrorItem {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') {
    const field = join(prefix, [...path, String((e.params as { missingProperty: string }).missingProperty)]);
    return { code: 'missing_required_field', field, message: `${field} is required.` };
  }
  const field = join(prefix, path) || prefix || '(body)';
  if (e.keyword === 'additionalProperties') {
    const extra = join(prefix, [...path, String((e.params as { additionalProperty: string }).additionalProperty)]);
    return { code: 'invalid_field', field: extra, message: `${extra} is not a known field.` };
  }
  if (e.keyword === 'anyOf' || e.keyword === 'enum' || e.keyword === 'const') {
    return { code: 'invalid_field', field, message: `${field} has a value that is not allowed.` };
  }
  return { code: 'invalid_field', field, message: `${field} ${e.message ?? 'is invalid'}.` };
}

function join(prefix: string, parts: string[]): string {
  const all = prefix ? [prefix, ...parts] : parts;
  return all.map((p, i) => (/^\d+$/.test(p) && i > 0 ? `[${p}]` : i > 0 ? `.${p}` : p)).join('');
}

// A union failure reports every branch plus the anyOf itself; keep one line per field.
function dedupe(items: ErrorItem[]): ErrorItem[] {
  const byField = new Map<string, ErrorItem>();
  for (const item of items) {
    const existing = byField.get(item.field ?? '');
    if (!existing || (existing.code !== 'missing_required_field' && item.message.includes('not allowed'))) byField.set(item.field ?? '', item);
  }
  return [...byField.values()];
}
