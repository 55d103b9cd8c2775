import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptorSession, Doc, ExportPage, RunContext } from '../adaptor.js';
import { rdbmsAdaptor } from './index.js';
import { dialects, runContext, type DialectFixture } from './test-dialects.js';

const exportDoc = (query: string, extra: Record<string, unknown> = {}): Doc => ({ _id: 'e1', adaptorType: 'RDBMSExport', rdbms: { query }, ...extra });

async function collect(session: AdaptorSession, doc: Doc, pageSize: number, ctx: RunContext = runContext(), limit?: number): Promise<ExportPage[]> {
  const pages: ExportPage[] = [];
  for await (const page of session.exportPages!({ export: doc, pageSize, ...(limit === undefined ? {} : { limit }) }, ctx)) pages.push(page);
  return pages;
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`RDBMS export on ${dialect.name}`, () => {
    let f: DialectFixture;
    let session: AdaptorSession;

    beforeAll(async () => {
      f = await dialect.setup();
      await f.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR(100), total DECIMAL(10,2), updated_at ${f.timestamp})`);
      const values = [
        `(1, 'ann', 10.5, '2024-01-01 10:00:00')`,
        `(2, 'bob', 20, '2024-02-01 10:00:00')`,
        `(3, 'cy', 30, '2024-03-01 10:00:00')`,
        `(4, 'dee', 40, '2024-04-01 10:00:00')`,
        `(5, 'eve', 50, '2024-05-01 10:00:00')`,
      ];
      const ts = (v: string) => (f.name === 'sqlite' ? v.replace(/'(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)'/, "'$1T$2.000Z'") : f.name === 'postgresql' ? v.replace(/(:00)'\)$/, "$1+00')") : v);
      await f.exec(`INSERT INTO orders (id, customer, total, updated_at) VALUES ${values.map(ts).join(', ')}`);
      session = await f.open();
    });
    afterAll(async () => {
      await session?.close();
      await f?.teardown();
    });

    it('streams the query result in pages of pageSize', async () => {
      const pages = await collect(session, exportDoc('SELECT id, customer FROM orders ORDER BY id'), 2);
      expect(pages.map((p) => p.records.length)).toEqual([2, 2, 1]);
      expect(pages[0]!.records).toEqual([{ id: 1, customer: 'ann' }, { id: 2, customer: 'bob' }]);
    });

    it('stops at the limit', async () => {
      const pages = await collect(session, exportDoc('SELECT id FROM orders ORDER BY id'), 2, runContext(), 3);
      expect(pages.flatMap((p) => p.records)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    });

    it('binds template values instead of splicing them', async () => {
      const ctx = runContext({ templateData: { settings: { who: "bob' OR '1'='1" } } });
      const pages = await collect(session, exportDoc('SELECT id FROM orders WHERE customer = {{settings.who}}'), 10, ctx);
      expect(pages.flatMap((p) => p.records)).toEqual([]);
      const ok = await collect(session, exportDoc("SELECT id FROM orders WHERE customer = '{{settings.who}}'"), 10, runContext({ templateData: { settings: { who: 'bob' } } }));
      expect(ok.flatMap((p) => p.records)).toEqual([{ id: 2 }]);
    });

    it('gives {{lastExportDateTime}} as a bound value', async () => {
      const ctx = runContext({ lastExportDateTime: '2024-03-15T00:00:00.000Z' });
      const query = f.name === 'mysql'
        ? 'SELECT id FROM orders WHERE updated_at > {{lastExportDateTime}} ORDER BY id'
        : 'SELECT id FROM orders WHERE updated_at > {{lastExportDateTime}} ORDER BY id';
      const pages = await collect(session, exportDoc(query, { type: 'delta' }), 10, ctx);
      expect(pages.flatMap((p) => p.records)).toEqual([{ id: 4 }, { id: 5 }]);
    });

    it('applies delta.dateField as a window (last, current]', async () => {
      const doc = exportDoc('SELECT id, updated_at FROM orders', { type: 'delta', delta: { dateField: 'updated_at' } });
      const ctx = runContext({ lastExportDateTime: '2024-01-15T00:00:00.000Z', currentExportDateTime: '2024-04-01T10:00:00.000Z' });
      const ids = (await collect(session, doc, 10, ctx)).flatMap((p) => p.records.map((r) => r.id)).sort();
      expect(ids).toEqual([2, 3, 4]);
      const first = (await collect(session, doc, 10, runContext({ currentExportDateTime: '2024-02-15T00:00:00.000Z' }))).flatMap((p) => p.records.map((r) => r.id)).sort();
      expect(first).toEqual([1, 2]);
    });

    it('gives dates as ISO strings', async () => {
      const [page] = await collect(session, exportDoc('SELECT updated_at FROM orders WHERE id = 1'), 10);
      expect(String(page!.records[0]!.updated_at)).toMatch(/^2024-01-01T10:00:00(\.000)?Z$/);
    });

    it('streams: stopping after the first page of a 10-million-row query leaves the session usable', async () => {
      const query = {
        sqlite: 'WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 10000000) SELECT i FROM g',
        postgresql: 'SELECT g AS i FROM generate_series(1, 10000000) g',
        mysql: 'SELECT seq AS i FROM seq_1_to_10000000',
      }[f.name];
      // Without a cursor this would materialise ten million rows before the first page.
      for await (const page of session.exportPages!({ export: exportDoc(query), pageSize: 100 }, runContext())) {
        expect(page.records).toHaveLength(100);
        expect(page.records[0]).toEqual({ i: 1 });
        break;
      }
      const [page] = await collect(session, exportDoc('SELECT id FROM orders WHERE id = 1'), 10);
      expect(page!.records).toEqual([{ id: 1 }]);
    });

    it('fails the export with the database message on a bad query', async () => {
      await expect(collect(session, exportDoc('SELECT nope FROM orders'), 10)).rejects.toThrow(/nope/);
    });

    it('serves lookups: the rows matching each value', async () => {
      const answers = await session.lookup!(
        { import: { _id: 'i' }, lookup: { name: 'c', query: 'SELECT id FROM orders WHERE customer = {{value}}' }, values: ['ann', 'zed', 'eve'] },
        runContext(),
      );
      expect(answers).toEqual([[{ id: 1 }], [], [{ id: 5 }]]);
      const byRecord = await session.lookup!(
        { import: { _id: 'i' }, lookup: { kind: 'dynamic', definition: { query: 'SELECT id FROM orders WHERE customer = {{record.name}}' } }, values: [{ name: 'bob' }] },
        runContext(),
      );
      expect(byRecord).toEqual([[{ id: 2 }]]);
    });
  });
}

describe('RDBMS ping', () => {
  it('names the PostgreSQL server it could not reach', async () => {
    const session = await rdbmsAdaptor.open({ _id: 'c', type: 'rdbms', rdbms: { type: 'postgresql', host: '127.0.0.1', port: 1, database: 'x', user: 'u' } });
    await expect(session.ping(runContext())).rejects.toThrow(/^connecting to PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    await session.close();
  });

  it('names the MySQL server it could not reach', async () => {
    const session = await rdbmsAdaptor.open({ _id: 'c', type: 'rdbms', rdbms: { type: 'mysql', host: '127.0.0.1', port: 1, database: 'x', user: 'u' } });
    await expect(session.ping(runContext())).rejects.toThrow(/^connecting to MySQL at 127\.0\.0\.1:1: /);
    await session.close();
  });

  it('names the SQLite file it could not open', async () => {
    const session = await rdbmsAdaptor.open({ _id: 'c', type: 'rdbms', rdbms: { type: 'sqlite', database: '/nonexistent/dir/x.db' } });
    await expect(session.ping(runContext())).rejects.toThrow(/^connecting to SQLite database \/nonexistent\/dir\/x\.db: /);
    await session.close();
  });

  it('refuses an unknown database type', async () => {
    await expect(rdbmsAdaptor.open({ _id: 'c', type: 'rdbms', rdbms: { type: 'oracle' } })).rejects.toThrow(/not supported/);
  });
});
