import { fileSchema } from '../common/files/file-schema.js';
import type { Adaptor, AdaptorSession, Doc } from '../adaptor.js';
import { FileExporter } from '../common/files/file-export.js';
import { commitRunFile, writePage } from '../common/files/file-import.js';
import type { FileOptions } from '../common/formats/index.js';
import { s3Connection } from './client.js';
import { s3Source, s3Target, type S3ExportBlock, type S3ImportBlock } from './files.js';
import { s3ConnectionSchema, s3ExportSchema, s3ImportSchema } from './spec.js';

/** Amazon S3 and S3-compatible storage (`S3Export`, `S3Import`): objects in, records out, and back. */
export const s3Adaptor: Adaptor = {
  connectionType: 's3',
  exportTypes: ['S3Export'],
  importTypes: ['S3Import'],
  blockName: 's3',
  schemas: { connection: s3ConnectionSchema, export: s3ExportSchema, import: s3ImportSchema, file: fileSchema },
  async open(connection: Doc): Promise<AdaptorSession> {
    const conn = s3Connection(connection);
    const exporter = new FileExporter();
    const written = new Set<string>();
    const fileOf = (doc: Doc) => (doc.file ?? {}) as FileOptions;
    return {
      ping: () => conn.ping(),
      async *exportPages(req, ctx) {
        yield* exporter.exportPages(s3Source(conn, req.export.s3 as S3ExportBlock), fileOf(req.export), req, ctx);
      },
      commitExport: async (req, ctx) => exporter.commit(s3Source(conn, req.export.s3 as S3ExportBlock), fileOf(req.export), ctx),
      importRecords: async (req, ctx) => {
        const block = req.import.s3 as S3ImportBlock;
        return writePage(s3Target(conn, block), req, ctx, block?.fileKey, written, true);
      },
      commitImport: async (req, ctx) => {
        const block = req.import.s3 as S3ImportBlock;
        await commitRunFile(s3Target(conn, block), req, ctx, block?.fileKey, true);
      },
      close: async () => conn.close(),
    };
  },
};
