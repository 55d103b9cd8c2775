import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionConfig, joinURI, openHttpSession, proxyRequest, type HttpSession } from './connection.js';
import { connectionDoc, fastClient, json, startServer, testContext, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
const sessions: HttpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function open(http: Record<string, unknown>) {
  const s = await openHttpSession(connectionDoc(http), { client: fastClient });
  sessions.push(s);
  return s;
}

describe('URIs', () => {
  it('joins base and relative URIs by concatenation; absolute URIs win', () => {
    expect(joinURI('https://h/api/v1', '/orders')).toBe('https://h/api/v1/orders');
    expect(joinURI('https://h/api/v1/', 'orders?x=1')).toBe('https://h/api/v1/orders?x=1');
    expect(joinURI('https://h/api', '?q=1')).toBe('https://h/api?q=1');
    expect(joinURI('https://h/api', '')).toBe('https://h/api');
    expect(joinURI('https://h/api', 'https://other/x')).toBe('https://other/x');
  });
});

describe('legacy rest connections', () => {
  it('read into the http shape', () => {
    const cfg = connectionConfig({
      _id: 'c',
      type: 'rest',
      rest: { baseURI: 'https://h', authType: 'token', bearerToken: 't', tokenLocation: 'url', tokenParam: 'key', pingRelativeURI: '/me', concurrencyLevel: 3 },
    });
    expect(cfg).toMatchObject({
      baseURI: 'https://h',
      concurrencyLevel: 3,
      auth: { type: 'token', token: { token: 't', location: 'url', paramName: 'key' } },
      ping: { relativeURI: '/me', method: 'GET' },
    });
  });

  it('work end to end', async () => {
    const s = await startServer((req, res) => json(res, req.url === '/me?key=t' ? 200 : 401, {}));
    servers.push(s);
    const session = await openHttpSession({ _id: 'legacy-1', type: 'rest', rest: { baseURI: s.url, authType: 'token', bearerToken: 't', tokenLocation: 'url', tokenParam: 'key', pingRelativeURI: '/me' } });
    sessions.push(session);
    await session.ping(testContext());
  });
});

describe('ping', () => {
  it('applies successPath and the ping body', async () => {
    const s = await startServer((req, res) => json(res, 200, { user: req.body ? JSON.parse(req.body).who : null, active: req.url === '/ok' }));
    servers.push(s);
    await (await open({ baseURI: s.url, ping: { relativeURI: '/ok', method: 'POST', body: { who: 'me' }, successPath: 'active', successValues: [true] } })).ping(testContext());
    await expect((await open({ baseURI: s.url, ping: { relativeURI: '/no', successPath: 'active', successValues: [true] } })).ping(testContext())).rejects.toThrow(/active is false/);
    expect(JSON.parse(s.requests[0]!.body)).toEqual({ who: 'me' });
  });

  it('without a ping request, any answer but an auth refusal proves the host is reachable', async () => {
    const s = await startServer((req, res) => json(res, req.headers.authorization ? 404 : 401, {}));
    servers.push(s);
    await (await open({ baseURI: s.url, auth: { type: 'token', token: { token: 'x' } } })).ping(testContext());
    await expect((await open({ baseURI: s.url })).ping(testContext())).rejects.toThrow(/HTTP 401/);
  });
});

describe('redirects', () => {
  it('a redirect to another origin carries neither the token header nor the connection headers', async () => {
    const other = await startServer((req, res) => json(res, 200, { headers: req.headers }));
    servers.push(other);
    const s = await startServer((req, res) => {
      if (req.url === '/api/go') {
        res.writeHead(302, { location: `${other.url.replace('127.0.0.1', 'localhost')}/landing` });
        return res.end();
      }
      json(res, 200, { headers: req.headers });
    });
    servers.push(s);
    const session = await open({
      baseURI: `${s.url}/api`,
      headers: [{ name: 'X-Secret-Header', value: '{{{connection.http.encrypted.key}}}' }],
      encrypted: { key: 'ENC-SECRET' },
      auth: { type: 'token', token: { token: 'API-KEY-1', headerName: 'x-api-key' } },
    });
    const res = await session.send({ method: 'GET', uri: '/go', headers: { accept: 'application/json' } });
    const got = JSON.parse(res.body.toString()).headers;
    expect(other.requests).toHaveLength(1);
    expect(got['x-api-key']).toBeUndefined();
    expect(got['x-secret-header']).toBeUndefined();
    expect(got.accept).toBe('application/json');
    expect(s.requests[0]!.headers).toMatchObject({ 'x-api-key': 'API-KEY-1', 'x-secret-header': 'ENC-SECRET' });
  });

  it('an absolute relativeURI on another origin than baseURI is refused before anything is sent', async () => {
    const spy = await startServer((req, res) => json(res, 200, { headers: req.headers }));
    servers.push(spy);
    const own = await startServer((req, res) => json(res, 200, {}));
    servers.push(own);
    const session = await open({ baseURI: `${own.url}/api`, auth: { type: 'token', token: { token: 'SECRET-1' } } });
    await expect(session.send({ method: 'GET', uri: `${spy.url}/leak` })).rejects.toThrow(/is not on the connection's http:\/\/127\.0\.0\.1:\d+: its credentials are only sent to its own host/);
    expect(spy.requests).toHaveLength(0);
    // The same origin written out in full is fine.
    expect((await session.send({ method: 'GET', uri: `${own.url}/api/ok` })).status).toBe(200);
  });
});

describe('timeouts', () => {
  it('http.timeoutMs bounds each attempt', async () => {
    const s = await startServer(() => new Promise(() => {}));
    servers.push(s);
    const session = await open({ baseURI: s.url, timeoutMs: 200 });
    const started = Date.now();
    await expect(session.send({ method: 'GET', uri: '/slow' })).rejects.toThrow(/timed out waiting for the response headers \(after 4 attempts\)/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.requests).toHaveLength(4);
  });
});

describe('proxyRequest', () => {
  it('returns the remote status, headers and body unchanged, with auth and connection headers applied', async () => {
    const s = await startServer((req, res) => {
      res.writeHead(req.method === 'DELETE' ? 204 : 201, { 'x-remote': 'yes', 'content-type': 'application/octet-stream' });
      res.end(req.method === 'DELETE' ? undefined : Buffer.from([0, 1, 2, 255]));
    });
    servers.push(s);
    const session = await open({ baseURI: `${s.url}/api`, headers: [{ name: 'X-App', value: 'integrator' }], auth: { type: 'basic', basic: { username: 'u', password: 'p' } } });
    const res = await proxyRequest(session, { method: 'post', relativeURI: '/things?x=1', body: { a: 1 }, headers: { 'X-Extra': '1' } });
    expect(res.status).toBe(201);
    expect(res.headers['x-remote']).toBe('yes');
    expect([...res.body]).toEqual([0, 1, 2, 255]);
    const seen = s.requests[0]!;
    expect([seen.method, seen.url, seen.body]).toEqual(['POST', '/api/things?x=1', '{"a":1}']);
    expect(seen.headers).toMatchObject({ 'x-app': 'integrator', 'x-extra': '1', 'content-type': 'application/json', authorization: expect.stringMatching(/^Basic /) });
    const del = await proxyRequest(session, { method: 'DELETE', relativeURI: '/things/1' });
    expect(del.status).toBe(204);
    expect(del.body.length).toBe(0);
  });

  it('refuses a session of another adaptor', async () => {
    await expect(proxyRequest({ ping: async () => {}, close: async () => {} }, { method: 'GET', relativeURI: '/' })).rejects.toThrow(/HTTP connection/);
  });
});

let hasOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  hasOpenssl = false;
}

describe.skipIf(!hasOpenssl)('TLS options', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let pem: { cert: string; key: string; clientCert: string; clientKey: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'http-tls-'));
    const gen = (name: string, cn: string) =>
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
    gen('server', '127.0.0.1');
    gen('client', 'integrator-client');
    pem = {
      cert: readFileSync(join(dir, 'server.crt'), 'utf8'),
      key: readFileSync(join(dir, 'server.key'), 'utf8'),
      clientCert: readFileSync(join(dir, 'client.crt'), 'utf8'),
      clientKey: readFileSync(join(dir, 'client.key'), 'utf8'),
    };
    server = createServer({ cert: pem.cert, key: pem.key, ca: pem.clientCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      json(res, 200, { client: peer?.subject?.CN ?? null });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a self-signed certificate by default, with a clear error', async () => {
    const s = await open({ baseURI: url, ping: { relativeURI: '/me' } });
    const err = (await s.ping(testContext()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/connecting to https:\/\/127\.0\.0\.1:\d+\/me: .*self[- ]signed certificate/i);
    // A certificate error is not worth another attempt.
    expect(err.message).not.toMatch(/attempts/);
  });

  it('accepts it with disableStrictSSL, or when its CA is given', async () => {
    await (await open({ baseURI: url, ping: { relativeURI: '/me' }, disableStrictSSL: true })).ping(testContext());
    await (await open({ baseURI: url, ping: { relativeURI: '/me' }, clientCertificates: { ca: pem.cert } })).ping(testContext());
  });

  it('presents a client certificate', async () => {
    const s = await open({ baseURI: url, clientCertificates: { ca: pem.cert, cert: pem.clientCert, key: pem.clientKey } });
    const res = await proxyRequest(s, { method: 'GET', relativeURI: '/who' });
    expect(JSON.parse(res.body.toString())).toEqual({ client: 'integrator-client' });
  });
});
