import { parse, type CsvError } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { DataRecord } from '../../adaptor.js';
import { problem, type CsvOptions, type ParsedItem } from './file-options.js';
import type { FilePieces } from './pieces.js';

/**
 * CSV → records, streamed. The header row names the fields (or `Column0`, `Column1`… without one); a row
 * that cannot be read (wrong number of columns, bad quoting) becomes a problem naming its line, and the
 * rows around it still go through.
 */
export async function* parseCsv(text: AsyncIterable<string>, o: CsvOptions = {}, fileName?: string): AsyncGenerator<ParsedItem> {
  const header = o.hasHeaderRow !== false;
  const stripQuotes = o.disableQuoteAndStripEnclosingQuotes === true;
  const skipped: ParsedItem[] = [];
  const parser = parse({
    delimiter: unescapeDelimiter(o.columnDelimiter) ?? ',',
    ...(o.rowDelimiter ? { record_delimiter: unescapeDelimiter(o.rowDelimiter)! } : {}),
    bom: true,
    columns: header ? (names: string[]) => names.map((n) => n.trim()) : false,
    from_line: Math.max(0, o.rowsToSkip ?? 0) + 1,
    trim: o.trimSpaces === true,
    quote: stripQuotes ? false : '"',
    relax_column_count: !header,
    skip_empty_lines: true,
    info: true,
    // Keeps the raw text of a skipped row, so the problem carries it as retry data.
    raw: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      const line = (err as { lines?: number } | undefined)?.lines;
      skipped.push(problem(fileName, line, err?.message ?? 'unreadable row', raw?.replace(/\r?\n$/, '')));
      return undefined;
    },
  });

  let sourceError: unknown;
  const feeding = (async () => {
    try {
      for await (const chunk of text) {
        if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
      }
      parser.end();
    } catch (err) {
      sourceError = err ?? new Error('reading the file failed');
      parser.destroy(err as Error);
    }
  })();

  try {
    for await (const item of parser as AsyncIterable<{ record: string[] | Record<string, string>; info: { lines: number } }>) {
      while (skipped.length > 0) yield skipped.shift()!;
      const record: DataRecord = {};
      if (Array.isArray(item.record)) item.record.forEach((v, i) => (record[`Column${i}`] = stripQuotes ? strip(v) : v));
      else for (const [k, v] of Object.entries(item.record)) record[k] = stripQuotes ? strip(v) : v;
      yield { record };
    }
  } catch (err) {
    await feeding;
    // A failure to read the file (network, gzip, encoding) fails the file; it is not a bad row.
    if (sourceError !== undefined) throw sourceError;
    // Errors csv-parse cannot skip (an unclosed quote at the end of the file) end the file, not the run.
    const e = err as CsvError & { lines?: number };
    while (skipped.length > 0) yield skipped.shift()!;
    yield problem(fileName, e.lines, e.message);
  }
  await feeding;
  while (skipped.length > 0) yield skipped.shift()!;
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
