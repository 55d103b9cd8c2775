import { ApiError } from '../errors.js';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: unknown;
  from?: string;
}

/** Applies an RFC 6902 JSON Patch to a copy of `doc`; a bad operation is a 422 naming its index. */
export function applyJsonPatch<T>(doc: T, ops: unknown): T {
  if (!Array.isArray(ops)) throw new ApiError('invalid_field', 'A PATCH body must be a JSON Patch array.', '(body)');
  let out = structuredClone(doc) as unknown;
  ops.forEach((raw, i) => {
    const op = raw as PatchOperation;
    const where = `[${i}]`;
    if (!op || typeof op !== 'object' || typeof op.path !== 'string') {
      throw new ApiError('invalid_field', `Operation ${i} needs "op" and "path".`, where);
    }
    const fail = (message: string) => new ApiError('invalid_field', `Operation ${i} (${op.op} ${op.path}): ${message}`, `${where}.path`);
    switch (op.op) {
      case 'add':
      case 'replace':
        out = setAt(out, parse(op.path), structuredClone(op.value), op.op === 'replace', fail);
        break;
      case 'remove':
        out = removeAt(out, parse(op.path), fail);
        break;
      case 'test':
        if (JSON.stringify(getAt(out, parse(op.path))) !== JSON.stringify(op.value)) throw fail('test failed');
        break;
      case 'copy':
      case 'move': {
        if (typeof op.from !== 'string') throw fail('"from" is required');
        const value = structuredClone(getAt(out, parse(op.from)));
        if (value === undefined) throw fail(`nothing at ${op.from}`);
        if (op.op === 'move') out = removeAt(out, parse(op.from), fail);
        out = setAt(out, parse(op.path), value, false, fail);
        break;
      }
      default:
        throw new ApiError('invalid_field', `Operation ${i} has an unknown op "${String((op as { op: unknown }).op)}".`, `${where}.op`);
    }
  });
  return out as T;
}

function parse(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new ApiError('invalid_field', `"${pointer}" is not a JSON pointer.`, 'path');
  const parts = pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // Walking `__proto__` would reach (and let an `add` change) the prototype every object shares.
  if (parts.includes('__proto__')) throw new ApiError('invalid_field', `"${pointer}" may not name "__proto__".`, 'path');
  return parts;
}

function getAt(doc: unknown, parts: string[]): unknown {
  let cur = doc;
  for (const p of parts) {
    // Own properties only: `constructor` or `toString` must not lead into shared prototypes.
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, p)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function parentOf(doc: unknown, parts: string[], fail: (m: string) => Error): Record<string, unknown> | unknown[] {
  const parent = getAt(doc, parts.slice(0, -1));
  if (parent === null || typeof parent !== 'object') throw fail('the parent path does not exist');
  return parent as Record<string, unknown>;
}

function setAt(doc: unknown, parts: string[], value: unknown, mustExist: boolean, fail: (m: string) => Error): unknown {
  if (parts.length === 0) return value;
  const parent = parentOf(doc, parts, fail);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length || (mustExist && index >= parent.length)) throw fail('index out of range');
    if (mustExist) parent[index] = value;
    else parent.splice(index, 0, value);
  } else {
    if (mustExist && !Object.hasOwn(parent, key)) throw fail('nothing to replace');
    parent[key] = value;
  }
  return doc;
}

function removeAt(doc: unknown, parts: string[], fail: (m: string) => Error): unknown {
  if (parts.length === 0) throw fail('cannot remove the whole document');
  const parent = parentOf(doc, parts, fail);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) throw fail('index out of range');
    parent.splice(index, 1);
  } else {
    if (!Object.hasOwn(parent, key)) throw fail('nothing to remove');
    delete parent[key];
  }
  return doc;
}
