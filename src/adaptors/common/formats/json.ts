import type { DataRecord } from '../../adaptor.js';
import { problem, type ParsedItem } from './file-options.js';
import type { FilePieces } from './pieces.js';
import { lines, readAllText } from './text.js';

export interface JsonOptions {
  resourcePath?: string;
  lines?: boolean;
}

/**
 * JSON → records: the array at `resourcePath` (or the document itself; an object is one record), or, in
 * JSON Lines mode, one record per line, where a bad line is a problem and the other lines go through.
 * JSON Lines is used when `lines` is set, the file name ends in `.jsonl`/`.ndjson`, or the file is not one
 * JSON document but its first line is.
 */
export async function* parseJson(text: AsyncIterable<string>, o: JsonOptions = {}, fileName?: string): AsyncGenerator<ParsedItem> {
  if (o.lines === true || /\.(jsonl|ndjson)$/i.test(fileName ?? '')) {
    yield* parseLines(text, fileName);
    return;
  }
  const all = await readAllText(text);
  let doc: unknown;
  try {
    doc = JSON.parse(all);
  } catch (err) {
    const first = all.split('\n', 1)[0]!;
    if (all.trim().includes('\n') && isJson(first)) {
      yield* parseLines(one(all), fileName);
      return;
    }
    yield problem(fileName, lineOf(all, err as Error), (err as Error).message);
    return;
  }
  const target = o.resourcePath ? getPath(doc, o.resourcePath) : doc;
  if (target === undefined) {
    yield problem(fileName, undefined, `resourcePath "${o.resourcePath}" is not in the document`);
    return;
  }
  for (const item of Array.isArray(target) ? target : [target]) yield { record: asRecord(item) };
}

async function* parseLines(text: AsyncIterable<string>, fileName?: string): AsyncGenerator<ParsedItem> {
  for await (const { line, number } of lines(text)) {
    if (!line.trim()) continue;
    try {
      yield { record: asRecord(JSON.parse(line)) };
    } catch (err) {
      yield problem(fileName, number, (err as Error).message, line);
    }
  }
}

async function* one(text: string): AsyncGenerator<string> {
  yield text;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function lineOf(text: string, err: Error): number | undefined {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return undefined;
  return text.slice(0, Number(m[1])).split('\n').length;
}

function asRecord(v: unknown): DataRecord {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as DataRecord) : { value: v };
}

function getPath(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const part of path.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Records → a JSON array (nested under `resourcePath` when set), or JSON Lines. */
export function generateJson(records: readonly DataRecord[], o: JsonOptions = {}): FilePieces {
  const items = records.map((r) => () => JSON.stringify(r));
  if (o.lines) return { head: '', items: items.map((f) => () => `${f()}\n`), separator: '', tail: '' };
  const parts = (o.resourcePath ?? '').split('.').filter(Boolean);
  const head = parts.map((p) => `{${JSON.stringify(p)}:`).join('') + '[';
  const tail = ']' + '}'.repeat(parts.length) + '\n';
  return { head, items, separator: ',', tail };
}
