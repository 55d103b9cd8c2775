import { stringify } from 'csv-stringify/sync';
import type { DataRecord } from '../../adaptor.js';
import { problem, type CsvOptions, type ParsedItem } from './file-options.js';
import type { FilePieces } from './pieces.js';

/** One physical record as the splitter saw it: its fields, raw text, first line, and what was wrong with it. */
interface RawRow {
  fields: string[];
  raw: string;
  line: number;
  error?: string;
}

/**
 * CSV → records, streamed. The header row names the fields (or `Column0`, `Column1`… without one). Rows are
 * split by our own scanner, so each row that cannot be read (wrong number of columns, text after a closing
 * quote, a quote that never closes) becomes exactly one problem naming its own first line, and the rows after
 * it still go through. A quoted value may hold delimiters and line breaks; a quote inside an unquoted value
 * is kept as a character. A quote that is never closed is reported on the row where it opened; reading
 * resumes on the next line.
 */
export async function* parseCsv(text: AsyncIterable<string>, o: CsvOptions = {}, fileName?: string): AsyncGenerator<ParsedItem> {
  const header = o.hasHeaderRow !== false;
  const stripQuotes = o.disableQuoteAndStripEnclosingQuotes === true;
  const trim = o.trimSpaces === true;
  const skip = Math.max(0, o.rowsToSkip ?? 0);
  let columns: string[] | undefined;
  for await (const row of splitRows(text, {
    delimiter: unescapeDelimiter(o.columnDelimiter) ?? ',',
    rowDelimiter: o.rowDelimiter ? unescapeDelimiter(o.rowDelimiter) : undefined,
    quote: !stripQuotes,
    trim,
  })) {
    if (row.line <= skip) continue;
    if (row.raw === '' || (row.fields.length === 1 && row.fields[0] === '' && !row.error)) continue;
    if (row.error) {
      // Without its header the file's rows cannot be named: the file fails (and stays where it is).
      if (header && !columns) throw new Error(`the header row (row ${row.line}) cannot be read: ${row.error}`);
      yield problem(fileName, row.line, row.error, row.raw);
      continue;
    }
    const values = stripQuotes ? row.fields.map(strip) : row.fields;
    if (header && !columns) {
      columns = values.map((n) => n.trim());
      continue;
    }
    if (columns) {
      if (values.length !== columns.length) {
        yield problem(fileName, row.line, `the row has ${values.length} columns; the header has ${columns.length}`, row.raw);
        continue;
      }
      const record: DataRecord = {};
      columns.forEach((c, i) => (record[c] = values[i]));
      yield { record };
    } else {
      const record: DataRecord = {};
      values.forEach((v, i) => (record[`Column${i}`] = v));
      yield { record };
    }
  }
}

interface SplitOptions {
  delimiter: string;
  /** Absent: the first `\r\n`, `\n` or `\r` found outside quotes sets it. */
  rowDelimiter?: string;
  quote: boolean;
  trim: boolean;
}

const QUOTE = '"';
/** Thrown by the scanner when the buffered text ends before the row does (more text is needed). */
const NEED_MORE = Symbol('need more text');
/** Longest row read (quoted line breaks included); a longer one is reported as a quote that never closes. */
const MAX_ROW = 4 * 1024 * 1024;

interface Scanned {
  fields: string[];
  error?: string;
  /** The quote opened on this row never closes before the end of the text. */
  unclosed?: boolean;
  /** Index where the row's text ends, and where the next row starts. */
  rowEnd: number;
  next: number;
}

/** Text chunks → physical CSV rows (a quoted line break stays inside its row), each with its first line number. */
async function* splitRows(chunks: AsyncIterable<string>, o: SplitOptions): AsyncGenerator<RawRow> {
  const state = { eol: o.rowDelimiter };
  let buf = '';
  let start = 0;
  let line = 1;
  let final = false;
  const it = chunks[Symbol.asyncIterator]();
  for (;;) {
    if (start >= buf.length && final) return;
    let row: Scanned;
    try {
      if (start >= buf.length) throw NEED_MORE;
      row = scanRow(buf, start, final, o, state);
    } catch (err) {
      if (err !== NEED_MORE) throw err;
      if (buf.length - start > MAX_ROW) {
        // A row this long is almost always a quote that never closes: report it, resume on its next line.
        row = { fields: [], unclosed: true, rowEnd: buf.length, next: buf.length, error: `Quote Not Closed: the row is longer than ${MAX_ROW / 1024 / 1024} MB` };
      } else {
        // Keep only the unread text, then read on: at least twice what was there (or 64 KB), so a long row is
        // scanned again only a few times, not once per chunk.
        buf = buf.slice(start);
        start = 0;
        const want = Math.max(65536, buf.length * 2);
        const parts = [buf];
        let size = buf.length;
        while (size < want) {
          const r = await it.next();
          if (r.done) {
            final = true;
            break;
          }
          parts.push(r.value);
          size += r.value.length;
        }
        buf = parts.join('');
        continue;
      }
    }
    if (row.unclosed) {
      // The quote never closed: report the row where it opened, then resume on the line after it.
      const rest = buf.slice(start);
      const found = state.eol ? rest.indexOf(state.eol) : firstEol(rest);
      if (!state.eol && found >= 0) state.eol = rest.startsWith('\r\n', found) ? '\r\n' : rest[found]!;
      const firstLine = found >= 0 ? rest.slice(0, found) : rest;
      yield { fields: [], raw: firstLine.length > 10_000 ? `${firstLine.slice(0, 10_000)}…` : firstLine, line, error: row.error ?? 'Quote Not Closed: the quote opened on this row is never closed' };
      if (found < 0) return;
      start += found + state.eol!.length;
      line++;
      continue;
    }
    const raw = buf.slice(start, row.rowEnd);
    yield { fields: row.fields, raw, line, ...(row.error ? { error: row.error } : {}) };
    line += 1 + countEol(raw);
    if (row.next === row.rowEnd) return; // the end of the text
    start = row.next;
  }
}

/**
 * Scans one row of `buf` from `start`. Throws NEED_MORE when the buffered text ends before the row does
 * and more text may come (`final` false). Sets `state.eol` from the first row delimiter when not given.
 */
function scanRow(buf: string, start: number, final: boolean, o: SplitOptions, state: { eol?: string }): Scanned {
  const len = buf.length;
  const d = o.delimiter;
  const d0 = d[0]!;
  // Is there a character at i? (false at the end of the text)
  const has = (i: number): boolean => {
    if (i < len) return true;
    if (!final) throw NEED_MORE;
    return false;
  };
  const isSpace = (c: string) => c === ' ' || c === '\t';
  // What is at i: a column delimiter, a row delimiter, the end of the text, or ordinary text.
  const boundary = (i: number): 'delimiter' | 'eol' | 'end' | 'text' => {
    if (!has(i)) return 'end';
    const c = buf[i]!;
    if (c === d0 && (d.length === 1 || (has(i + d.length - 1) && buf.startsWith(d, i)))) return 'delimiter';
    const eol = state.eol;
    if (eol) {
      if (c !== eol[0]) return 'text';
      if (eol.length === 1) return 'eol';
      has(i + eol.length - 1);
      return buf.startsWith(eol, i) ? 'eol' : 'text';
    }
    if (c === '\n') return 'eol';
    if (c === '\r') return 'eol';
    return 'text';
  };
  const fields: string[] = [];
  let error: string | undefined;
  let i = start;
  for (;;) {
    if (o.trim) while (has(i) && isSpace(buf[i]!)) i++;
    let field: string;
    if (o.quote && has(i) && buf[i] === QUOTE) {
      i++;
      field = '';
      let from = i;
      for (;;) {
        const at = buf.indexOf(QUOTE, i);
        if (at < 0) {
          if (!final) throw NEED_MORE;
          return { fields, unclosed: true, rowEnd: len, next: len };
        }
        if (!has(at + 1) || buf[at + 1] !== QUOTE) {
          field += buf.slice(from, at);
          i = at + 1;
          break;
        }
        field += buf.slice(from, at + 1);
        i = at + 2;
        from = i;
      }
      if (o.trim) while (has(i) && isSpace(buf[i]!)) i++;
      if (boundary(i) === 'text') {
        error ??= `Invalid Closing Quote: text after the quote that closes field ${fields.length + 1}`;
        // Read the rest of the field as plain text.
        while (boundary(i) === 'text') field += buf[i++]!;
      }
    } else {
      const from = i;
      while (boundary(i) === 'text') i++;
      field = buf.slice(from, i);
      if (o.trim) field = field.replace(/[ \t]+$/, '');
    }
    fields.push(field);
    const b = boundary(i);
    if (b === 'delimiter') {
      i += d.length;
      continue;
    }
    if (b === 'end') return { fields, ...(error ? { error } : {}), rowEnd: i, next: i };
    if (!state.eol) {
      // The first row delimiter found outside quotes sets it for the file.
      if (buf[i] === '\n') state.eol = '\n';
      else {
        has(i + 1);
        state.eol = buf[i + 1] === '\n' ? '\r\n' : '\r';
      }
    }
    return { fields, ...(error ? { error } : {}), rowEnd: i, next: i + state.eol.length };
  }
}

function firstEol(s: string): number {
  const n = s.indexOf('\n');
  const r = s.indexOf('\r');
  if (n < 0) return r;
  if (r < 0) return n;
  return Math.min(n, r);
}

/** Physical lines a row's text spans beyond its first (a quoted value may hold line breaks of any kind). */
function countEol(s: string): number {
  return s.match(/\r\n|\n|\r/g)?.length ?? 0;
}

function strip(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Accepts the escaped forms UIs store (`\t`, `\r\n`) as well as the characters themselves. */
function unescapeDelimiter(d: string | undefined): string | undefined {
  if (!d) return undefined;
  return d.replaceAll('\\t', '\t').replaceAll('\\r', '\r').replaceAll('\\n', '\n');
}

/** Records → CSV pieces: header row, one row per record (each rendered on its own, so one bad record stays alone). */
export function generateCsv(records: readonly DataRecord[], o: CsvOptions = {}): FilePieces {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  const options = {
    delimiter: unescapeDelimiter(o.columnDelimiter) ?? ',',
    record_delimiter: unescapeDelimiter(o.rowDelimiter) ?? '\r\n',
    quoted: o.wrapWithQuotes === true,
    eof: true,
  };
  const clean = (v: string) => {
    let s = v;
    if (o.replaceTabWithSpace) s = s.replaceAll('\t', ' ');
    if (o.replaceNewlineWithSpace) s = s.replace(/\r\n|\r|\n/g, ' ');
    return s;
  };
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return clean(v);
    if (typeof v === 'object') return clean(JSON.stringify(v));
    return String(v);
  };
  const head = o.includeHeader === false ? '' : stringify([columns], options);
  return {
    head,
    items: records.map((r) => () => stringify([columns.map((c) => cell(r[c]))], options)),
    separator: '',
    tail: '',
    bom: o.includeBOM === true,
  };
}
