import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptorSession, Doc, ExportRequest, RunContext } from '../adaptor.js';
import { dialects, runContext, type DialectFixture } from './test-dialects.js';

async function exportAll(session: AdaptorSession, req: ExportRequest, ctx: RunContext): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const page of session.exportPages!(req, ctx)) out.push(...page.records);
  return out;
}

const onceExport = (extra: Record<string, unknown> = {}): Doc => ({
  _id: 'e-once',
  adaptorType: 'RDBMSExport',
  type: 'once',
  once: { booleanField: 'exported' },
  rdbms: {
    query: 'SELECT id, name FROM items WHERE exported = {{flag}} ORDER BY id',
    once: { query: 'UPDATE items SET exported = {{flagged}} WHERE id = {{record.id}}' },
  },
  ...extra,
});
// Booleans as 0/1 integers: the same SQL on every dialect.
const flags = { flag: 0, flagged: 1 };

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`RDBMS export modes on ${dialect.name}`, () => {
    let f: DialectFixture;

    beforeAll(async () => {
      f = await dialect.setup();
      await f.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50), exported INTEGER NOT NULL DEFAULT 0)');
      const rows = Array.from({ length: 7 }, (_, i) => `(${i + 1}, 'item ${i + 1}', 0)`).join(', ');
      await f.exec(`INSERT INTO items (id, name, exported) VALUES ${rows}`);
      await f.exec('CREATE TABLE scratch (id INTEGER PRIMARY KEY, note VARCHAR(20))');
      await f.exec("INSERT INTO scratch (id, note) VALUES (1, 'one'), (2, 'two')");
    });
    afterAll(async () => {
      await f?.teardown();
    });

    it('once: flags the exported records after commitExport, so the next run exports nothing', async () => {
      const ctx = runContext({ templateData: flags });
      const session = await f.open();
      try {
        const req: ExportRequest = { export: onceExport(), pageSize: 3 };
        const first = await exportAll(session, req, ctx);
        expect(first.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        // Nothing is flagged before the run commits.
        expect((await f.rows('SELECT id FROM items WHERE exported = 1')).length).toBe(0);
        await session.commitExport!(req, ctx);
        expect((await f.rows('SELECT id FROM items WHERE exported = 1 ORDER BY id')).map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5, 6, 7]);

        const again: ExportRequest = { export: onceExport(), pageSize: 3 };
        expect(await exportAll(session, again, ctx)).toEqual([]);
        await session.commitExport!(again, ctx);
      } finally {
        await session.close();
        await f.exec('UPDATE items SET exported = 0');
      }
    });

    it('once: a run that does not commit leaves the records unflagged', async () => {
      const ctx = runContext({ templateData: flags });
      const session = await f.open();
      try {
        expect((await exportAll(session, { export: onceExport(), pageSize: 5 }, ctx)).length).toBe(7);
      } finally {
        await session.close();
      }
      expect((await f.rows('SELECT id FROM items WHERE exported = 1')).length).toBe(0);
    });

    it('once: test mode (preview, invoke) never flags records', async () => {
      const ctx = runContext({ templateData: flags, testMode: true });
      const session = await f.open();
      try {
        const req: ExportRequest = { export: onceExport(), pageSize: 5, limit: 2 };
        expect((await exportAll(session, req, ctx)).length).toBe(2);
        await session.commitExport!(req, ctx);
      } finally {
        await session.close();
      }
      expect((await f.rows('SELECT id FROM items WHERE exported = 1')).length).toBe(0);
    });

    it('once: an export that is not type "once" ignores once.query', async () => {
      const ctx = runContext({ templateData: flags });
      const session = await f.open();
      try {
        const req: ExportRequest = { export: onceExport({ type: undefined }), pageSize: 5 };
        expect((await exportAll(session, req, ctx)).length).toBe(7);
        await session.commitExport!(req, ctx);
      } finally {
        await session.close();
      }
      expect((await f.rows('SELECT id FROM items WHERE exported = 1')).length).toBe(0);
    });

    it('test mode: an export query that writes fails and changes nothing', async () => {
      const session = await f.open();
      const sql = f.name === 'mysql' ? 'DELETE FROM scratch WHERE id = 1' : 'DELETE FROM scratch WHERE id = 1 RETURNING *';
      try {
        const req: ExportRequest = { export: { _id: 'e-w', adaptorType: 'RDBMSExport', rdbms: { query: sql } }, pageSize: 10 };
        await expect(exportAll(session, req, runContext({ testMode: true }))).rejects.toThrow(/test mode.*may only read/);
        // Reads still work in test mode, on the same session (and pooled connection, where there is one).
        const read: ExportRequest = { export: { _id: 'e-r', adaptorType: 'RDBMSExport', rdbms: { query: 'SELECT id FROM scratch ORDER BY id' } }, pageSize: 10 };
        expect(await exportAll(session, read, runContext({ testMode: true }))).toEqual([{ id: 1 }, { id: 2 }]);
        // The pool's connections are not left read-only for normal runs.
        await session.importRecords!({ import: { _id: 'i', adaptorType: 'RDBMSImport', rdbms: { queryType: ['bulk_insert'], bulkInsert: { tableName: 'scratch' } } }, records: [{ id: 3, note: 'three' }] }, runContext());
      } finally {
        await session.close();
      }
      expect((await f.rows('SELECT id FROM scratch ORDER BY id')).map((r) => Number(r.id))).toEqual([1, 2, 3]);
    });

    it.skipIf(dialect.name === 'sqlite')('DATE columns export as YYYY-MM-DD, timestamps as ISO strings', async () => {
      await f.exec(`CREATE TABLE dated (id INTEGER PRIMARY KEY, d DATE, ts ${f.timestamp})`);
      await f.exec(`INSERT INTO dated (id, d, ts) VALUES (1, '2024-02-29', '2024-02-29 13:14:15${f.name === 'postgresql' ? '+00' : ''}')`);
      const session = await f.open();
      try {
        const rows = await exportAll(session, { export: { _id: 'e-d', adaptorType: 'RDBMSExport', rdbms: { query: 'SELECT d, ts FROM dated' } }, pageSize: 5 }, runContext());
        expect(rows).toEqual([{ d: '2024-02-29', ts: '2024-02-29T13:14:15.000Z' }]);
      } finally {
        await session.close();
      }
    });
  });
}
