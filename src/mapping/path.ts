/**
 * Dot-notation paths, parsed once into segments.
 *
 * Grammar: `a.b.c`, array indexes `lines.0.sku` or `lines[0].sku`, wildcards `lines[*].sku`, and
 * bracketed keys for names the dots would split: `['a.b']`, `["it's"]` (backslash escapes the quote
 * and itself) or unquoted `[Ship To.City]` (anything up to the next `]`). Spaces need no escape.
 */

/** The `[*]` segment: every element of the array at that point. */
export const WILDCARD: unique symbol = Symbol('[*]');
export type Wildcard = typeof WILDCARD;
/** A key (string), an array index (number) or a wildcard. */
export type Segment = string | number | Wildcard;

export class PathSyntaxError extends Error {
  override readonly name = 'PathSyntaxError';
}

const MAX_INDEX = 2 ** 32 - 2;

/**
 * The most segments a path may have (`a.b.c` has 3). Deeper paths are refused when parsed, so that no
 * reader, writer or compiled builder ever nests (or recurses) more than this.
 */
export const MAX_PATH_SEGMENTS = 64;

/**
 * The largest array index a mapping may generate (`lines.9999.sku`): one record must never create an
 * enormous, mostly empty array. Reading (extract) may use any index.
 */
export const MAX_GENERATE_INDEX = 9999;

function asIndex(text: string): number | undefined {
  if (text === '0') return 0;
  const c = text.charCodeAt(0);
  if (c < 49 || c > 57) return undefined; // no leading zero, no sign
  for (let i = 1; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d < 48 || d > 57) return undefined;
  }
  const n = Number(text);
  return n <= MAX_INDEX ? n : undefined;
}

/** Parses a path; throws PathSyntaxError naming the problem (also for more than MAX_PATH_SEGMENTS segments). */
export function parsePath(path: string): Segment[] {
  if (path === '') throw new PathSyntaxError('path is empty');
  const out: Segment[] = [];
  let i = 0;
  // true when the next thing must be a segment (start of path, or right after a dot)
  let needSegment = true;
  while (i < path.length) {
    if (out.length >= MAX_PATH_SEGMENTS) {
      throw new PathSyntaxError(`path has more than ${MAX_PATH_SEGMENTS} segments`);
    }
    const ch = path[i];
    if (ch === '[') {
      const [seg, next] = readBracket(path, i);
      out.push(seg);
      i = next;
      needSegment = false;
      if (i < path.length && path[i] !== '.' && path[i] !== '[') {
        throw new PathSyntaxError(`expected "." or "[" after "]" at ${i} in "${path}"`);
      }
      if (path[i] === '.') {
        i++;
        needSegment = true;
        if (i === path.length) throw new PathSyntaxError(`path ends with "." in "${path}"`);
      }
      continue;
    }
    if (ch === '.') throw new PathSyntaxError(`empty segment at ${i} in "${path}"`);
    if (!needSegment) throw new PathSyntaxError(`unexpected "${ch}" at ${i} in "${path}"`);
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    const text = path.slice(i, end);
    out.push(asIndex(text) ?? text);
    i = end;
    needSegment = false;
    if (path[i] === '.') {
      i++;
      needSegment = true;
      if (i === path.length) throw new PathSyntaxError(`path ends with "." in "${path}"`);
    }
  }
  return out;
}

function readBracket(path: string, start: number): [Segment, number] {
  const q = path[start + 1];
  if (q === "'" || q === '"') {
    let key = '';
    let i = start + 2;
    while (i < path.length && path[i] !== q) {
      if (path[i] === '\\' && i + 1 < path.length) i++;
      key += path[i];
      i++;
    }
    if (i >= path.length) throw new PathSyntaxError(`unterminated quote at ${start} in "${path}"`);
    if (path[i + 1] !== ']') throw new PathSyntaxError(`expected "]" at ${i + 1} in "${path}"`);
    return [key, i + 2];
  }
  const close = path.indexOf(']', start + 1);
  if (close < 0) throw new PathSyntaxError(`unbalanced "[" at ${start} in "${path}"`);
  const inner = path.slice(start + 1, close);
  if (inner === '') throw new PathSyntaxError(`empty "[]" at ${start} in "${path}"`);
  if (inner === '*') return [WILDCARD, close + 1];
  return [asIndex(inner) ?? inner, close + 1];
}

/** Writes segments back as a path that parses to the same segments. */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const seg of segments) {
    if (seg === WILDCARD) out += '[*]';
    else if (typeof seg === 'number') out += `[${seg}]`;
    else if (seg !== '' && !/[.[\]'"\\{}]/.test(seg) && asIndex(seg) === undefined) {
      out += out === '' ? seg : `.${seg}`;
    } else out += `['${seg.replace(/[\\']/g, (c) => `\\${c}`)}']`;
  }
  return out;
}

export function hasWildcard(segments: readonly Segment[]): boolean {
  return segments.includes(WILDCARD);
}

// Names an inherited property could answer to; reading them needs an own-property check.
const INHERITED = new Set<string>([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Array.prototype).filter((n) => n !== 'length'),
]);

type Key = string | number;

/** True when reading `k` can never reach an inherited property, so no own-property check is needed. */
export function isPlainKey(k: Key): boolean {
  return typeof k === 'number' || !INHERITED.has(k);
}

export type Getter = (source: unknown) => unknown;

function readOwn(o: unknown, k: Key): unknown {
  return typeof o === 'object' && o !== null && Object.hasOwn(o, k) ? (o as Record<Key, unknown>)[k] : undefined;
}

function step(k: Key, next: Getter | undefined): Getter {
  if (typeof k === 'string' && INHERITED.has(k)) {
    return next === undefined ? (o) => readOwn(o, k) : (o) => next(readOwn(o, k));
  }
  if (next === undefined) {
    return (o) => (typeof o === 'object' && o !== null ? (o as Record<Key, unknown>)[k] : undefined);
  }
  return (o) => (typeof o === 'object' && o !== null ? next((o as Record<Key, unknown>)[k]) : undefined);
}

function plainGetter(keys: readonly Key[]): Getter {
  if (keys.length === 0) return (o) => o;
  const safe = keys.every(isPlainKey);
  // Unrolled forms for the common short paths: one closure call per read instead of one per segment.
  if (safe && keys.length === 1) {
    const [a] = keys as [Key];
    return (o) => (typeof o === 'object' && o !== null ? (o as Record<Key, unknown>)[a] : undefined);
  }
  if (safe && keys.length === 2) {
    const [a, b] = keys as [Key, Key];
    return (o) => {
      if (typeof o !== 'object' || o === null) return undefined;
      const x = (o as Record<Key, unknown>)[a];
      return typeof x === 'object' && x !== null ? (x as Record<Key, unknown>)[b] : undefined;
    };
  }
  if (safe && keys.length === 3) {
    const [a, b, c] = keys as [Key, Key, Key];
    return (o) => {
      if (typeof o !== 'object' || o === null) return undefined;
      const x = (o as Record<Key, unknown>)[a];
      if (typeof x !== 'object' || x === null) return undefined;
      const y = (x as Record<Key, unknown>)[b];
      return typeof y === 'object' && y !== null ? (y as Record<Key, unknown>)[c] : undefined;
    };
  }
  let g: Getter | undefined;
  for (let i = keys.length - 1; i >= 0; i--) g = step(keys[i] as Key, g);
  return g as Getter;
}

/** Splits a path at its wildcards: `a[*].b.c[*].d` -> [[a], [b, c], [d]]. */
export function splitAtWildcards(segments: readonly Segment[]): Key[][] {
  const parts: Key[][] = [[]];
  for (const seg of segments) {
    if (seg === WILDCARD) parts.push([]);
    else (parts[parts.length - 1] as Key[]).push(seg);
  }
  return parts;
}

/** Elements of the value at a wildcard: an array's elements; a lone value counts as one element. */
export function elementsOf(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/**
 * A reader for a parsed path. Without wildcards it returns the value or undefined. With wildcards it
 * returns the flat array of the values found under every element (missing values are skipped), or
 * undefined when the first array is itself missing.
 */
export function compileGetter(segments: readonly Segment[]): Getter {
  const parts = splitAtWildcards(segments);
  if (parts.length === 1) return plainGetter(parts[0] as Key[]);
  const getters = parts.map(plainGetter);
  const head = getters[0] as Getter;
  const last = getters.length - 1;
  const collect = (value: unknown, level: number, out: unknown[]): void => {
    const g = getters[level] as Getter;
    for (const el of elementsOf(value)) {
      const v = g(el);
      if (level === last) {
        if (v !== undefined) out.push(v);
      } else collect(v, level + 1, out);
    }
  };
  return (o) => {
    const first = head(o);
    if (first === undefined || first === null) return undefined;
    const out: unknown[] = [];
    collect(first, 1, out);
    return out;
  };
}

// Helpers for other modules parse each distinct path once.
const getterCache = new Map<string, Getter>();
const CACHE_LIMIT = 1000;

/** Reads `path` (string or parsed segments) from `obj`; see compileGetter for wildcards. */
export function getPath(obj: unknown, path: string | readonly Segment[]): unknown {
  if (typeof path !== 'string') return compileGetter(path)(obj);
  let g = getterCache.get(path);
  if (g === undefined) {
    g = compileGetter(parsePath(path));
    if (getterCache.size >= CACHE_LIMIT) getterCache.clear();
    getterCache.set(path, g);
  }
  return g(obj);
}

/** Assigns without ever touching a prototype (`__proto__` becomes an own property). */
export function assignKey(target: Record<Key, unknown>, key: Key, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/**
 * Writes `value` at `path` in `obj` (mutated and returned), creating objects on the way, or arrays
 * where the next segment is an index. An existing non-object on the way is replaced. Wildcards are
 * refused.
 */
export function setPath<T extends object>(obj: T, path: string | readonly Segment[], value: unknown): T {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  if (segments.length === 0) throw new PathSyntaxError('path is empty');
  let cur = obj as Record<Key, unknown>;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as Segment;
    if (seg === WILDCARD) throw new PathSyntaxError('cannot write through a [*] wildcard');
    if (i === segments.length - 1) {
      assignKey(cur, seg, value);
      break;
    }
    const existing = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    if (typeof existing === 'object' && existing !== null) {
      cur = existing as Record<Key, unknown>;
    } else {
      const fresh = typeof segments[i + 1] === 'number' ? [] : {};
      assignKey(cur, seg, fresh);
      cur = fresh as Record<Key, unknown>;
    }
  }
  return obj;
}
