import { fileSchema } from '../common/files/file-schema.js';
import type { Adaptor, AdaptorSession, BlockProblem, Doc } from '../adaptor.js';
import { FileExporter } from '../common/files/file-export.js';
import { commitRunFile, writePage } from '../common/files/file-import.js';
import type { FileOptions } from '../common/formats/index.js';
import { createFtpClient } from './ftp-client.js';
import { ftpSource, ftpTarget, type FtpExportBlock, type FtpImportBlock } from './files.js';
import type { FtpConnectionBlock, RemoteFs } from './remote-fs.js';
import { createSftpClient } from './sftp-client.js';
import { ftpConnectionSchema, ftpExportSchema, ftpImportSchema } from './spec.js';

function createRemote(connection: Doc): { fs: RemoteFs; block: FtpConnectionBlock } {
  const block = connection.ftp as FtpConnectionBlock | undefined;
  if (!block || typeof block !== 'object' || !block.hostURI) throw new Error('connection has no ftp.hostURI');
  const type = String(block.type ?? 'ftp').toLowerCase();
  if (type === 'sftp') return { fs: createSftpClient(block), block };
  if (type === 'ftp' || type === 'ftps') return { fs: createFtpClient(block, type === 'ftps'), block };
  throw new Error(`ftp.type "${block.type}" is not supported (ftp, ftps, sftp)`);
}

const given = (v: unknown) => typeof v === 'string' && v !== '';

/** Save-time rule the schema cannot say: FTP and FTPS log in with a password; SFTP with a password or a private key. */
export function checkFtpBlock(resource: 'connection' | 'export' | 'import', block: Record<string, unknown>): BlockProblem[] {
  if (resource !== 'connection') return [];
  const type = String(block.type ?? 'ftp').toLowerCase();
  if (type === 'sftp') {
    return given(block.password) || given(block.authKey)
      ? []
      : [{ code: 'missing_required_field', field: 'ftp.password', message: 'ftp.password (or ftp.authKey) is required for an SFTP connection.' }];
  }
  return given(block.password) ? [] : [{ code: 'missing_required_field', field: 'ftp.password', message: `ftp.password is required for an ${type.toUpperCase()} connection.` }];
}

/** FTP, FTPS and SFTP servers (`FTPExport`, `FTPImport`): files in, records out, and back. */
export const ftpAdaptor: Adaptor = {
  connectionType: 'ftp',
  exportTypes: ['FTPExport'],
  importTypes: ['FTPImport'],
  blockName: 'ftp',
  schemas: { connection: ftpConnectionSchema, export: ftpExportSchema, import: ftpImportSchema, file: fileSchema },
  check: checkFtpBlock,
  async open(connection: Doc): Promise<AdaptorSession> {
    const { fs, block } = createRemote(connection);
    const root = block.userDirectoryIsRoot === true;
    const exporter = new FileExporter();
    const written = new Set<string>();
    const fileOf = (doc: Doc) => (doc.file ?? {}) as FileOptions;
    return {
      ping: () => fs.ping(),
      async *exportPages(req, ctx) {
        yield* exporter.exportPages(ftpSource(fs, req.export.ftp as FtpExportBlock, root), fileOf(req.export), req, ctx);
      },
      commitExport: async (req, ctx) => exporter.commit(ftpSource(fs, req.export.ftp as FtpExportBlock, root), fileOf(req.export), ctx),
      importRecords: async (req, ctx) => {
        const imp = req.import.ftp as FtpImportBlock;
        return writePage(ftpTarget(fs, imp, root, ctx), req, ctx, imp?.fileName, written);
      },
      commitImport: async (req, ctx) => {
        const imp = req.import.ftp as FtpImportBlock;
        await commitRunFile(ftpTarget(fs, imp, root, ctx), req, ctx, imp?.fileName);
      },
      close: () => fs.close(),
    };
  },
};
