import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, getPath, parsePath, PathSyntaxError, setPath, WILDCARD, type Segment } from './path.js';

describe('parsePath', () => {
  it('splits dot notation into keys and indexes', () => {
    expect(parsePath('contact.firstName')).toEqual(['contact', 'firstName']);
    expect(parsePath('lines.0.sku')).toEqual(['lines', 0, 'sku']);
    expect(parsePath('lines[0].sku')).toEqual(['lines', 0, 'sku']);
    expect(parsePath('a[1][2]')).toEqual(['a', 1, 2]);
  });

  it('reads [*] as a wildcard at any depth', () => {
    expect(parsePath('orders[*].lines[*].sku')).toEqual(['orders', WILDCARD, 'lines', WILDCARD, 'sku']);
    expect(parsePath('tags[*]')).toEqual(['tags', WILDCARD]);
  });

  it('escapes keys with dots, spaces and quotes in brackets', () => {
    expect(parsePath("['a.b'].c")).toEqual(['a.b', 'c']);
    expect(parsePath('["a.b"]')).toEqual(['a.b']);
    expect(parsePath("x['it\\'s'].y")).toEqual(['x', "it's", 'y']);
    expect(parsePath('[Ship To.City]')).toEqual(['Ship To.City']);
    expect(parsePath('Ship To.City')).toEqual(['Ship To', 'City']);
    expect(parsePath("['0']")).toEqual(['0']);
    expect(parsePath("['*']")).toEqual(['*']);
  });

  it('keeps numbers with leading zeros or signs as keys', () => {
    expect(parsePath('zip.007')).toEqual(['zip', '007']);
    expect(parsePath('a.-1')).toEqual(['a', '-1']);
  });

  it.each(['', 'a.', '.a', 'a..b', 'a[0', "a['x]", 'a[]', 'a[0]b', "a['x'b]"])('rejects %j', (p) => {
    expect(() => parsePath(p)).toThrow(PathSyntaxError);
  });
});

describe('getPath', () => {
  const doc = {
    contact: { first: 'John', 'a.b': 1, 'Ship To': { City: 'Oslo' } },
    lines: [{ sku: 'A' }, { sku: 'B' }, { qty: 3 }],
    orders: [{ lines: [{ sku: 'X' }] }, { lines: [{ sku: 'Y' }, { sku: 'Z' }] }],
  };

  it('reads nested keys and indexes', () => {
    expect(getPath(doc, 'contact.first')).toBe('John');
    expect(getPath(doc, 'lines.1.sku')).toBe('B');
    expect(getPath(doc, 'lines[0].sku')).toBe('A');
    expect(getPath(doc, "contact['a.b']")).toBe(1);
    expect(getPath(doc, 'contact.Ship To.City')).toBe('Oslo');
  });

  it('gives undefined for anything missing, and never descends into strings', () => {
    expect(getPath(doc, 'contact.last')).toBeUndefined();
    expect(getPath(doc, 'nope.deeper.still')).toBeUndefined();
    expect(getPath(doc, 'contact.first.0')).toBeUndefined();
    expect(getPath(null, 'a')).toBeUndefined();
  });

  it('never reads inherited properties', () => {
    expect(getPath({}, 'constructor')).toBeUndefined();
    expect(getPath({}, '__proto__')).toBeUndefined();
    expect(getPath({ a: [] }, 'a.map')).toBeUndefined();
    expect(getPath({ constructor: 5 }, 'constructor')).toBe(5);
  });

  it('collects a flat array through wildcards, skipping missing values', () => {
    expect(getPath(doc, 'lines[*].sku')).toEqual(['A', 'B']);
    expect(getPath(doc, 'orders[*].lines[*].sku')).toEqual(['X', 'Y', 'Z']);
    expect(getPath(doc, 'missing[*].sku')).toBeUndefined();
    expect(getPath({ one: { sku: 'S' } }, 'one[*].sku')).toEqual(['S']);
  });
});

describe('setPath', () => {
  it('creates objects, and arrays before an index', () => {
    expect(setPath({}, 'contact.firstName', 'J')).toEqual({ contact: { firstName: 'J' } });
    expect(setPath({}, 'lines.0.sku', 'A')).toEqual({ lines: [{ sku: 'A' }] });
    expect(setPath({}, "['a.b'].c", 1)).toEqual({ 'a.b': { c: 1 } });
  });

  it('keeps what is already there and replaces non-objects on the way', () => {
    const o: Record<string, unknown> = { a: { x: 1 }, b: 'text' };
    setPath(o, 'a.y', 2);
    setPath(o, 'b.c', 3);
    expect(o).toEqual({ a: { x: 1, y: 2 }, b: { c: 3 } });
  });

  it('never writes to a prototype', () => {
    const o = setPath({}, '__proto__.polluted', true) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(o, '__proto__')).toBe(true);
    setPath({}, 'constructor.prototype.polluted', true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses wildcards', () => {
    expect(() => setPath({}, 'a[*].b', 1)).toThrow(PathSyntaxError);
  });
});

const keyArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.constantFrom('a.b', 'x y', "it's", 'q"q', '[0]', 'a]b', '\\', '*', '0', '12', '{x}', 'constructor'),
);
const segmentArb: fc.Arbitrary<Segment> = fc.oneof(keyArb, fc.nat({ max: 20 }));
const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 5 });

describe('round trips (property)', () => {
  it('formatPath then parsePath gives the same segments', () => {
    fc.assert(fc.property(pathArb, (segs) => {
        expect(parsePath(formatPath(segs))).toEqual(segs);
      }));
  });

  it('getPath reads back what setPath wrote, by segments and by formatted path', () => {
    fc.assert(
      fc.property(pathArb, fc.jsonValue(), (segs, value) => {
        const target = setPath({}, segs, value);
        expect(getPath(target, segs)).toEqual(value);
        expect(getPath(target, formatPath(segs))).toEqual(value);
      }),
    );
  });

  it('a second write elsewhere does not disturb the first, unless it is on its path', () => {
    fc.assert(
      fc.property(pathArb, pathArb, (a, b) => {
        const isPrefix = (p: Segment[], q: Segment[]) => p.length <= q.length && p.every((s, i) => String(s) === String(q[i]));
        fc.pre(!isPrefix(a, b) && !isPrefix(b, a));
        const target = setPath(setPath({}, a, 'first'), b, 'second');
        expect(getPath(target, b)).toBe('second');
        // `b` may have replaced a container on `a`'s path only if they share a prefix with a non-object
        expect(getPath(target, a)).toBe('first');
      }),
    );
  });
});
