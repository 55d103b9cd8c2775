import type { ImportRequest, RecordOutcome, RunContext } from '../../adaptor.js';
import { fileExtension, generateFile, type FileOptions } from '../formats/index.js';
import { renderFileName } from './file-name.js';

/** Where a file import writes: the adaptor turns a file name into a remote path and uploads the bytes. */
export interface FileTarget {
  /** Uploads `data` as `name`; returns the path or key it was written to. */
  write(name: string, data: Buffer): Promise<string>;
}

/**
 * Writes one page of records as one file (`file.skipAggregation` true, the default here; false is refused), named from a Handlebars template (`orders-{{timestamp}}.csv`).
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
  if (file.skipAggregation === false) {
    // One file per run needs a run-end step the engine does not give imports yet; writing page files instead
    // would ignore the setting silently, so the records are refused with the reason (their retry data kept).
    const message = 'file.skipAggregation false (one file per run) is not supported yet; set it to true (or leave it out) to write one file per page';
    return req.records.map(() => ({ statusCode: 422, errors: [{ code: 'unsupported_option', message, source: 'application' }] }));
  }
  const { data, rejected } = generateFile(req.records, file);
  const outcomes: RecordOutcome[] = req.records.map(() => ({ statusCode: 200 }));
  for (const r of rejected) outcomes[r.index] = { statusCode: 422, errors: [{ code: 'invalid_record', message: r.message, source: 'application' }] };
  if (rejected.length === req.records.length) return outcomes;

  const template = fileNameTemplate || `file-{{timestamp}}.${fileExtension(file)}`;
  const name = unique(renderFileName(template, ctx, { pageIndex: req.pageIndex ?? used.size, import: req.import }, allowFolders), used);
  if (ctx.testMode === true) return outcomes;
  const written = await target.write(name, data);
  ctx.log.info({ file: written, records: req.records.length - rejected.length }, 'file written');
  return outcomes.map((o) => (o.statusCode === 200 ? { ...o, _json: { fileName: written } } : o));
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
