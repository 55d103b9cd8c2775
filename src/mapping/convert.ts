/** `dataType` conversions: the seed's rules as refined in DESIGN.md ("Mapping decisions"). */

export type DataType = 'string' | 'number' | 'boolean';
export const DATA_TYPES: readonly DataType[] = ['string', 'number', 'boolean'];

export function isDataType(v: unknown): v is DataType {
  return v === 'string' || v === 'number' || v === 'boolean';
}

/** True for a trimmed string that is a plain decimal: sign, digits, one point, optional exponent. */
function isDecimal(s: string): boolean {
  let i = 0;
  const n = s.length;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) c = s.charCodeAt(++i); // + -
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 46) {
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    let exp = 0;
    while (c >= 48 && c <= 57) {
      exp++;
      c = s.charCodeAt(++i);
    }
    if (exp === 0) return false;
  }
  return i === n;
}

/**
 * Numbers pass through (NaN and ±Infinity give 0); a string gives its value when, trimmed, it is a
 * plain decimal, else 0 (`"1,000.50"`, `"0x10"`, `""` give 0); true/false give 1/0; the rest give 0.
 */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string') {
    const c = v.charCodeAt(0);
    // Fast path: starting with a digit, Number() accepts exactly the plain decimals plus 0x/0o/0b forms.
    if (c >= 49 && c <= 57) {
      const n = Number(v);
      return Number.isFinite(n) ? n : 0;
    }
    if (c === 48) {
      const r = v.charCodeAt(1) | 0x20;
      if (r === 120 || r === 111 || r === 98) return 0; // 0x 0o 0b
      const n = Number(v);
      return Number.isFinite(n) ? n : 0;
    }
    const t = v.trim();
    if (t === '' || !isDecimal(t)) return 0;
    const n = Number(t);
    return Number.isFinite(n) ? n : 0;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/**
 * False for every JavaScript falsy value (`null`, `undefined`, `false`, `NaN`, `0`, `""`) and for the
 * strings `false`, `off`, `no` after trimming and lower-casing; true for everything else, `"0"` included.
 */
export function toBoolean(v: unknown): boolean {
  if (typeof v === 'string') {
    if (v === '') return false;
    const t = v.trim();
    if (t.length > 5 || t.length < 2) return true;
    const w = t.toLowerCase();
    return !(w === 'false' || w === 'off' || w === 'no');
  }
  return Boolean(v);
}

/** `null`/`undefined` give `""`; objects and arrays their JSON text; the rest `String(v)`. */
export function toStringValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export type Converter = (v: unknown) => unknown;

export function converterFor(dataType: DataType): Converter {
  switch (dataType) {
    case 'string':
      return toStringValue;
    case 'number':
      return toNumber;
    case 'boolean':
      return toBoolean;
  }
}
