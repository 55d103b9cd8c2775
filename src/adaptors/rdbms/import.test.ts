import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptorSession, Doc } from '../adaptor.js';
import { dialects, runContext, type DialectFixture } from './test-dialects.js';

const importDoc = (rdbms: Record<string, unknown>, extra: Record<string, unknown> = {}): Doc => ({
  _id: 'i1',
  adaptorType: 'RDBMSImport',
  rdbms,
  ...extra,
});

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`RDBMS import on ${dialect.name}`, () => {
    let f: DialectFixture;
    let session: AdaptorSession;

    beforeAll(async () => {
      f = await dialect.setup();
      await f.exec(
        `CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, email VARCHAR(200), qty INTEGER CHECK (qty >= 0))`,
      );
      await f.exec(`CREATE TABLE order_lines (order_id INTEGER NOT NULL, line INTEGER NOT NULL, sku VARCHAR(50), PRIMARY KEY (order_id, line))`);
      await f.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`);
      session = await f.open();
    });
    afterAll(async () => {
      await session?.close();
      await f?.teardown();
    });

    it('pings the database', async () => {
      await expect(session.ping(runContext())).resolves.toBeUndefined();
    });

    it('bulk_load upserts records on their primary key', async () => {
      const imp = importDoc({ queryType: ['bulk_load'], bulkLoad: { tableName: 'customers', primaryKeys: ['id'] } });
      const first = await session.importRecords!(
        { import: imp, records: [{ id: 1, name: 'Ada', email: 'ada@x', qty: 1 }, { id: 2, name: 'Bob', email: null, qty: 2 }] },
        runContext(),
      );
      expect(first).toEqual([{ statusCode: 200, id: 1 }, { statusCode: 200, id: 2 }]);
      const second = await session.importRecords!(
        { import: imp, records: [{ id: 2, name: 'Bobby', email: 'bob@x', qty: 3 }, { id: 3, name: 'Cy', email: 'cy@x', qty: 0 }] },
        runContext(),
      );
      expect(second.map((o) => o.statusCode)).toEqual([200, 200]);
      expect(await f.rows('SELECT id, name, email, qty FROM customers ORDER BY id')).toEqual([
        { id: 1, name: 'Ada', email: 'ada@x', qty: 1 },
        { id: 2, name: 'Bobby', email: 'bob@x', qty: 3 },
        { id: 3, name: 'Cy', email: 'cy@x', qty: 0 },
      ]);
    });

    it('bulk_load keeps fields the record does not carry', async () => {
      const imp = importDoc({ queryType: ['bulk_load'], bulkLoad: { tableName: 'customers', primaryKeys: ['id'] } });
      const out = await session.importRecords!({ import: imp, records: [{ id: 1, name: 'Ada', qty: 9 }] }, runContext());
      expect(out).toEqual([{ statusCode: 200, id: 1 }]);
      expect(await f.rows('SELECT name, email, qty FROM customers WHERE id = 1')).toEqual([{ name: 'Ada', email: 'ada@x', qty: 9 }]);
    });

    it('gives 422 only to the records that break a constraint; the rest of the batch is written', async () => {
      const imp = importDoc({ queryType: ['bulk_load'], bulkLoad: { tableName: 'customers', primaryKeys: ['id'] } });
      const out = await session.importRecords!(
        {
          import: imp,
          records: [
            { id: 10, name: 'ok 10', qty: 1 },
            { id: 11, name: null, qty: 1 }, // NOT NULL
            { id: 12, name: 'ok 12', qty: 2 },
            { id: 13, name: 'negative', qty: -5 }, // CHECK
            { id: 14, name: 'ok 14', qty: 3 },
          ],
        },
        runContext(),
      );
      expect(out.map((o) => o.statusCode)).toEqual([200, 422, 200, 422, 200]);
      for (const bad of [out[1]!, out[3]!]) {
        expect(bad.errors).toHaveLength(1);
        expect(bad.errors![0]).toMatchObject({ source: 'application' });
        expect(bad.errors![0]!.code).toMatch(/\S/);
        expect(bad.errors![0]!.message).toMatch(/^upserting into customers: /);
      }
      expect(await f.rows('SELECT id FROM customers WHERE id >= 10 ORDER BY id')).toEqual([{ id: 10 }, { id: 12 }, { id: 14 }]);
    });

    it('bulk_load supports composite primary keys', async () => {
      const imp = importDoc({ queryType: ['bulk_load'], bulkLoad: { tableName: 'order_lines', primaryKeys: ['order_id', 'line'] } });
      await session.importRecords!({ import: imp, records: [{ order_id: 1, line: 1, sku: 'A' }, { order_id: 1, line: 2, sku: 'B' }] }, runContext());
      const out = await session.importRecords!({ import: imp, records: [{ order_id: 1, line: 2, sku: 'B2' }] }, runContext());
      expect(out).toEqual([{ statusCode: 200 }]);
      expect(await f.rows('SELECT order_id, line, sku FROM order_lines ORDER BY line')).toEqual([
        { order_id: 1, line: 1, sku: 'A' },
        { order_id: 1, line: 2, sku: 'B2' },
      ]);
    });

    it('bulk_insert writes in batches of batchSize and isolates a duplicate', async () => {
      const imp = importDoc({ queryType: ['bulk_insert'], bulkInsert: { tableName: 'notes', batchSize: 2 } });
      const out = await session.importRecords!(
        { import: imp, records: [{ id: 1, body: 'a' }, { id: 2, body: 'b' }, { id: 3, body: 'c' }, { id: 1, body: 'dup' }, { id: 5, body: 'e' }] },
        runContext(),
      );
      expect(out.map((o) => o.statusCode)).toEqual([200, 200, 200, 422, 200]);
      expect(out[3]!.errors![0]!.message).toMatch(/^inserting into notes: /);
      expect(await f.rows('SELECT id, body FROM notes ORDER BY id')).toEqual([
        { id: 1, body: 'a' },
        { id: 2, body: 'b' },
        { id: 3, body: 'c' },
        { id: 5, body: 'e' },
      ]);
    });

    it('refuses a field that is not a valid column name without touching the database', async () => {
      const imp = importDoc({ queryType: ['bulk_insert'], bulkInsert: { tableName: 'notes' } });
      const out = await session.importRecords!(
        { import: imp, records: [{ id: 20, 'body; DROP TABLE notes': 'x' }, { id: 21, body: 'fine' }] },
        runContext(),
      );
      expect(out[0]).toMatchObject({ statusCode: 422, errors: [{ code: 'invalid_column' }] });
      expect(out[1]).toEqual({ statusCode: 200 });
    });

    it('refuses a table name that is not an identifier', async () => {
      const imp = importDoc({ queryType: ['bulk_insert'], bulkInsert: { tableName: 'notes; DROP TABLE notes' } });
      await expect(session.importRecords!({ import: imp, records: [{ id: 30 }] }, runContext())).rejects.toThrow(/not a valid SQL identifier/);
    });

    it('stores a value that looks like SQL verbatim', async () => {
      const evil = "'); DROP TABLE notes; --";
      const imp = importDoc({ queryType: ['bulk_load'], bulkLoad: { tableName: 'notes', primaryKeys: ['id'] } });
      expect(await session.importRecords!({ import: imp, records: [{ id: 40, body: evil }] }, runContext())).toEqual([{ statusCode: 200, id: 40 }]);
      const upd = importDoc({ queryType: ['UPDATE'], query: ["UPDATE notes SET body = '{{record.body}}' WHERE id = {{record.id}}"] });
      const evil2 = `${evil} "x" \\ $1 ?`;
      expect((await session.importRecords!({ import: upd, records: [{ id: 40, body: evil2 }] }, runContext()))[0]!.statusCode).toBe(200);
      expect(await f.rows('SELECT body FROM notes WHERE id = 40')).toEqual([{ body: evil2 }]);
      expect((await f.rows('SELECT COUNT(*) AS n FROM notes')).length).toBe(1);
    });

    it('UPDATE runs the query template per record with bound values', async () => {
      const imp = importDoc({ queryType: ['UPDATE'], query: ['UPDATE customers SET email = {{record.email}} WHERE id = {{record.id}}'] });
      const out = await session.importRecords!({ import: imp, records: [{ id: 1, email: 'new@x' }, { id: 999, email: 'none' }] }, runContext());
      expect(out).toEqual([
        { statusCode: 200, _json: { rowsAffected: 1 } },
        { statusCode: 200, _json: { rowsAffected: 0 } },
      ]);
      expect(await f.rows('SELECT email FROM customers WHERE id = 1')).toEqual([{ email: 'new@x' }]);
    });

    it('UPDATE with ignoreMissing marks records that matched no row as ignored', async () => {
      const imp = importDoc({ queryType: ['UPDATE'], query: ['UPDATE customers SET email = {{data.email}} WHERE id = {{data.id}}'] }, { ignoreMissing: true });
      const out = await session.importRecords!({ import: imp, records: [{ id: 998, email: 'none' }] }, runContext());
      expect(out).toEqual([{ statusCode: 200, ignored: true }]);
    });

    it('UPDATE without a query builds the statement from bulkLoad.primaryKeys', async () => {
      const imp = importDoc({ queryType: ['UPDATE'], bulkLoad: { tableName: 'customers', primaryKeys: ['id'] } });
      const out = await session.importRecords!({ import: imp, records: [{ id: 2, email: 'gen@x' }] }, runContext());
      expect(out).toEqual([{ statusCode: 200, _json: { rowsAffected: 1 } }]);
      expect(await f.rows('SELECT email FROM customers WHERE id = 2')).toEqual([{ email: 'gen@x' }]);
    });

    it('INSERT runs per record and reports each failure on its own record', async () => {
      const imp = importDoc({ queryType: ['INSERT'], query: ['INSERT INTO notes (id, body) VALUES ({{record.id}}, {{record.body}})'] });
      const out = await session.importRecords!({ import: imp, records: [{ id: 50, body: 'x' }, { id: 50, body: 'again' }, { id: 51, body: 'y' }] }, runContext());
      expect(out.map((o) => o.statusCode)).toEqual([200, 422, 200]);
      expect(await f.rows('SELECT id, body FROM notes WHERE id >= 50 ORDER BY id')).toEqual([{ id: 50, body: 'x' }, { id: 51, body: 'y' }]);
    });

    it('INSERT + UPDATE picks the statement from updateExtract', async () => {
      const imp = importDoc({
        queryType: ['INSERT', 'UPDATE'],
        query: ['INSERT INTO notes (id, body) VALUES ({{record.id}}, {{record.body}})', 'UPDATE notes SET body = {{record.body}} WHERE id = {{record.existingId}}'],
        updateExtract: 'existingId',
      });
      const out = await session.importRecords!({ import: imp, records: [{ id: 60, body: 'new' }, { existingId: 50, body: 'changed' }] }, runContext());
      expect(out.map((o) => o.statusCode)).toEqual([200, 200]);
      expect(await f.rows('SELECT id, body FROM notes WHERE id IN (50, 60) ORDER BY id')).toEqual([{ id: 50, body: 'changed' }, { id: 60, body: 'new' }]);
    });

    it('INSERT + UPDATE picks the statement from a lookup, and ignoreExisting skips found records', async () => {
      const lookups = [{ name: 'byId', query: 'SELECT id FROM notes WHERE id = {{record.id}}' }];
      const imp = importDoc(
        {
          queryType: ['INSERT', 'UPDATE'],
          query: ['INSERT INTO notes (id, body) VALUES ({{record.id}}, {{record.body}})', 'UPDATE notes SET body = {{record.body}} WHERE id = {{record.id}}'],
          updateLookupName: 'byId',
        },
        { lookups },
      );
      const out = await session.importRecords!({ import: imp, records: [{ id: 60, body: 'updated' }, { id: 61, body: 'inserted' }] }, runContext());
      expect(out.map((o) => o.statusCode)).toEqual([200, 200]);
      expect(await f.rows('SELECT id, body FROM notes WHERE id IN (60, 61) ORDER BY id')).toEqual([{ id: 60, body: 'updated' }, { id: 61, body: 'inserted' }]);

      const ignoring = importDoc({ queryType: ['INSERT'], query: ['INSERT INTO notes (id, body) VALUES ({{record.id}}, {{record.body}})'], ignoreLookupName: 'byId' }, { lookups, ignoreExisting: true });
      const out2 = await session.importRecords!({ import: ignoring, records: [{ id: 61, body: 'dup' }, { id: 62, body: 'z' }] }, runContext());
      expect(out2).toEqual([{ statusCode: 200, ignored: true }, { statusCode: 200, _json: { rowsAffected: 1 } }]);
    });

    it('per_page runs the template once for the page, all or nothing', async () => {
      const query = ['INSERT INTO notes (id, body) VALUES {{#each data}}({{this.id}}, {{this.body}}){{#unless @last}}, {{/unless}}{{/each}}'];
      const imp = importDoc({ queryType: ['per_page'], query });
      expect((await session.importRecords!({ import: imp, records: [{ id: 70, body: 'a' }, { id: 71, body: 'b' }] }, runContext())).map((o) => o.statusCode)).toEqual([200, 200]);
      const failed = await session.importRecords!({ import: imp, records: [{ id: 72, body: 'a' }, { id: 70, body: 'dup' }] }, runContext());
      expect(failed.map((o) => o.statusCode)).toEqual([422, 422]);
      expect(await f.rows('SELECT id FROM notes WHERE id >= 70 ORDER BY id')).toEqual([{ id: 70 }, { id: 71 }]);
    });

    it('first_page runs only for the first page of the run', async () => {
      const imp = importDoc({ queryType: ['first_page'], query: ['DELETE FROM notes WHERE id >= 70'] });
      await session.importRecords!({ import: imp, records: [{}], pageIndex: 1 }, runContext());
      expect((await f.rows('SELECT id FROM notes WHERE id >= 70')).length).toBe(2);
      await session.importRecords!({ import: imp, records: [{}], pageIndex: 0 }, runContext());
      expect((await f.rows('SELECT id FROM notes WHERE id >= 70')).length).toBe(0);
    });

    it('writes nothing in test mode', async () => {
      const imp = importDoc({ queryType: ['bulk_load'], bulkLoad: { tableName: 'notes', primaryKeys: ['id'] } });
      const out = await session.importRecords!({ import: imp, records: [{ id: 80, body: 'preview' }] }, runContext({ testMode: true }));
      expect(out).toEqual([{ statusCode: 200, id: 80 }]);
      expect(await f.rows('SELECT id FROM notes WHERE id = 80')).toEqual([]);
    });

    it('stores objects and arrays as JSON text and booleans as the column accepts them', async () => {
      const imp = importDoc({ queryType: ['bulk_insert'], bulkInsert: { tableName: 'notes' } });
      const out = await session.importRecords!({ import: imp, records: [{ id: 90, body: { a: [1, 'x'] } }] }, runContext());
      expect(out).toEqual([{ statusCode: 200 }]);
      const [row] = await f.rows('SELECT body FROM notes WHERE id = 90');
      expect(JSON.parse(String(row!.body))).toEqual({ a: [1, 'x'] });
    });
  });
}
