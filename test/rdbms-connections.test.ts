// RDBMS connections through the real server: the SQLite path policy, the store-database guard, save-time
// checks of RDBMS exports and imports, read-only invoke, and `once` exports through a flow run.
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntegrator, waitForJob, type TestIntegrator } from './support/integrator.js';
import { postgresServer, probePostgres, requireService } from './support/services.js';

const hasPostgres = await requireService('PostgreSQL', probePostgres);

describe('RDBMS connections on a server with the default SQLite roots (the data directory only)', () => {
  let t: TestIntegrator;
  let outside: string;

  const connection = (database: string) => t.api('POST', '/v1/connections', { name: 'DB', type: 'rdbms', rdbms: { type: 'sqlite', database } });

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect: 'sqlite', sqliteRoots: [] });
    outside = mkdtempSync(join(tmpdir(), 'rdbms-outside-'));
    new Database(join(outside, 'other.db')).close();
    const shop = new Database(join(t.dataDir, 'shop.db'));
    // WAL: the flow below reads (export cursor) and writes (import) the same file at once.
    shop.pragma('journal_mode = WAL');
    shop.exec("CREATE TABLE scratch (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO scratch VALUES (1, 'one'), (2, 'two')");
    shop.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, exported INTEGER NOT NULL DEFAULT 0)');
    shop.exec("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
    shop.close();
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(outside, { recursive: true, force: true });
  });

  const refused = (res: { status: number; body: any }) => {
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ code: 'invalid_field', field: 'rdbms.database', message: expect.stringContaining('rdbms.database') })]);
  };

  it("refuses the server's own store file and its side files", async () => {
    refused(await connection(join(t.dataDir, 'integrator.db')));
    refused(await connection('integrator.db'));
    refused(await connection(join(t.dataDir, 'integrator.db-wal')));
    refused(await connection(join(t.dataDir, 'sub', '..', 'integrator.db')));
  });

  it('accepts a file under the data directory, relative or absolute, and it answers a ping', async () => {
    for (const database of ['shop.db', join(t.dataDir, 'shop.db')]) {
      const res = await connection(database);
      expect(res.status).toBe(201);
      expect((await t.api('POST', `/v1/connections/${res.body._id}/ping`)).body).toEqual({ code: 200 });
    }
  });

  it('refuses a path outside the roots, directly or through ../', async () => {
    refused(await connection(join(outside, 'other.db')));
    refused(await connection(`../${basename(outside)}/other.db`));
    refused(await connection(join(t.dataDir, '..', basename(outside), 'other.db')));
  });

  it('refuses a symlink to the store, at save and (made after saving) at ping and at run time', async () => {
    symlinkSync(join(t.dataDir, 'integrator.db'), join(t.dataDir, 'looks-fine.db'));
    refused(await connection(join(t.dataDir, 'looks-fine.db')));
    mkdirSync(join(t.dataDir, 'links'));
    symlinkSync(outside, join(t.dataDir, 'links', 'out'));
    refused(await connection('links/out/other.db'));

    const late = await connection('later.db');
    expect(late.status).toBe(201);
    symlinkSync(join(t.dataDir, 'integrator.db'), join(t.dataDir, 'later.db'));
    const ping = await t.api('POST', `/v1/connections/${late.body._id}/ping`);
    expect(ping.body.errors[0].message).toMatch(/rdbms\.database .*own files/);
    const exp = await t.api('POST', '/v1/exports', { name: 'Tokens', adaptorType: 'RDBMSExport', _connectionId: late.body._id, rdbms: { query: 'SELECT * FROM tokens' } });
    expect(exp.status).toBe(201);
    const invoke = await t.api('POST', `/v1/exports/${exp.body._id}/invoke`);
    expect(invoke.body.data).toEqual([]);
    expect(invoke.body.errors[0].message).toMatch(/rdbms\.database .*own files/);
  });

  it('invoke runs the export query read-only: a DELETE … RETURNING deletes nothing', async () => {
    const conn = await connection('shop.db');
    const exp = await t.api('POST', '/v1/exports', { name: 'Sneaky', adaptorType: 'RDBMSExport', _connectionId: conn.body._id, rdbms: { query: 'DELETE FROM scratch WHERE id = 1 RETURNING *' } });
    const invoke = await t.api('POST', `/v1/exports/${exp.body._id}/invoke`);
    expect(invoke.body.data).toEqual([]);
    expect(invoke.body.errors[0].message).toMatch(/test mode.*may only read/);
    const db = new Database(join(t.dataDir, 'shop.db'), { readonly: true });
    expect(db.prepare('SELECT id FROM scratch ORDER BY id').all()).toEqual([{ id: 1 }, { id: 2 }]);
    db.close();
  });

  it('a once export flags what a committed flow run exported; the next run exports nothing', async () => {
    const conn = await connection('shop.db');
    const exp = await t.api('POST', '/v1/exports', {
      name: 'New items',
      adaptorType: 'RDBMSExport',
      _connectionId: conn.body._id,
      type: 'once',
      once: { booleanField: 'exported' },
      pageSize: 2,
      rdbms: { query: 'SELECT id, name FROM items WHERE exported = 0 ORDER BY id', once: { query: 'UPDATE items SET exported = 1 WHERE id = {{record.id}}' } },
    });
    expect(exp.status).toBe(201);
    const imp = await t.api('POST', '/v1/imports', {
      name: 'Copy', adaptorType: 'RDBMSImport', _connectionId: conn.body._id, rdbms: { queryType: ['INSERT'], query: ['INSERT INTO scratch (note) VALUES ({{record.name}})'] },
    });
    expect(imp.status).toBe(201);
    const flow = await t.api('POST', '/v1/flows', { name: 'Once', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    const first = await waitForJob(t, (await t.api('POST', `/v1/flows/${flow.body._id}/run`)).body._jobId);
    expect(first).toMatchObject({ status: 'completed', numExport: 5 });
    const db = new Database(join(t.dataDir, 'shop.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM items WHERE exported = 1').get()).toEqual({ n: 5 });
    const second = await waitForJob(t, (await t.api('POST', `/v1/flows/${flow.body._id}/run`)).body._jobId);
    expect(second).toMatchObject({ status: 'completed', numExport: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM scratch WHERE note IN ('a','b','c','d','e')").get()).toEqual({ n: 5 });
    db.close();
  });

  it('refuses, naming the field, a table name that is not an identifier and a template that does not compile', async () => {
    const conn = await connection('shop.db');
    const base = { adaptorType: 'RDBMSImport', _connectionId: conn.body._id };
    const bad = await t.api('POST', '/v1/imports', { ...base, name: 'x', rdbms: { queryType: ['bulk_insert'], bulkInsert: { tableName: 'items; DROP TABLE items' } } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ field: 'rdbms.bulkInsert.tableName' });
    const load = await t.api('POST', '/v1/imports', { ...base, name: 'x', rdbms: { queryType: ['bulk_load'], bulkLoad: { tableName: 'a.b.c', primaryKeys: ['id'] } } });
    expect(load.body.errors[0]).toMatchObject({ field: 'rdbms.bulkLoad.tableName' });
    const ok = await t.api('POST', '/v1/imports', { ...base, name: 'x', rdbms: { queryType: ['bulk_load'], bulkLoad: { tableName: 'main.items', primaryKeys: ['id'] } } });
    expect(ok.status).toBe(201);
    const query = await t.api('POST', '/v1/imports', { ...base, name: 'x', rdbms: { queryType: ['INSERT', 'UPDATE'], query: ['INSERT INTO items (id) VALUES ({{record.id}})', 'UPDATE items SET name = {{#if record.name}} WHERE 1'] } });
    expect(query.status).toBe(422);
    expect(query.body.errors).toEqual([expect.objectContaining({ code: 'invalid_field', field: 'rdbms.query[1]' })]);
    const exp = await t.api('POST', '/v1/exports', { name: 'x', adaptorType: 'RDBMSExport', _connectionId: conn.body._id, rdbms: { query: 'SELECT * FROM items WHERE id = {{record.id' } });
    expect(exp.status).toBe(422);
    expect(exp.body.errors[0]).toMatchObject({ field: 'rdbms.query' });
    const once = await t.api('POST', '/v1/exports', { name: 'x', adaptorType: 'RDBMSExport', _connectionId: conn.body._id, rdbms: { query: 'SELECT 1', once: { query: 'UPDATE t SET f = 1 WHERE id = {{/each}}' } } });
    expect(once.body.errors[0]).toMatchObject({ field: 'rdbms.once.query' });
  });
});

describe('SQLite roots from configuration', () => {
  it('allows files under INTEGRATOR_SQLITE_ROOTS but never the store', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rdbms-root-'));
    new Database(join(root, 'allowed.db')).close();
    const t = await startTestIntegrator({ dialect: 'sqlite', worker: false, sqliteRoots: [root] });
    try {
      const ok = await t.api('POST', '/v1/connections', { name: 'DB', type: 'rdbms', rdbms: { type: 'sqlite', database: join(root, 'allowed.db') } });
      expect(ok.status).toBe(201);
      expect((await t.api('POST', `/v1/connections/${ok.body._id}/ping`)).body).toEqual({ code: 200 });
      symlinkSync(join(t.dataDir, 'integrator.db'), join(root, 'store.db'));
      const store = await t.api('POST', '/v1/connections', { name: 'DB', type: 'rdbms', rdbms: { type: 'sqlite', database: join(root, 'store.db') } });
      expect(store.status).toBe(422);
    } finally {
      await t.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasPostgres)('PostgreSQL store guard', () => {
  it("refuses an rdbms connection to the server's own store database, not to another database", async () => {
    const t = await startTestIntegrator({ dialect: 'postgres', worker: false });
    try {
      const storeName = new URL(t.app.config.databaseUrl!).pathname.slice(1);
      const block = { type: 'postgresql', host: 'localhost', port: postgresServer.port, user: postgresServer.user, password: postgresServer.password };
      const own = await t.api('POST', '/v1/connections', { name: 'Own', type: 'rdbms', rdbms: { ...block, database: storeName } });
      expect(own.status).toBe(422);
      expect(own.body.errors[0]).toMatchObject({ field: 'rdbms.database', message: expect.stringContaining("own store database") });
      const other = await t.api('POST', '/v1/connections', { name: 'Other', type: 'rdbms', rdbms: { ...block, host: postgresServer.host, database: postgresServer.database } });
      expect(other.status).toBe(201);
      expect((await t.api('POST', `/v1/connections/${other.body._id}/ping`)).body).toEqual({ code: 200 });
    } finally {
      await t.stop();
    }
  });
});
