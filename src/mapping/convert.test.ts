import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBoolean, toNumber, toStringValue } from './convert.js';

describe('toBoolean (seed list + DESIGN.md refinement)', () => {
  it.each([null, undefined, false, Number.NaN, 'false', 'off', 'no'])('the seed list: %j is false', (v) => {
    expect(toBoolean(v)).toBe(false);
  });

  it('the other JavaScript falsy values are false: 0, -0, "", 0n', () => {
    for (const v of [0, -0, '', 0n]) expect(toBoolean(v)).toBe(false);
  });

  it.each([' No ', 'FALSE', ' off', 'No\n', '\tfalse\t'])('the three words after trimming and lower-casing: %j is false', (v) => {
    expect(toBoolean(v)).toBe(false);
  });

  it.each(['0', 'true', 'yes', 'nope', 'n', ' ', 1, -1, {}, [], 'falsey'])('everything else is true: %j', (v) => {
    expect(toBoolean(v)).toBe(true);
  });
});

describe('toNumber (DESIGN.md)', () => {
  it.each([
    ['43', 43],
    [' 42 ', 42],
    ['-1.5e3', -1500],
    ['+7', 7],
    ['.5', 0.5],
    ['5.', 5],
    ['0.25', 0.25],
    ['007', 7],
  ])('plain decimal %j gives %j', (v, n) => {
    expect(toNumber(v)).toBe(n);
  });

  it.each(['1,000.50', '0x10', '0b1', '0o7', 'abc', '', ' ', '1e', '1.2.3', 'Infinity', '1e999', '12abc', '--1'])(
    'non-numeric string %j gives 0',
    (v) => {
      expect(toNumber(v)).toBe(0);
    },
  );

  it.each([null, undefined, Number.NaN, Infinity, -Infinity, {}, []])('%j gives 0', (v) => {
    expect(toNumber(v)).toBe(0);
  });

  it('passes numbers through and reads booleans as 1/0', () => {
    expect(toNumber(3.25)).toBe(3.25);
    expect(toNumber(-0)).toBe(-0);
    expect(toNumber(true)).toBe(1);
    expect(toNumber(false)).toBe(0);
  });
});

describe('toStringValue (DESIGN.md)', () => {
  it('gives "" for null and undefined, JSON for objects and arrays, String(v) for the rest', () => {
    expect(toStringValue(null)).toBe('');
    expect(toStringValue(undefined)).toBe('');
    expect(toStringValue({ a: 1 })).toBe('{"a":1}');
    expect(toStringValue([1, 'x'])).toBe('[1,"x"]');
    expect(toStringValue(43)).toBe('43');
    expect(toStringValue(false)).toBe('false');
    expect(toStringValue('x')).toBe('x');
  });
});

describe('conversion rules (property)', () => {
  it('finite numbers pass through toNumber unchanged', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(toNumber(n)).toBe(n);
      }));
  });

  it('the decimal text of a finite number reads back as that number, padded or not', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('', ' ', '\t', '\n '), (n, pad) => {
        expect(toNumber(pad + String(n) + pad)).toBe(n === 0 ? 0 : n);
      }),
    );
  });

  it('toNumber always gives a finite number', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
        expect(Number.isFinite(toNumber(v))).toBe(true);
      }));
  });

  it('a string with a letter other than e/E is never numeric', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('a', 'x', 'b', 'o', 'z', ','), fc.string(), (a, letter, b) => {
        expect(toNumber(`1${a}${letter}${b}`)).toBe(0);
      }),
    );
  });

  it('toBoolean agrees with JavaScript truthiness except for the three words', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const word = typeof v === 'string' && ['false', 'off', 'no'].includes(v.trim().toLowerCase());
        expect(toBoolean(v)).toBe(word ? false : Boolean(v));
      }),
    );
  });

  it('the three words stay false under any padding and casing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('false', 'off', 'no'),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.stringMatching(/^[ \t\n]*$/),
        (word, upper, pad) => {
          const cased = [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
          expect(toBoolean(pad + cased + pad)).toBe(false);
        },
      ),
    );
  });

  it('toStringValue always gives a string, JSON text for plain data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = toStringValue(v);
        expect(typeof s).toBe('string');
        if (typeof v === 'object' && v !== null) expect(s).toBe(JSON.stringify(v));
      }),
    );
  });
});
