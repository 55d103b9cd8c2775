import type { DataRecord } from '../../adaptor.js';
import { problem, type FixedWidthOptions, type ParsedItem } from './file-options.js';
import type { FilePieces } from './pieces.js';
import { lines } from './text.js';

interface Layout {
  name: string;
  start: number; // 0-based
  length: number;
  align: 'left' | 'right';
  pad: string;
}

function layout(o: FixedWidthOptions | undefined): Layout[] {
  if (!o || !Array.isArray(o.columns) || o.columns.length === 0) throw new Error('a fixed-width file needs fixedWidth.columns');
  let next = 0;
  return o.columns.map((c) => {
    if (!c.name || !Number.isInteger(c.length) || c.length <= 0) throw new Error(`fixed-width column ${JSON.stringify(c)} needs a name and a positive length`);
    const start = c.start !== undefined ? c.start - 1 : next;
    next = start + c.length;
    return { name: c.name, start, length: c.length, align: c.align ?? 'left', pad: (c.padChar ?? ' ').slice(0, 1) || ' ' };
  });
}

export function checkFixedWidth(o: FixedWidthOptions | undefined): void {
  layout(o);
}

/** Fixed-width lines → records; a line too short to reach the last column is a problem naming its line. */
export async function* parseFixedWidth(text: AsyncIterable<string>, o: FixedWidthOptions | undefined, fileName?: string): AsyncGenerator<ParsedItem> {
  const cols = layout(o);
  const trim = o?.trim !== false;
  const skip = Math.max(0, o?.rowsToSkip ?? 0);
  const minLength = Math.max(...cols.map((c) => c.start + 1));
  for await (const { line, number } of lines(text)) {
    if (number <= skip || line.trim() === '') continue;
    if (line.length < minLength) {
      yield problem(fileName, number, `line has ${line.length} characters; the last column starts at ${minLength}`, line);
      continue;
    }
    const record: DataRecord = {};
    for (const c of cols) {
      const raw = line.slice(c.start, c.start + c.length);
      record[c.name] = trim ? raw.trim() : raw;
    }
    yield { record };
  }
}

/** Records → fixed-width lines; a value longer than its column refuses the record (nothing is cut off). */
export function generateFixedWidth(records: readonly DataRecord[], o: FixedWidthOptions | undefined): FilePieces {
  const cols = layout(o);
  const width = Math.max(...cols.map((c) => c.start + c.length));
  const eol = o?.rowDelimiter ?? '\r\n';
  return {
    head: '',
    items: records.map((r) => () => {
      const chars = Array<string>(width).fill(' ');
      for (const c of cols) {
        const v = r[c.name];
        const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        if (s.length > c.length) throw new Error(`field "${c.name}" is ${s.length} characters long; its column holds ${c.length}`);
        if (/[\r\n]/.test(s)) throw new Error(`field "${c.name}" contains a line break`);
        const padded = c.align === 'right' ? s.padStart(c.length, c.pad) : s.padEnd(c.length, c.pad);
        for (let i = 0; i < c.length; i++) chars[c.start + i] = padded[i]!;
      }
      return chars.join('') + eol;
    }),
    separator: '',
    tail: '',
  };
}
