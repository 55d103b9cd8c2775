import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { DataRecord, ImportCommitRequest, ImportRequest, RecordOutcome, RunContext } from '../../adaptor.js';
import { fileExtension, fileKind, generateFile, generatePieces, type FileOptions } from '../formats/index.js';
import { encodeText } from '../formats/text.js';
import { renderFileName } from './file-name.js';

/** A file on the local disk to upload (a run's aggregated file), streamed rather than read into memory. */
export interface LocalFile {
  path: string;
  size: number;
}

/** Where a file import writes: the adaptor turns a file name into a remote path and uploads the bytes. */
export interface FileTarget {
  /** Uploads `data` (bytes, or the local file `data.path`) as `name`; returns the path or key it was written to. */
  write(name: string, data: Buffer | LocalFile): Promise<string>;
}

const aggregates = (file: FileOptions) => file.skipAggregation === false;

/**
 * Where the records of one run of one aggregating import wait for the run's end: a file under the OS temp
 * directory named by the run (flow or retry job) and the import, so a run resumed after a crash appends to
 * the same spool. One JSON record per line; each page is appended in one write that starts with a newline, so
 * a line torn by a crash stands alone (its page was not recorded as done, and is sent again on resume).
 */
export function spoolPath(runId: string, importId: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return join(tmpdir(), 'integrator-file-imports', `${safe(runId)}-${safe(importId)}.ndjson`);
}

/**
 * Writes one page of records: as one file (`file.skipAggregation` true or absent), named from a Handlebars
 * template (`orders-{{timestamp}}.csv`), or, with `skipAggregation: false`, appended to the run's spool, which
 * `commitRunFile` uploads as one file when the run completed.
 * A record the format cannot hold gets a 422 of its own; the others are written. Names already used by
 * this session get a `-2`, `-3`… suffix, so two pages never overwrite each other.
 */
export async function writePage(
  target: FileTarget,
  req: ImportRequest,
  ctx: RunContext,
  fileNameTemplate: string | undefined,
  used: Set<string>,
  allowFolders = false,
): Promise<RecordOutcome[]> {
  const file = (req.import.file ?? {}) as FileOptions;
  if (req.records.length === 0) return [];
  const aggregate = aggregates(file);
  if (aggregate && !ctx.runId && ctx.testMode !== true) {
    const message = 'file.skipAggregation false (one file per run) writes only inside a flow run or a retry';
    return req.records.map(() => ({ statusCode: 422, errors: [{ code: 'unsupported_option', message, source: 'application' }] }));
  }
  // Generating the page checks every record against the format (a spooled record is generated again at commit).
  const { data, rejected } = generateFile(req.records, file);
  const outcomes: RecordOutcome[] = req.records.map(() => ({ statusCode: 200 }));
  for (const r of rejected) outcomes[r.index] = { statusCode: 422, errors: [{ code: 'invalid_record', message: r.message, source: 'application' }] };
  if (rejected.length === req.records.length) return outcomes;

  const template = fileNameTemplate || `file-{{timestamp}}.${fileExtension(file)}`;
  if (aggregate) {
    // Rendered here too, so a template that cannot give a name fails the page, not the commit after the run.
    renderFileName(template, ctx, { import: req.import }, allowFolders);
    if (ctx.testMode === true) return outcomes;
    const refused = new Set(rejected.map((r) => r.index));
    const lines = req.records.flatMap((r, i) => (refused.has(i) ? [] : [`\n${JSON.stringify(r)}`])).join('');
    const spool = spoolPath(ctx.runId!, req.import._id);
    await mkdir(join(spool, '..'), { recursive: true });
    await appendFile(spool, lines, 'utf8');
    return outcomes;
  }
  const name = unique(renderFileName(template, ctx, { pageIndex: req.pageIndex ?? used.size, import: req.import }, allowFolders), used);
  if (ctx.testMode === true) return outcomes;
  const written = await target.write(name, data);
  ctx.log.info({ file: written, records: req.records.length - rejected.length }, 'file written');
  return outcomes.map((o) => (o.statusCode === 200 ? { ...o, _json: { fileName: written } } : o));
}

/**
 * The run completed: an aggregating import generates its spooled records as one file (CSV header with every
 * column the run's records have, JSON array or lines, XML root once), uploads it under the file-name template
 * rendered now, then deletes the spool. Nothing to do for one-file-per-page imports, in test mode, or when no
 * record reached the import (no spool: no file). A failed upload throws and keeps the spool on the server.
 */
export async function commitRunFile(target: FileTarget, req: ImportCommitRequest, ctx: RunContext, fileNameTemplate: string | undefined, allowFolders = false): Promise<void> {
  const file = (req.import.file ?? {}) as FileOptions;
  if (!aggregates(file) || ctx.testMode === true || !ctx.runId) return;
  const spool = spoolPath(ctx.runId, req.import._id);
  if (!(await stat(spool).catch(() => undefined))) return;
  const out = `${spool}.out`;
  try {
    const count = await renderSpool(spool, out, file, ctx);
    if (count > 0) {
      const name = renderFileName(fileNameTemplate || `file-{{timestamp}}.${fileExtension(file)}`, ctx, { import: req.import }, allowFolders);
      const written = await target.write(name, { path: out, size: (await stat(out)).size });
      ctx.log.info({ file: written, records: count }, 'file written (one file per run)');
    }
    await rm(spool, { force: true });
  } catch (err) {
    ctx.log.warn({ spool, err: err instanceof Error ? err.message : String(err) }, 'one-file-per-run upload failed; the records are kept in the spool');
    throw err;
  } finally {
    await rm(out, { force: true });
  }
}

async function* spooledRecords(spool: string, ctx: RunContext): AsyncGenerator<DataRecord> {
  const lines = createInterface({ input: createReadStream(spool, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    let record: DataRecord;
    try {
      record = JSON.parse(line) as DataRecord;
    } catch {
      // A line torn by a crash: its page was not recorded as processed and was spooled again on resume.
      ctx.log.warn({ spool }, 'skipping a torn line of a file-import spool');
      continue;
    }
    yield record;
  }
}

/** Generates the spooled records into `out`, streamed; CSV reads the spool twice (its columns, then its rows). Returns the record count. */
async function renderSpool(spool: string, out: string, file: FileOptions, ctx: RunContext): Promise<number> {
  let columns: string[] | undefined;
  if (fileKind(file) === 'csv') {
    const seen = new Set<string>();
    columns = [];
    for await (const r of spooledRecords(spool, ctx)) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  }
  const shape = (r: DataRecord): DataRecord => (columns ? Object.fromEntries(columns.map((c) => [c, r[c]])) : r);
  let count = 0;
  async function* bytes(): AsyncGenerator<Buffer> {
    let tail = '';
    for await (const r of spooledRecords(spool, ctx)) {
      const pieces = generatePieces([shape(r)], file);
      if (count === 0) {
        yield encodeText(pieces.head, file, pieces.bom === true);
        tail = pieces.tail;
      }
      yield encodeText((count === 0 ? '' : pieces.separator) + pieces.items[0]!(), file);
      count++;
    }
    if (count > 0) yield encodeText(tail, file);
  }
  const source = Readable.from(bytes());
  if (file.compressionFormat?.toLowerCase() === 'gzip') await pipeline(source, createGzip(), createWriteStream(out));
  else await pipeline(source, createWriteStream(out));
  return count;
}

function unique(name: string, used: Set<string>): string {
  let candidate = name;
  for (let n = 2; used.has(candidate); n++) {
    const dot = name.lastIndexOf('.');
    candidate = dot > 0 ? `${name.slice(0, dot)}-${n}${name.slice(dot)}` : `${name}-${n}`;
  }
  used.add(candidate);
  return candidate;
}
