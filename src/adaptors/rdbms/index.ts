import type { Adaptor, AdaptorSession, Doc } from '../adaptor.js';
import { checkRdbmsBlock } from './check.js';
import { createDriver, pingDriver } from './connection.js';
import { commitOnce, exportPages, type OncePending } from './export.js';
import { importRecords, type ImportState } from './import.js';
import { lookupValues } from './lookup.js';
import { rdbmsConnectionSchema, rdbmsExportSchema, rdbmsImportSchema } from './spec.js';

/** Relational databases: SQLite, PostgreSQL, MySQL/MariaDB (`RDBMSExport`, `RDBMSImport`). */
export const rdbmsAdaptor: Adaptor = {
  connectionType: 'rdbms',
  exportTypes: ['RDBMSExport'],
  importTypes: ['RDBMSImport'],
  blockName: 'rdbms',
  schemas: { connection: rdbmsConnectionSchema, export: rdbmsExportSchema, import: rdbmsImportSchema },
  check: checkRdbmsBlock,
  async open(connection: Doc): Promise<AdaptorSession> {
    const driver = createDriver(connection);
    const state: ImportState = { firstPageDone: false };
    const once: OncePending = new WeakMap();
    return {
      ping: () => pingDriver(driver),
      exportPages: (req, ctx) => exportPages(driver, req, ctx, once),
      // `once` exports: flag the exported records (rdbms.once.query) once the run has committed.
      commitExport: (req, ctx) => commitOnce(driver, req, ctx, once),
      importRecords: (req, ctx) => importRecords(driver, req, ctx, state),
      lookup: (req, ctx) => lookupValues(driver, req, ctx),
      close: () => driver.close(),
    };
  },
};
