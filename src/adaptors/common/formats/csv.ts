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

/** Text chunks → physical CSV rows (a quoted line break stays inside its row), each with its first line number. */
async function* splitRows(chunks: AsyncIterable<string>, o: SplitOptions): AsyncGenerator<RawRow> {
  let eol = o.rowDelimiter;
  let buf = '';
  let line = 1;
  let ended = false;
  const it = chunks[Symbol.asyncIterator]();
  // Fills `buf` so that index `need` exists; false at the end of the text.
  const more = async (need: number): Promise<boolean> => {
    while (!ended && buf.length <= need) {
      const r = await it.next();
      if (r.done) ended = true;
      else buf += r.value;
    }
    return buf.length > need;
  };
  const isSpace = (c: string) => c === ' ' || c === '\t';
  let start = 0;
  for (;;) {
    // Compact what earlier rows used.
    if (start > 65536) {
      buf = buf.slice(start);
      start = 0;
    }
    if (!(await more(start))) return;
    // Scan one row from `start`.
    const fields: string[] = [];
    let field = '';
    let i = start;
    let error: string | undefined;
    let rowEnd = -1; // index where the row text ends (before its delimiter)
    let next = -1; // index where the next row starts
    let unclosed = false;
    row: for (;;) {
      // Start of a field.
      if (o.trim) while ((await more(i)) && isSpace(buf[i]!)) i++;
      if (o.quote && (await more(i)) && buf[i] === QUOTE) {
        i++;
        field = '';
        for (;;) {
          if (!(await more(i))) {
            unclosed = true;
            break row;
          }
          const c = buf[i]!;
          if (c === QUOTE) {
            if ((await more(i + 1)) && buf[i + 1] === QUOTE) {
              field += QUOTE;
              i += 2;
              continue;
            }
            i++;
            break;
          }
          field += c;
          i++;
        }
        if (o.trim) while ((await more(i)) && isSpace(buf[i]!)) i++;
        // After the closing quote: a delimiter, the end of the row, or text that should not be there.
        const after = await atBoundary(i);
        if (after === 'text') {
          error ??= `Invalid Closing Quote: text after the quote that closes field ${fields.length + 1}`;
          // Read the rest of the field as plain text.
          while ((await atBoundary(i)) === 'text') field += buf[i++]!;
        }
      } else {
        field = '';
        while ((await atBoundary(i)) === 'text') field += buf[i++]!;
        if (o.trim) field = field.replace(/[ \t]+$/, '');
      }
      fields.push(field);
      const b = await atBoundary(i);
      if (b === 'delimiter') {
        i += o.delimiter.length;
        continue;
      }
      rowEnd = i;
      next = b === 'end' ? i : i + eol!.length;
      break;
    }
    if (unclosed) {
      // The quote never closed: report the row where it opened, then resume on the line after it.
      const rest = buf.slice(start);
      const found = eol ? rest.indexOf(eol) : firstEol(rest);
      if (!eol && found >= 0) eol = rest.startsWith('\r\n', found) ? '\r\n' : rest[found]!;
      const firstLine = found >= 0 ? rest.slice(0, found) : rest;
      yield { fields: [], raw: firstLine, line, error: 'Quote Not Closed: the quote opened on this row is never closed' };
      if (found < 0) return;
      start += found + eol!.length;
      line++;
      continue;
    }
    const raw = buf.slice(start, rowEnd);
    yield { fields, raw, line, ...(error ? { error } : {}) };
    line += 1 + countEol(raw);
    start = next;
    if (next === rowEnd) return; // the end of the text
  }

  // What is at `i`: a column delimiter, a row delimiter, the end of the text, or ordinary text.
  async function atBoundary(i: number): Promise<'delimiter' | 'eol' | 'end' | 'text'> {
    if (!(await more(i))) return 'end';
    if (buf.startsWith(o.delimiter[0]!, i) && (o.delimiter.length === 1 || ((await more(i + o.delimiter.length - 1)) && buf.startsWith(o.delimiter, i)))) return 'delimiter';
    if (eol) {
      if (buf[i] !== eol[0]) return 'text';
      if (eol.length === 1) return 'eol';
      await more(i + eol.length - 1);
      return buf.startsWith(eol, i) ? 'eol' : 'text';
    }
    const c = buf[i];
    if (c === '\n') {
      eol = '\n';
      return 'eol';
    }
    if (c === '\r') {
      eol = (await more(i + 1)) && buf[i + 1] === '\n' ? '\r\n' : '\r';
      return 'eol';
    }
    return 'text';
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
