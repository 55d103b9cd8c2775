import type { Adaptor, AdaptorSession, Doc } from '../adaptor.js';
import { createDriver, pingDriver } from './connection.js';
import { exportPages } from './export.js';
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
  async open(connection: Doc): Promise<AdaptorSession> {
    const driver = createDriver(connection);
    const state: ImportState = { firstPageDone: false };
    return {
      ping: () => pingDriver(driver),
      exportPages: (req, ctx) => exportPages(driver, req, ctx),
      importRecords: (req, ctx) => importRecords(driver, req, ctx, state),
      lookup: (req, ctx) => lookupValues(driver, req, ctx),
      close: () => driver.close(),
    };
  },
};
