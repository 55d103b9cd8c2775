import { afterEach, describe, expect, it } from 'vitest';
import { openHttpSession, type HttpSession } from './connection.js';
import { collect, connectionDoc, fastClient, json, startServer, testContext, type SeenRequest, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
const sessions: HttpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(handler: Parameters<typeof startServer>[0]) {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}
async function open(http: Record<string, unknown>) {
  const s = await openHttpSession(connectionDoc(http), { client: fastClient });
  sessions.push(s);
  return s;
}
const form = (r: SeenRequest) => Object.fromEntries(new URLSearchParams(r.body));

describe('cookie auth', () => {
  it('logs in once, replays the cookie, and logs in again when the session expires', async () => {
    let session = 1;
    const s = await serve((req, res) => {
      if (req.url === '/login') {
        const { user } = JSON.parse(req.body) as { user: string };
        if (user !== 'ann') return json(res, 401, { error: 'who?' });
        return json(res, 200, { ok: true }, { 'set-cookie': `sid=s${session}; Path=/; HttpOnly` } as Record<string, string>);
      }
      if (req.headers.cookie !== `sid=s${session}`) return json(res, 401, { error: 'login first' });
      json(res, 200, [{ id: 1 }]);
    });
    const http = await open({ baseURI: s.url, auth: { type: 'cookie', cookie: { uri: '/login', method: 'POST', body: '{"user":"{{connection.http.unencrypted.user}}"}' } }, unencrypted: { user: 'ann' } });
    const read = () => collect(http.exportPages({ export: { _id: 'e', http: { relativeURI: '/items' } }, pageSize: 10 }, testContext()));
    expect((await read())[0]!.records).toEqual([{ id: 1 }]);
    expect((await read())[0]!.records).toEqual([{ id: 1 }]);
    session = 2;
    expect((await read())[0]!.records).toEqual([{ id: 1 }]);
    expect(s.requests.map((r) => r.url)).toEqual(['/login', '/items', '/items', '/items', '/login', '/items']);
  });

  it('a refused login is a clear error', async () => {
    const s = await serve((_req, res) => json(res, 403, { error: 'locked' }));
    const http = await open({ baseURI: s.url, ping: { relativeURI: '/me' }, auth: { type: 'cookie', cookie: { uri: '/login' } } });
    await expect(http.ping(testContext())).rejects.toThrow(/connecting to .*logging in for a session cookie: HTTP 403: .*locked/);
  });
});

describe('OAuth 2.0', () => {
  it('client credentials: fetches a token, reuses it, and fetches a new one after a 401', async () => {
    let issued = 0;
    let valid = '';
    const s = await serve((req, res) => {
      if (req.url === '/oauth/token') {
        valid = `at${++issued}`;
        return json(res, 200, { access_token: valid, token_type: 'bearer', expires_in: 3600 });
      }
      if (req.headers.authorization !== `Bearer ${valid}`) return json(res, 401, { error: 'invalid_token' });
      json(res, 200, { ok: true });
    });
    const http = await open({
      baseURI: `${s.url}/api`,
      ping: { relativeURI: '/me' },
      auth: { type: 'oauth', oauth: { clientId: 'cid', clientSecret: 'sec', tokenURI: `${s.url}/oauth/token`, scope: ['read', 'write'] } },
    });
    await http.ping(testContext());
    await http.ping(testContext());
    valid = 'revoked';
    await http.ping(testContext());
    expect(s.requests.map((r) => r.url)).toEqual(['/oauth/token', '/api/me', '/api/me', '/api/me', '/oauth/token', '/api/me']);
    expect(form(s.requests[0]!)).toEqual({ grant_type: 'client_credentials', scope: 'read write', client_id: 'cid', client_secret: 'sec' });
  });

  it('authorization code: refreshes an expired token with the refresh token, and exposes the new tokens', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/token') {
        const f = form(req);
        if (f.grant_type !== 'refresh_token' || f.refresh_token !== 'rt1') return json(res, 400, { error: 'invalid_grant' });
        return json(res, 200, { access_token: 'fresh', refresh_token: 'rt2', expires_in: 60 });
      }
      json(res, req.headers.authorization === 'Bearer fresh' ? 200 : 401, {});
    });
    const http = await open({
      baseURI: s.url,
      ping: { relativeURI: '/me' },
      auth: {
        type: 'oauth',
        oauth: { clientId: 'c', clientSecret: 's', tokenURI: `${s.url}/token`, accessToken: 'old', refreshToken: 'rt1', expiresAt: new Date(Date.now() - 1000).toISOString(), clientCredentialsLocation: 'basicauthheader' },
      },
    });
    await http.ping(testContext());
    expect(s.requests.map((r) => r.url)).toEqual(['/token', '/me']);
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('c:s').toString('base64')}`);
    expect(http.credentials()).toMatchObject({ accessToken: 'fresh', refreshToken: 'rt2' });
  });

  it('a refused refresh is a clear error', async () => {
    const s = await serve((req, res) => (req.url === '/token' ? json(res, 400, { error: 'invalid_grant' }) : json(res, 401, {})));
    const http = await open({ baseURI: s.url, ping: { relativeURI: '/me' }, auth: { type: 'oauth', oauth: { tokenURI: `${s.url}/token`, accessToken: 'old', refreshToken: 'rt' } } });
    await expect(http.ping(testContext())).rejects.toThrow(/refreshing the OAuth 2.0 token: HTTP 400: .*invalid_grant/);
  });
});

describe('custom token auth', () => {
  it('fetches a token by a request, places it in a header, and refreshes it once for concurrent 401s', async () => {
    let current = 'tok1';
    let fetches = 0;
    const s = await serve((req, res) => {
      if (req.url === '/auth') {
        fetches++;
        expect(JSON.parse(req.body)).toEqual({ key: 'k-123' });
        return json(res, 200, { data: { jwt: current } });
      }
      if (req.headers['x-auth'] !== `JWT ${current}`) return json(res, 401, { error: 'expired' });
      setTimeout(() => json(res, 200, [{ id: req.url }]), 20);
    });
    const http = await open({
      baseURI: s.url,
      auth: {
        type: 'custom',
        token: { headerName: 'X-Auth', scheme: 'JWT', refreshRelativeURI: '/auth', refreshMethod: 'POST', refreshBody: '{"key":"{{connection.http.encrypted.key}}"}', refreshTokenPath: 'data.jwt' },
      },
      encrypted: { key: 'k-123' },
    });
    const read = (p: string) => collect(http.exportPages({ export: { _id: 'e', http: { relativeURI: p } }, pageSize: 10 }, testContext()));
    await read('/a');
    expect(fetches).toBe(1);
    current = 'tok2';
    const results = await Promise.all([read('/b'), read('/c'), read('/d')]);
    expect(results.map((r) => r[0]!.records[0]!.id)).toEqual(['/b', '/c', '/d']);
    expect(fetches).toBe(2);
  });

  it('token auth with refreshRelativeURI uses the stored token first', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/refresh') return json(res, 200, { access_token: 'new' });
      json(res, req.headers.authorization === 'Bearer new' ? 200 : 401, {});
    });
    const http = await open({ baseURI: s.url, ping: { relativeURI: '/me' }, auth: { type: 'token', token: { token: 'stale', refreshRelativeURI: '/refresh' } } });
    await http.ping(testContext());
    expect(s.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/me', 'Bearer stale'],
      ['/refresh', undefined],
      ['/me', 'Bearer new'],
    ]);
  });

  it('auth.failStatusCode / failPath recognise an expired session', async () => {
    let n = 0;
    const s = await serve((req, res) => {
      if (req.url === '/refresh') return json(res, 200, { access_token: `t${++n}` });
      if (req.headers.authorization === 'Bearer t1') return json(res, 200, { ok: true, status: 'expired' });
      json(res, 200, { ok: true, status: 'fine' });
    });
    const http = await open({ baseURI: s.url, ping: { relativeURI: '/me', successPath: 'status', successValues: ['fine'] }, auth: { type: 'custom', failStatusCode: 200, failPath: 'status', failValues: ['expired'], token: { refreshRelativeURI: '/refresh' } } });
    await http.ping(testContext());
    expect(n).toBe(2);
  });
});
