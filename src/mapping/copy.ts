import { assignKey } from './path.js';

/**
 * A deep copy of JSON-like data (plain objects and arrays; anything else is kept as is), so that a
 * mapped record never shares an object with its input record, a lookup table or another record:
 * later steps may change it while the input stays the retry data.
 */
export function copyValue<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyValue) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) assignKey(out, key, copyValue((value as Record<string, unknown>)[key]));
  return out as T;
}
