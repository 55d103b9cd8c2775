import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataRecord, ExportPage, ExportProblem, ExportRequest, RunContext } from '../../adaptor.js';
import { checkFileOptions, parseFile, type FileOptions } from '../formats/index.js';

/** A file an export will read: its name (for matching and messages) and where it lives. */
export interface SourceFile {
  name: string;
  /** Full remote path or object key. */
  ref: string;
}

/** What a file adaptor (FTP, SFTP, S3) provides to a file export. */
export interface FileSource {
  /** The files to read, already filtered by name, in the order to read them. */
  list(): Promise<SourceFile[]>;
  /** Copies the file into a local path. */
  download(file: SourceFile, localPath: string): Promise<void>;
  /** After the run committed: move the file to its backup location, or delete it. */
  retire(file: SourceFile): Promise<void>;
}

/**
 * Reads files into pages of records and retires them only once the run has committed.
 *
 * `exportPages` remembers the files it read completely; `commit` retires exactly those (unless
 * `file.skipDelete`). A run that fails never reaches `commit`, so its files stay where they were and the
 * next run reads them again, once.
 */
export class FileExporter {
  #read: SourceFile[] = [];

  async *exportPages(source: FileSource, file: FileOptions, req: ExportRequest, ctx: RunContext): AsyncGenerator<ExportPage> {
    this.#read = [];
    const read: SourceFile[] = [];
    const pageSize = Math.max(1, Math.floor(req.pageSize || 20));
    let left = req.limit ?? Infinity;
    let records: DataRecord[] = [];
    let problems: ExportProblem[] = [];
    const flush = (): ExportPage => {
      const page: ExportPage = problems.length > 0 ? { records, problems } : { records };
      records = [];
      problems = [];
      return page;
    };

    checkFileOptions(file);
    const dir = await mkdtemp(join(tmpdir(), 'integrator-file-'));
    try {
      for (const f of await source.list()) {
        if (left <= 0) break;
        ctx.signal.throwIfAborted();
        const local = join(dir, 'current');
        let complete = true;
        let fromFile = 0;
        try {
          await source.download(f, local);
          for await (const item of parseFile(createReadStream(local), file, f.name)) {
            if ('problem' in item) problems.push(item.problem);
            else {
              if (left <= 0) {
                complete = false;
                break;
              }
              records.push(item.record);
              fromFile++;
              left--;
            }
            if (records.length >= pageSize) {
              ctx.signal.throwIfAborted();
              yield flush();
            }
          }
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          // This file cannot be read (download, decompression, encoding, not text): one problem naming it; the file
          // stays where it is (it is not retired), and the other files go on. Records it gave before failing have
          // gone on already; they come again when the file is read again.
          complete = false;
          const reason = err instanceof Error ? err.message : String(err);
          const after = fromFile > 0 ? ` (after ${fromFile} record${fromFile === 1 ? '' : 's'} of it had been read)` : '';
          problems.push({ code: 'file_error', message: `reading file ${f.ref}: ${reason}${after}; the file was left in place` });
          ctx.log.warn({ file: f.ref, err: reason, records: fromFile }, 'file unreadable');
        } finally {
          await rm(local, { force: true });
        }
        if (complete) read.push(f);
        ctx.log.info({ file: f.ref, complete }, 'file read');
      }
      if (records.length > 0 || problems.length > 0) yield flush();
      this.#read = read;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Retires the files the last completed `exportPages` read; throws naming every file it could not retire. */
  async commit(source: FileSource, file: FileOptions, ctx: RunContext): Promise<void> {
    const files = this.#read;
    this.#read = [];
    if (file.skipDelete === true || ctx.testMode === true) return;
    const failures: string[] = [];
    for (const f of files) {
      try {
        await source.retire(f);
      } catch (err) {
        failures.push(`${f.ref}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failures.length > 0) throw new Error(`retiring exported files: ${failures.join('; ')}`);
  }
}

/** Name filter of file exports: `fileNameStartsWith` / `fileNameEndsWith` (case-sensitive). */
export function nameMatches(name: string, startsWith?: unknown, endsWith?: unknown): boolean {
  if (typeof startsWith === 'string' && startsWith && !name.startsWith(startsWith)) return false;
  if (typeof endsWith === 'string' && endsWith && !name.endsWith(endsWith)) return false;
  return true;
}
