// RDBMS connections through the real server: the SQLite path policy, the store-database guard, save-time
// checks of RDBMS exports and imports, read-only invoke, and `once` exports through a flow run.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntegrator, waitForJob, type TestIntegrator } from './support/integrator.js';
import { postgresServer, probePostgres, requireService } from './support/services.js';

const hasPostgres = await requireService('PostgreSQL', probePostgres);
const alias = await loopbackAlias();

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

  const storeTokens = () => {
    const db = new Database(join(t.dataDir, 'integrator.db'), { readonly: true });
    try {
      return db.prepare('SELECT count(*) AS n FROM tokens').get();
    } finally {
      db.close();
    }
  };

  it('refuses ATTACH through a lookup on a :memory: connection: the store gets no token', async () => {
    const before = storeTokens();
    const conn = await connection(':memory:');
    expect(conn.status).toBe(201);
    const store = join(t.dataDir, 'integrator.db');
    for (const query of [
      `ATTACH DATABASE '${store}' AS s`,
      `/* hello */ attach  '${store}' as s`,
      `INSERT INTO s.tokens SELECT * FROM s.tokens WHERE 0; ATTACH '${store}' AS s`,
    ]) {
      const res = await t.api('POST', `/v1/connections/${conn.body._id}/import/map`, {
        import: { mapping: { fields: [{ extract: 'email', generate: 'x', lookupName: 'l' }] }, lookups: [{ name: 'l', query }] },
        data: [{ email: 'a@example.com' }],
      });
      expect(JSON.stringify(res.body)).toMatch(/ATTACH are not allowed|ATTACH, DETACH, VACUUM/);
    }
    // Through a flow run too (not test mode): the lookup decides INSERT or UPDATE.
    const src = await connection('shop.db');
    const exp = await t.api('POST', '/v1/exports', { name: 'Items', adaptorType: 'RDBMSExport', _connectionId: src.body._id, rdbms: { query: 'SELECT id FROM items WHERE id = 1' } });
    const imp = await t.api('POST', '/v1/imports', {
      name: 'Attach', adaptorType: 'RDBMSImport', _connectionId: conn.body._id,
      lookups: [{ name: 'l', query: `ATTACH DATABASE '${store}' AS s` }],
      rdbms: { queryType: ['per_page'], query: [`ATTACH DATABASE '${store}' AS s`] },
    });
    expect(imp.status).toBe(201);
    const flow = await t.api('POST', '/v1/flows', { name: 'Attach', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    const job = await waitForJob(t, (await t.api('POST', `/v1/flows/${flow.body._id}/run`)).body._jobId);
    expect(job.numError ?? job.numExport).toBeGreaterThan(0);
    const errors = await t.api('GET', `/v1/jobs/${job._id}/errors`);
    expect(JSON.stringify(errors.body)).toMatch(/ATTACH/);
    expect(storeTokens()).toEqual(before);
  });

  it('refuses VACUUM INTO (no file is written) and DETACH; quoted or commented keywords are fine', async () => {
    const conn = await connection(':memory:');
    const target = join(outside, 'copy.db');
    const exp = await t.api('POST', '/v1/exports', { name: 'Vacuum', adaptorType: 'RDBMSExport', _connectionId: conn.body._id, rdbms: { query: `VACUUM INTO '${target}'` } });
    expect(exp.status).toBe(201);
    const invoke = await t.api('POST', `/v1/exports/${exp.body._id}/invoke`);
    expect(invoke.body.errors[0].message).toMatch(/VACUUM are not allowed/);
    expect(existsSync(target)).toBe(false);
    const detach = await t.api('POST', '/v1/exports', { name: 'Detach', adaptorType: 'RDBMSExport', _connectionId: conn.body._id, rdbms: { query: 'DETACH main' } });
    expect((await t.api('POST', `/v1/exports/${detach.body._id}/invoke`)).body.errors[0].message).toMatch(/DETACH are not allowed/);
    const quoted = await t.api('POST', '/v1/exports', {
      name: 'Quoted', adaptorType: 'RDBMSExport', _connectionId: conn.body._id,
      rdbms: { query: `SELECT 'ATTACH DATABASE x' AS "attach", 1 AS [vacuum] -- detach\n /* VACUUM INTO 'y' */` },
    });
    expect((await t.api('POST', `/v1/exports/${quoted.body._id}/invoke`)).body.data).toEqual([{ attach: 'ATTACH DATABASE x', vacuum: 1 }]);
  });

  it('a lookup in test mode may only read, like an export query', async () => {
    const conn = await connection('shop.db');
    const res = await t.api('POST', `/v1/connections/${conn.body._id}/import/map`, {
      import: { mapping: { fields: [{ extract: 'id', generate: 'x', lookupName: 'l' }] }, lookups: [{ name: 'l', query: 'DELETE FROM scratch WHERE id = {{value}} RETURNING note' }] },
      data: [{ id: 2 }],
    });
    expect(JSON.stringify(res.body)).toMatch(/test mode.*may only read/);
    const db = new Database(join(t.dataDir, 'shop.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM scratch WHERE id = 2').get()).toEqual({ n: 1 });
    db.close();
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
  let t: TestIntegrator;
  let storeName: string;
  const block = () => ({ type: 'postgresql', port: postgresServer.port, user: postgresServer.user, ...(postgresServer.password ? { password: postgresServer.password } : {}) });
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect: 'postgres', worker: false });
    storeName = new URL(t.app.config.databaseUrl!).pathname.slice(1);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("refuses an rdbms connection to the server's own store database, not to another database", async () => {
    const own = await t.api('POST', '/v1/connections', { name: 'Own', type: 'rdbms', rdbms: { ...block(), host: 'localhost', database: storeName } });
    expect(own.status).toBe(422);
    expect(own.body.errors[0]).toMatchObject({ field: 'rdbms.database', message: expect.stringContaining('own store database') });
    const other = await t.api('POST', '/v1/connections', { name: 'Other', type: 'rdbms', rdbms: { ...block(), host: postgresServer.host, database: postgresServer.database } });
    expect(other.status).toBe(201);
    expect((await t.api('POST', `/v1/connections/${other.body._id}/ping`)).body).toEqual({ code: 200 });
  });

  it('refuses aliases of the store host at save and at an unsaved ping: 127.1, ::ffff:127.0.0.1, the host name, other case', async () => {
    for (const [host, database] of [['127.1', storeName], ['::ffff:127.0.0.1', storeName], [hostname(), storeName], ['2130706433', storeName.toUpperCase()]] as const) {
      const body = { name: 'Alias', type: 'rdbms', rdbms: { ...block(), host, database } };
      const saved = await t.api('POST', '/v1/connections', body);
      expect(saved.status, host).toBe(422);
      expect(saved.body.errors[0].message).toContain('own store database');
      const ping = await t.api('POST', '/v1/connections/ping', body);
      expect(JSON.stringify(ping.body)).toContain('own store database');
    }
  });

  it('refuses, at ping and at run time, a connection to the store saved before the check (host 127.1)', async () => {
    const saved = await t.api('POST', '/v1/connections', { name: 'Legacy', type: 'rdbms', rdbms: { ...block(), host: postgresServer.host, database: postgresServer.database } });
    expect(saved.status).toBe(201);
    // As if saved before this check existed: the stored document now targets the store as 127.1.
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: t.app.config.databaseUrl!, ...(postgresServer.password ? { password: postgresServer.password } : {}) });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT doc FROM resources WHERE _id = $1', [saved.body._id]);
      const doc = typeof rows[0].doc === 'string' ? JSON.parse(rows[0].doc) : rows[0].doc;
      doc.rdbms = { ...doc.rdbms, host: '127.1', database: storeName };
      await client.query('UPDATE resources SET doc = $1 WHERE _id = $2', [JSON.stringify(doc), saved.body._id]);
    } finally {
      await client.end();
    }
    const ping = await t.api('POST', `/v1/connections/${saved.body._id}/ping`);
    expect(ping.body.errors[0].message).toContain('own store database');
    const exp = await t.api('POST', '/v1/exports', { name: 'Tokens', adaptorType: 'RDBMSExport', _connectionId: saved.body._id, rdbms: { query: 'SELECT * FROM tokens' } });
    expect(exp.status).toBe(201);
    const invoke = await t.api('POST', `/v1/exports/${exp.body._id}/invoke`);
    expect(invoke.body.data).toEqual([]);
    expect(invoke.body.errors[0].message).toContain('own store database');
  });

  // A name only DNS (here /etc/hosts) knows as this machine: saved (the save-time check does not resolve),
  // refused when the session connects.
  it.skipIf(!alias)(`refuses at ping and at run time a host name that resolves to loopback (${alias ?? 'none found'})`, async () => {
    const saved = await t.api('POST', '/v1/connections', { name: 'Named', type: 'rdbms', rdbms: { ...block(), host: alias, database: storeName } });
    expect(saved.status).toBe(201);
    expect((await t.api('POST', `/v1/connections/${saved.body._id}/ping`)).body.errors[0].message).toContain('own store database');
    const unsaved = await t.api('POST', '/v1/connections/ping', { name: 'Named', type: 'rdbms', rdbms: { ...block(), host: alias, database: storeName } });
    expect(unsaved.body.errors[0].message).toContain('own store database');
    const exp = await t.api('POST', '/v1/exports', { name: 'Tokens', adaptorType: 'RDBMSExport', _connectionId: saved.body._id, rdbms: { query: 'SELECT * FROM tokens' } });
    const invoke = await t.api('POST', `/v1/exports/${exp.body._id}/invoke`);
    expect(invoke.body.data).toEqual([]);
    expect(invoke.body.errors[0].message).toContain('own store database');
  });
});

/** A name in /etc/hosts for a loopback address that is not `localhost` nor this machine's host name. */
async function loopbackAlias(): Promise<string | undefined> {
  let text = '';
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return undefined;
  }
  const me = hostname().toLowerCase();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !/^127\./.test(address)) continue;
    for (const name of names) {
      const n = name.toLowerCase();
      if (n === 'localhost' || n.endsWith('.localhost') || n === me || n === me.split('.')[0]) continue;
      const found = await lookup(name, { all: true }).catch(() => []);
      if (found.length > 0 && found.every((a) => /^127\./.test(a.address))) return name;
    }
  }
  return undefined;
}
