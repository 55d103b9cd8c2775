/**
 * Date parsing and formatting for field rules (`extractDateFormat`, `extractDateTimezone`,
 * `generateDateFormat`, `generateDateTimezone`). Formats are compiled once per mapping into a parser
 * (text -> epoch ms) and a formatter (epoch ms -> text); nothing is parsed per record but the value.
 *
 * Tokens (moment-style): YYYY YY MM M DD D HH H hh h mm m ss s SSS A a Z ZZ, `[literal]`; any other
 * character is literal. On output X and x are tokens too (unix seconds / ms). As a whole format,
 * "X" / "x" read unix seconds / ms and "ISO" (or no format) means ISO 8601.
 */

type Wall = { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number; off: number };

const TOKEN = /\[([^\]]*)\]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSS|A|a|ZZ|Z|X|x/g;

/** The formatters used to read wall-clock time in a zone, one per zone. */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(zone, f);
  }
  return f;
}

/** True when Intl knows the zone (an IANA name such as `Europe/Paris`, or `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    zoneFormat(zone);
    return true;
  } catch {
    return false;
  }
}

const isUtc = (zone: string | undefined): boolean => zone === undefined || zone === 'UTC' || zone === 'Etc/UTC';

/** Wall-clock fields of an instant in a zone, with the zone's offset (minutes east of UTC). */
function wallClock(ms: number, zone: string | undefined): Wall {
  const date = new Date(ms);
  const milli = date.getUTCMilliseconds();
  if (isUtc(zone)) {
    return {
      y: date.getUTCFullYear(),
      mo: date.getUTCMonth() + 1,
      d: date.getUTCDate(),
      h: date.getUTCHours(),
      mi: date.getUTCMinutes(),
      s: date.getUTCSeconds(),
      ms: milli,
      off: 0,
    };
  }
  const p: Record<string, number> = {};
  for (const part of zoneFormat(zone as string).formatToParts(date)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const w = { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second!, ms: milli, off: 0 };
  w.off = Math.round((Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s, milli) - ms) / 60000);
  return w;
}

/** Offset of a zone at an instant, in ms. */
const offsetAt = (ms: number, zone: string): number => wallClock(ms, zone).off * 60000;

const DAY = 86_400_000;

/**
 * The instant at which the zone's clocks show `wall` (wall time written as if it were UTC). The offsets
 * a day before and after are the two candidates: an ambiguous time (clocks turned back) gives the
 * earlier instant, a time in a gap (clocks turned forward) is moved forward by the gap, as
 * moment-timezone does.
 */
function fromWallTime(wall: number, zone: string | undefined): number {
  if (isUtc(zone)) return wall;
  const z = zone as string;
  const before = wall - offsetAt(wall - DAY, z);
  const after = wall - offsetAt(wall + DAY, z);
  const beforeOk = wall - offsetAt(before, z) === before;
  const afterOk = wall - offsetAt(after, z) === after;
  if (beforeOk && afterOk) return Math.min(before, after);
  if (afterOk) return after;
  if (beforeOk) return before;
  return before; // in a gap: the offset in force before it
}

/** Parses a value into epoch ms, or undefined when it is not a date in the format. */
export type DateParser = (value: unknown) => number | undefined;
/** Writes epoch ms as text. */
export type DateFormatter = (ms: number) => string;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const daysIn = (y: number, mo: number): number => new Date(Date.UTC(y, mo, 0)).getUTCDate();

/** Epoch ms of wall-clock fields, or undefined when a field is out of range. */
function instant(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offsetMin: number | undefined,
  zone: string | undefined,
): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC maps years 0-99 to 1900-1999.
  const fixed = y < 100 ? new Date(wall).setUTCFullYear(y) : wall;
  return offsetMin === undefined ? fromWallTime(fixed, zone) : fixed - offsetMin * 60000;
}

/** `Z`, `+01:00`, `-0530`, `+02` as minutes east of UTC. */
function offsetMinutes(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

const fraction = (digits: string): number => Math.floor(Number(`0.${digits}`) * 1000);

function parseIso(value: unknown, zone: string | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const m = ISO.exec(text);
  if (m === null) {
    // Other forms Date.parse knows (RFC 2822, …); they carry their own offset.
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : t;
  }
  const [, y, mo, d, h, mi, s, f, z] = m;
  return instant(
    Number(y),
    Number(mo),
    Number(d),
    Number(h ?? 0),
    Number(mi ?? 0),
    Number(s ?? 0),
    f === undefined ? 0 : fraction(f),
    z === undefined ? undefined : offsetMinutes(z),
    zone,
  );
}

type Field = 'y4' | 'y2' | 'mo' | 'd' | 'h' | 'h12' | 'mi' | 's' | 'ms' | 'ap' | 'off';

const PARSE: Record<string, [string, Field]> = {
  YYYY: ['(\\d{4})', 'y4'],
  YY: ['(\\d{2})', 'y2'],
  MM: ['(\\d{1,2})', 'mo'],
  M: ['(\\d{1,2})', 'mo'],
  DD: ['(\\d{1,2})', 'd'],
  D: ['(\\d{1,2})', 'd'],
  HH: ['(\\d{1,2})', 'h'],
  H: ['(\\d{1,2})', 'h'],
  hh: ['(\\d{1,2})', 'h12'],
  h: ['(\\d{1,2})', 'h12'],
  mm: ['(\\d{1,2})', 'mi'],
  m: ['(\\d{1,2})', 'mi'],
  ss: ['(\\d{1,2})', 's'],
  s: ['(\\d{1,2})', 's'],
  SSS: ['(\\d{1,3})', 'ms'],
  A: ['([AaPp][Mm])', 'ap'],
  a: ['([AaPp][Mm])', 'ap'],
  Z: ['(Z|[+-]\\d{2}(?::?\\d{2})?)', 'off'],
  ZZ: ['(Z|[+-]\\d{2}(?::?\\d{2})?)', 'off'],
};

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Compiles `extractDateFormat` (in `zone`, default UTC) into a parser. The whole value (trimmed) must
 * match; missing parts are 1970-01-01 00:00:00.000; an offset in the value wins over the zone.
 */
export function compileDateParser(format: string | undefined, zone: string | undefined): DateParser {
  if (format === undefined || format === 'ISO') return (v) => parseIso(v, zone);
  if (format === 'X' || format === 'x') {
    const scale = format === 'X' ? 1000 : 1;
    return (v) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
      return Number.isFinite(n) ? Math.round(n * scale) : undefined;
    };
  }
  let source = '^';
  const fields: Field[] = [];
  let last = 0;
  for (const m of format.matchAll(TOKEN)) {
    source += escapeRe(format.slice(last, m.index));
    last = m.index + m[0].length;
    const spec = m[1] === undefined ? PARSE[m[0]] : undefined;
    if (spec === undefined) source += escapeRe(m[1] ?? m[0]); // [literal], or X/x inside a longer format
    else {
      source += spec[0];
      fields.push(spec[1]);
    }
  }
  source += `${escapeRe(format.slice(last))}$`;
  const re = new RegExp(source);
  return (v) => {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) return undefined;
    const m = re.exec(String(v).trim());
    if (m === null) return undefined;
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0;
    let pm: boolean | undefined;
    let off: number | undefined;
    for (let i = 0; i < fields.length; i++) {
      const text = m[i + 1] as string;
      switch (fields[i]) {
        case 'y4': y = Number(text); break;
        case 'y2': { const n = Number(text); y = n + (n > 68 ? 1900 : 2000); break; }
        case 'mo': mo = Number(text); break;
        case 'd': d = Number(text); break;
        case 'h': h = Number(text); break;
        case 'h12': h = Number(text); if (h < 1 || h > 12) return undefined; break;
        case 'mi': mi = Number(text); break;
        case 's': s = Number(text); break;
        case 'ms': ms = fraction(text); break;
        case 'ap': pm = text[0] === 'p' || text[0] === 'P'; break;
        case 'off': off = offsetMinutes(text); break;
      }
    }
    if (pm === true && h < 12) h += 12;
    else if (pm === false && h === 12) h = 0;
    return instant(y, mo, d, h, mi, s, ms, off, zone);
  };
}

const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
const offsetText = (min: number, colon: boolean): string =>
  `${min < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(min) / 60))}${colon ? ':' : ''}${pad(Math.abs(min) % 60)}`;

type Part = string | ((w: Wall, ms: number) => string);

const FORMAT: Record<string, (w: Wall, ms: number) => string> = {
  YYYY: (w) => String(w.y).padStart(4, '0'),
  YY: (w) => pad(w.y % 100),
  MM: (w) => pad(w.mo),
  M: (w) => String(w.mo),
  DD: (w) => pad(w.d),
  D: (w) => String(w.d),
  HH: (w) => pad(w.h),
  H: (w) => String(w.h),
  hh: (w) => pad(w.h % 12 || 12),
  h: (w) => String(w.h % 12 || 12),
  mm: (w) => pad(w.mi),
  m: (w) => String(w.mi),
  ss: (w) => pad(w.s),
  s: (w) => String(w.s),
  SSS: (w) => pad(w.ms, 3),
  A: (w) => (w.h < 12 ? 'AM' : 'PM'),
  a: (w) => (w.h < 12 ? 'am' : 'pm'),
  Z: (w) => offsetText(w.off, true),
  ZZ: (w) => offsetText(w.off, false),
  X: (_w, ms) => String(Math.floor(ms / 1000)),
  x: (_w, ms) => String(ms),
};

/**
 * Compiles `generateDateFormat` (in `zone`, default UTC) into a formatter. No format (or "ISO"): an
 * ISO 8601 string, `toISOString()` in UTC, else `YYYY-MM-DDTHH:mm:ss.SSSZ` in the zone.
 */
export function compileDateFormatter(format: string | undefined, zone: string | undefined): DateFormatter {
  if (format === undefined || format === 'ISO') {
    if (isUtc(zone)) return (ms) => new Date(ms).toISOString();
    format = 'YYYY-MM-DDTHH:mm:ss.SSSZ';
  }
  const parts: Part[] = [];
  let last = 0;
  for (const m of format.matchAll(TOKEN)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    last = m.index + m[0].length;
    parts.push(m[1] ?? (FORMAT[m[0]] as Part));
  }
  if (last < format.length) parts.push(format.slice(last));
  return (ms) => {
    const w = wallClock(ms, zone);
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(w, ms);
    return out;
  };
}
