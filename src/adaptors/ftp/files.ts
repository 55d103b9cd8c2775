import { posix } from 'node:path';
import type { RunContext } from '../adaptor.js';
import { nameMatches, type FileSource } from '../common/files/file-export.js';
import type { FileTarget } from '../common/files/file-import.js';
import { renderFileName } from '../common/files/file-name.js';
import type { RemoteFs } from './remote-fs.js';

/** The export's `ftp` block (API contract §5.4). */
export interface FtpExportBlock {
  directoryPath: string;
  fileNameStartsWith?: string;
  fileNameEndsWith?: string;
  /** Move read files here after a committed run instead of deleting them. */
  backupDirectoryPath?: string;
}

/** The import's `ftp` block (API contract §6.1). */
export interface FtpImportBlock {
  directoryPath: string;
  /** Handlebars template, e.g. `orders-{{timestamp}}.csv`. */
  fileName?: string;
  /** Appended as `.ext` when the rendered name has no extension. */
  fileExtension?: string;
  /** Upload under this name (template) first, then rename: readers never see a half-written file. */
  inProgressFileName?: string;
  /** Upload as `<name>.tmp`, then rename. */
  useTempFile?: boolean;
}

/** With `userDirectoryIsRoot`, paths are relative to the login directory. */
export function remotePath(path: string, userDirectoryIsRoot: boolean): string {
  const p = posix.normalize(path || '.');
  return userDirectoryIsRoot ? p.replace(/^\/+/, '') || '.' : p;
}

export function ftpSource(fs: RemoteFs, block: FtpExportBlock, userDirectoryIsRoot: boolean): FileSource {
  if (!block?.directoryPath) throw new Error('ftp.directoryPath is missing');
  const dir = remotePath(block.directoryPath, userDirectoryIsRoot);
  const backup = block.backupDirectoryPath ? remotePath(block.backupDirectoryPath, userDirectoryIsRoot) : undefined;
  let backupReady = false;
  return {
    async list() {
      const entries = await fs.list(dir);
      return entries
        .filter((e) => e.isFile && nameMatches(e.name, block.fileNameStartsWith, block.fileNameEndsWith))
        .map((e) => e.name)
        .sort()
        .map((name) => ({ name, ref: posix.join(dir, name) }));
    },
    download: (file, local) => fs.download(file.ref, local),
    async retire(file) {
      if (!backup) return fs.remove(file.ref);
      if (!backupReady) {
        await fs.mkdirp(backup);
        backupReady = true;
      }
      await fs.rename(file.ref, posix.join(backup, file.name));
    },
  };
}

export function ftpTarget(fs: RemoteFs, block: FtpImportBlock, userDirectoryIsRoot: boolean, ctx: RunContext): FileTarget {
  if (!block?.directoryPath) throw new Error('ftp.directoryPath is missing');
  const dir = remotePath(block.directoryPath, userDirectoryIsRoot);
  return {
    async write(name, input) {
      const data = Buffer.isBuffer(input) ? input : input.path;
      const finalName = block.fileExtension && !posix.extname(name) ? `${name}.${block.fileExtension.replace(/^\./, '')}` : name;
      const path = posix.join(dir, finalName);
      const temp = block.inProgressFileName
        ? posix.join(dir, renderFileName(block.inProgressFileName, ctx, { fileName: finalName }))
        : block.useTempFile
          ? `${path}.tmp`
          : undefined;
      if (!temp) {
        await fs.upload(data, path);
        return path;
      }
      await fs.upload(data, temp);
      await fs.rename(temp, path);
      return path;
    },
  };
}
