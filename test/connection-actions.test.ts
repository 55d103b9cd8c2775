import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFtpServer, type TestFtpServer } from '../src/adaptors/ftp/test-servers.js';
import { startFakeS3, type FakeS3 } from './support/fake-s3.js';
import { startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';
import { postgresServer, probePostgres, requireService } from './support/services.js';

// Pings answer within this (INTEGRATOR_PING_TIMEOUT_MS, default 15 s); short here so a silent host fails fast.
process.env.INTEGRATOR_PING_TIMEOUT_MS = '1500';

const dialects = await storageDialects();
const hasPostgres = await requireService('PostgreSQL', probePostgres);

/** A TCP server that accepts connections and never says a word. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = await startSilentServer();
  await s.close();
  return s.port;
}

describe.each(dialects)('connection and export actions on %s', (dialect) => {
  let t: TestIntegrator;
  let remote: LocalServer;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let ftp: TestFtpServer;
  let s3: FakeS3;
  let dir: string;
  let pingOk = true;

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
    dir = mkdtempSync(join(tmpdir(), 'conn-actions-'));
    remote = await startHttpServer((req, body, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (url.pathname === '/me') {
        if (req.headers.authorization !== 'Bearer good-token') return json(401, { message: 'bad token' });
        return pingOk ? json(200, { ok: true }) : json(200, { ok: false });
      }
      if (url.pathname === '/echo') {
        return json(201, { method: req.method, url: req.url, body: body ? JSON.parse(body) : null, auth: req.headers.authorization ?? null }, { 'x-remote': 'yes' });
      }
      if (url.pathname === '/empty') {
        res.writeHead(204);
        return res.end();
      }
      if (url.pathname === '/text') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('no such thing');
      }
      if (url.pathname === '/items') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const items = page <= 3 ? Array.from({ length: 5 }, (_, i) => ({ id: (page - 1) * 5 + i + 1 })) : [];
        if (page < 3) res.setHeader('Link', `</items?page=${page + 1}>; rel="next"`);
        return json(200, { items });
      }
      if (url.pathname === '/broken') return json(500, { message: 'database on fire' });
      return json(404, { message: 'not found' });
    });
    silent = await startSilentServer();
    mkdirFtpRoot(dir);
    ftp = await startFtpServer(join(dir, 'ftp'), 'alice', 'secret');
    s3 = await startFakeS3();
  });
  afterAll(async () => {
    await t?.stop();
    await remote?.close();
    await silent?.close();
    await ftp?.close();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (kind: string, body: Record<string, unknown>): Promise<string> => {
    const res = await t.api('POST', `/v1/${kind}`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body._id as string;
  };
  const httpConnection = (http: Record<string, unknown>) => create('connections', { name: 'Shop', type: 'http', http });
  const connectionDoc = async (id: string) => (await t.api('GET', `/v1/connections/${id}`)).body;

  describe('ping', () => {
    it('HTTP: success is {"code":200} on GET and POST; a refused credential fails, sets offline, and a later success clears it', async () => {
      const id = await httpConnection({ baseURI: remote.url, ping: { relativeURI: '/me' }, auth: { type: 'token', token: { token: 'good-token' } } });
      expect(await t.api('GET', `/v1/connections/${id}/ping`)).toMatchObject({ status: 200, body: { code: 200 } });
      expect(await t.api('POST', `/v1/connections/${id}/ping`, { _flowId: '0123456789abcdef01234567' })).toMatchObject({ status: 200, body: { code: 200 } });

      const bad = await httpConnection({ baseURI: remote.url, ping: { relativeURI: '/me' }, auth: { type: 'token', token: { token: 'wrong' } } });
      const failed = await t.api('POST', `/v1/connections/${bad}/ping`);
      expect(failed.status).toBe(200);
      expect(failed.body).toEqual({ errors: [{ code: 'ping_failed', message: expect.stringMatching(/^connecting to http:\/\/127\.0\.0\.1:\d+\/me: HTTP 401/) }] });
      expect((await connectionDoc(bad)).offline).toBe(true);

      // The credentials are fixed (the masked secret in a PUT would keep the old one, so send the new one).
      const doc = await connectionDoc(bad);
      await t.api('PUT', `/v1/connections/${bad}`, { ...doc, http: { ...doc.http, auth: { type: 'token', token: { token: 'good-token' } } } });
      expect((await t.api('GET', `/v1/connections/${bad}/ping`)).body).toEqual({ code: 200 });
      expect((await connectionDoc(bad)).offline).toBe(false);
    });

    it('HTTP: successPath rules decide, and the remote body does not count as success by status alone', async () => {
      const id = await httpConnection({ baseURI: remote.url, ping: { relativeURI: '/me', successPath: 'ok', successValues: [true] }, auth: { type: 'token', token: { token: 'good-token' } } });
      pingOk = false;
      try {
        const res = await t.api('GET', `/v1/connections/${id}/ping`);
        expect(res.body.errors[0].code).toBe('ping_failed');
      } finally {
        pingOk = true;
      }
      expect((await t.api('GET', `/v1/connections/${id}/ping`)).body).toEqual({ code: 200 });
    });

    it('HTTP: a refused port and a silent host are clear failures, within the ping timeout', async () => {
      const refused = await httpConnection({ baseURI: `http://127.0.0.1:${await closedPort()}`, ping: { relativeURI: '/me' } });
      const r1 = await t.api('GET', `/v1/connections/${refused}/ping`);
      expect(r1.body.errors[0]).toMatchObject({ code: 'ping_failed', message: expect.stringMatching(/^connecting to http:\/\/127\.0\.0\.1:\d+\/me: /) });
      const quiet = await httpConnection({ baseURI: `http://127.0.0.1:${silent.port}`, ping: { relativeURI: '/me' } });
      const r2 = await t.api('GET', `/v1/connections/${quiet}/ping`);
      expect(r2.status).toBe(200);
      expect(r2.body.errors[0].message).toMatch(/no answer within 1\.5 s/);
      expect((await connectionDoc(quiet)).offline).toBe(true);
    });

    it('HTTP: an unsaved connection is validated and pinged without being stored', async () => {
      const before = (await t.api('GET', '/v1/connections')).body.length;
      const good = await t.api('POST', '/v1/connections/ping', { name: 'Unsaved', type: 'http', http: { baseURI: remote.url, ping: { relativeURI: '/me' }, auth: { type: 'token', token: { token: 'good-token' } } } });
      expect(good.status).toBe(200);
      expect(good.body).toEqual({ code: 200 });
      const refused = await t.api('POST', '/v1/connections/ping', { name: 'Unsaved', type: 'http', http: { baseURI: `http://127.0.0.1:${await closedPort()}` } });
      expect(refused.body.errors[0].code).toBe('ping_failed');
      const invalid = await t.api('POST', '/v1/connections/ping', { name: 'Unsaved', type: 'http', http: { baseURI: 42 } });
      expect(invalid.status).toBe(422);
      expect(invalid.body.errors[0].field).toBe('http.baseURI');
      expect((await t.api('GET', '/v1/connections')).body.length).toBe(before);
    });

    it('RDBMS: a real SQLite file answers; a file in a missing directory fails', async () => {
      const file = join(dir, 'shop.db');
      new Database(file).close();
      const ok = await create('connections', { name: 'Shop DB', type: 'rdbms', rdbms: { type: 'sqlite', database: file } });
      expect((await t.api('POST', `/v1/connections/${ok}/ping`)).body).toEqual({ code: 200 });
      const missing = await create('connections', { name: 'Gone', type: 'rdbms', rdbms: { type: 'sqlite', database: join(dir, 'no', 'such', 'dir', 'x.db') } });
      const res = await t.api('POST', `/v1/connections/${missing}/ping`);
      expect(res.body.errors[0]).toMatchObject({ code: 'ping_failed', message: expect.stringContaining('connecting to') });
    });

    it.skipIf(!hasPostgres)('RDBMS: the running PostgreSQL answers; a wrong port fails', async () => {
      const pgBlock = { type: 'postgresql', host: postgresServer.host, port: postgresServer.port, user: postgresServer.user, password: postgresServer.password, database: postgresServer.database };
      const ok = await create('connections', { name: 'PG', type: 'rdbms', rdbms: pgBlock });
      expect((await t.api('GET', `/v1/connections/${ok}/ping`)).body).toEqual({ code: 200 });
      const wrong = await create('connections', { name: 'PG wrong', type: 'rdbms', rdbms: { ...pgBlock, port: await closedPort() } });
      const res = await t.api('GET', `/v1/connections/${wrong}/ping`);
      expect(res.body.errors[0].message).toMatch(/^connecting to PostgreSQL/);
    });

    it('FTP: a real server answers; wrong credentials and a silent host fail', async () => {
      const ftpBlock = { hostURI: '127.0.0.1', port: ftp.port, username: 'alice', password: 'secret', type: 'ftp' };
      const ok = await create('connections', { name: 'FTP', type: 'ftp', ftp: ftpBlock });
      expect((await t.api('GET', `/v1/connections/${ok}/ping`)).body).toEqual({ code: 200 });
      const wrong = await create('connections', { name: 'FTP wrong', type: 'ftp', ftp: { ...ftpBlock, password: 'nope' } });
      expect((await t.api('GET', `/v1/connections/${wrong}/ping`)).body.errors[0].code).toBe('ping_failed');
      const quiet = await create('connections', { name: 'FTP silent', type: 'ftp', ftp: { ...ftpBlock, port: silent.port } });
      expect((await t.api('GET', `/v1/connections/${quiet}/ping`)).body.errors[0].message).toMatch(/no answer within 1\.5 s/);
    });

    it('S3: an S3-compatible endpoint answers; an unknown access key fails', async () => {
      const s3Block = { region: 'us-east-1', ...s3.credentials, endpoint: s3.endpoint };
      const ok = await create('connections', { name: 'S3', type: 's3', s3: s3Block });
      expect((await t.api('POST', `/v1/connections/${ok}/ping`)).body).toEqual({ code: 200 });
      const wrong = await create('connections', { name: 'S3 wrong', type: 's3', s3: { ...s3Block, accessKeyId: 'AKIDUNKNOWN' } });
      expect((await t.api('POST', `/v1/connections/${wrong}/ping`)).body.errors[0]).toMatchObject({ code: 'ping_failed', message: expect.stringContaining('InvalidAccessKeyId') });
    });

    it('an unknown id is 404; a connection type without an adaptor is 501', async () => {
      expect((await t.api('GET', '/v1/connections/0123456789abcdef01234567/ping')).status).toBe(404);
      const ns = await create('connections', { name: 'NS', type: 'netsuite', netsuite: {} });
      const res = await t.api('GET', `/v1/connections/${ns}/ping`);
      expect(res.status).toBe(501);
      expect(res.body.errors[0].code).toBe('not_implemented');
    });
  });

  describe('proxy', () => {
    let conn: string;
    beforeAll(async () => {
      conn = await httpConnection({ baseURI: `${remote.url}/`, auth: { type: 'token', token: { token: 'good-token' } } });
    });
    const proxy = (headers: Record<string, string>, body?: unknown, id = conn) => t.api('POST', `/v1/connections/${id}/proxy`, body, headers);

    it('sends the call through the connection (auth added) and returns the remote status, headers and body unchanged', async () => {
      const res = await proxy({ 'Integrator-Method': 'PUT', 'Integrator-Relative-URI': '/echo?x=1' }, { name: 'Ann' });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-remote')).toBe('yes');
      expect(res.body).toEqual({ method: 'PUT', url: '/echo?x=1', body: { name: 'Ann' }, auth: 'Bearer good-token' });
      const get = await proxy({ 'integrator-method': 'get', 'integrator-relative-uri': 'echo' });
      expect(get.body).toMatchObject({ method: 'GET', url: '/echo', body: null });
      const empty = await proxy({ 'Integrator-Method': 'DELETE', 'Integrator-Relative-URI': '/empty' });
      expect(empty.status).toBe(204);
      expect(empty.body).toBeUndefined();
      const text = await proxy({ 'Integrator-Method': 'GET', 'Integrator-Relative-URI': '/text' });
      expect(text.status).toBe(404);
      expect(text.headers.get('content-type')).toBe('text/plain');
      expect(text.body).toBe('no such thing');
    });

    it('a missing or inconsistent header set is 400 invalid_request_headers', async () => {
      const cases: Record<string, string>[] = [
        { 'Integrator-Relative-URI': '/echo' },
        { 'Integrator-Method': 'GET' },
        { 'Integrator-Method': 'TRACE', 'Integrator-Relative-URI': '/echo' },
        { 'Integrator-Method': 'GET', 'Integrator-Relative-URI': '/echo', 'Integrator-NetSuite-ScriptId': '1', 'Integrator-NetSuite-DeployId': '1' },
        { 'Integrator-Method': 'GET', 'Integrator-Netsuite-ScriptId': 'customscript_x' },
        { 'Integrator-Method': 'GET', 'Integrator-Relative-URI': 'http://evil.example/steal' },
        { 'Integrator-Method': 'GET', 'Integrator-Relative-URI': '//evil.example/steal' },
        // NetSuite headers (either spelling) on an HTTP connection.
        { 'Integrator-Method': 'POST', 'Integrator-Netsuite-ScriptId': 'customscript_x', 'Integrator-Netsuite-DeployId': 'customdeploy_x' },
      ];
      for (const headers of cases) {
        const res = await proxy(headers);
        expect(res.status, JSON.stringify(headers)).toBe(400);
        expect(res.body.errors[0].code).toBe('invalid_request_headers');
      }
    });

    it('other connection types are refused with a clear 4xx; NetSuite RESTlets are not available yet', async () => {
      const db = await create('connections', { name: 'DB', type: 'rdbms', rdbms: { type: 'sqlite', database: join(dir, 'p.db') } });
      const res = await proxy({ 'Integrator-Method': 'GET', 'Integrator-Relative-URI': '/x' }, undefined, db);
      expect(res.status).toBe(422);
      expect(res.body.errors[0].message).toMatch(/HTTP connections only/);
      const ns = await create('connections', { name: 'NS', type: 'netsuite', netsuite: {} });
      const restlet = await proxy({ 'Integrator-Method': 'POST', 'Integrator-NetSuite-ScriptId': 'customscript_x', 'Integrator-NetSuite-DeployId': 'customdeploy_x' }, {}, ns);
      expect(restlet.status).toBe(501);
    });

    it('an unreachable remote is 502 with the envelope', async () => {
      const down = await httpConnection({ baseURI: `http://127.0.0.1:${await closedPort()}` });
      const res = await proxy({ 'Integrator-Method': 'GET', 'Integrator-Relative-URI': '/x' }, undefined, down);
      expect(res.status).toBe(502);
      expect(res.body.errors[0].code).toBe('proxy_failed');
    });
  });

  describe('export invoke', () => {
    it('HTTP: answers the first page only (the export page size, 7 here, over two remote pages of 5), capped by limit', async () => {
      const conn = await httpConnection({ baseURI: remote.url });
      const exp = await create('exports', { name: 'Items', adaptorType: 'HTTPExport', _connectionId: conn, pageSize: 7, http: { relativeURI: '/items', response: { resourcePath: 'items' }, paging: { method: 'linkheader' } } });
      const before = remote.requests.length;
      const res = await t.api('POST', `/v1/exports/${exp}/invoke`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id })), errors: [] });
      // The third remote page is never asked for.
      expect(remote.requests.slice(before).map((r) => r.url)).toEqual(['/items', '/items?page=2']);
      const limited = await t.api('POST', `/v1/exports/${exp}/invoke`, { limit: 2 });
      expect(limited.body.data).toEqual([{ id: 1 }, { id: 2 }]);
      const bad = await t.api('POST', `/v1/exports/${exp}/invoke`, { limit: 0 });
      expect(bad.status).toBe(422);
      expect(bad.body.errors[0].field).toBe('limit');
    });

    it('HTTP: a delta export reads from its delta.startDate (there is no checkpoint outside a flow)', async () => {
      const conn = await httpConnection({ baseURI: remote.url });
      const exp = await create('exports', { name: 'Delta items', adaptorType: 'HTTPExport', _connectionId: conn, type: 'delta', delta: { startDate: '2024-01-01T00:00:00Z' }, http: { relativeURI: '/items?since={{lastExportDateTime}}', response: { resourcePath: 'items' } } });
      const before = remote.requests.length;
      expect((await t.api('POST', `/v1/exports/${exp}/invoke`, { limit: 1 })).status).toBe(200);
      expect(remote.requests[before]!.url).toBe('/items?since=2024-01-01T00:00:00.000Z');
    });

    it('RDBMS: reads a real SQLite file', async () => {
      const file = join(dir, 'orders.db');
      const db = new Database(file);
      db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT); INSERT INTO orders VALUES (1,'open'),(2,'closed'),(3,'open')");
      db.close();
      const conn = await create('connections', { name: 'Orders DB', type: 'rdbms', rdbms: { type: 'sqlite', database: file } });
      const exp = await create('exports', { name: 'Open orders', adaptorType: 'RDBMSExport', _connectionId: conn, rdbms: { query: "SELECT id, status FROM orders WHERE status = 'open' ORDER BY id" } });
      const res = await t.api('POST', `/v1/exports/${exp}/invoke`);
      expect(res.body).toEqual({ data: [{ id: 1, status: 'open' }, { id: 3, status: 'open' }], errors: [] });
    });

    it('FTP: previews the files without moving them (nothing is committed)', async () => {
      writeFileSync(join(dir, 'ftp', 'in', 'orders.csv'), 'id,sku\n1,A\n2,B\n');
      const conn = await create('connections', { name: 'FTP', type: 'ftp', ftp: { hostURI: '127.0.0.1', port: ftp.port, username: 'alice', password: 'secret', type: 'ftp' } });
      const exp = await create('exports', { name: 'Orders files', adaptorType: 'FTPExport', _connectionId: conn, ftp: { directoryPath: '/in' }, file: { type: 'csv', csv: { hasHeaderRow: true } } });
      const res = await t.api('POST', `/v1/exports/${exp}/invoke`);
      expect(res.body.errors).toEqual([]);
      expect(res.body.data).toEqual([{ id: '1', sku: 'A' }, { id: '2', sku: 'B' }]);
      const again = await t.api('POST', `/v1/exports/${exp}/invoke`);
      expect(again.body.data).toHaveLength(2);
    });

    it('a failing export is 200 with errors; webhook exports and unknown ids are refused', async () => {
      const conn = await httpConnection({ baseURI: remote.url });
      const exp = await create('exports', { name: 'Broken', adaptorType: 'HTTPExport', _connectionId: conn, http: { relativeURI: '/broken' } });
      const res = await t.api('POST', `/v1/exports/${exp}/invoke`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
      expect(res.body.errors).toEqual([{ code: 'export_failed', message: expect.stringContaining('database on fire'), source: 'connection' }]);
      const hook = await create('exports', { name: 'Hook', adaptorType: 'WebhookExport', type: 'webhook', webhook: { provider: 'custom' } });
      expect((await t.api('POST', `/v1/exports/${hook}/invoke`)).status).toBe(422);
      expect((await t.api('POST', '/v1/exports/0123456789abcdef01234567/invoke')).status).toBe(404);
    });
  });
});

function mkdirFtpRoot(dir: string) {
  mkdirSync(join(dir, 'ftp', 'in'), { recursive: true });
}
