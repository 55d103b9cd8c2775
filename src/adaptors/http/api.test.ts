import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntegrator, type TestIntegrator } from '../../../test/support/integrator.js';
import { json, startServer, type TestServer } from './test-support.js';

// An invoke answers within this (default 30 s); short here so a hanging remote fails fast.
process.env.INTEGRATOR_INVOKE_TIMEOUT_MS = '1500';

/** HTTP adaptor behaviour seen through the API: a real Integrator and real loopback servers. */
describe('HTTP adaptor through the API', () => {
  let t: TestIntegrator;
  let remote: TestServer;

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect: 'sqlite', worker: true });
    remote = await startServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/items') return json(res, 200, [{ id: 1 }, { id: 2 }]);
      return json(res, 200, { ok: true });
    });
  });
  afterAll(async () => {
    await remote?.close();
    await t?.stop();
  });

  const create = async (path: string, body: unknown): Promise<string> => {
    const res = await t.api('POST', path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body._id;
  };

  it('a flow test never answers connection secrets, whatever the templates ask for', async () => {
    const connection = await create('/v1/connections', {
      name: 'Secret API',
      type: 'http',
      http: {
        baseURI: remote.url,
        headers: [{ name: 'X-Api-Key', value: '{{{connection.http.encrypted.apiKey}}}' }],
        encrypted: { apiKey: 'HEADER-SECRET-42' },
        auth: { type: 'token', token: { token: 'TOKEN-SECRET-17', headerName: 'X-Auth', scheme: 'None' } },
      },
    });
    const exp = await create('/v1/exports', { name: 'Items', adaptorType: 'HTTPExport', _connectionId: connection, http: { relativeURI: '/items' } });
    const imp = await create('/v1/imports', {
      name: 'Leaky',
      adaptorType: 'HTTPImport',
      _connectionId: connection,
      http: {
        method: 'POST',
        relativeURI: '/dest?k={{connection.http.encrypted.apiKey}}',
        body: '{"leak":"{{connection.http.auth.token.token}}","also":"{{connection.http.encrypted.apiKey}}"}',
        headers: [{ name: 'X-Echo', value: '{{connection.http.auth.token.token}}' }],
      },
    });
    const flow = await create('/v1/flows', { name: 'Leak test', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: imp }] });
    const before = remote.requests.length;
    const res = await t.api('POST', `/v1/flows/${flow}/test`, { limit: 2 });
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('TOKEN-SECRET-17');
    expect(text).not.toContain('HEADER-SECRET-42');
    const shown = res.body.steps[0].results[0].response._json;
    expect(shown).toMatchObject({ testMode: true, method: 'POST' });
    expect(JSON.parse(shown.body)).toEqual({ leak: '******', also: '******' });
    expect(shown.headers).toMatchObject({ 'x-auth': '******', 'x-api-key': '******', 'x-echo': '******' });
    expect(shown.url).toBe(`${remote.url}/dest?k=******`);
    // The export really ran with the real secrets; nothing was sent by the import.
    const sent = remote.requests.slice(before);
    expect(sent.map((r) => r.url)).toEqual(['/items']);
    expect(sent[0]!.headers['x-auth']).toBe('TOKEN-SECRET-17');
    expect(sent[0]!.headers['x-api-key']).toBe('HEADER-SECRET-42');
  });

  it('a rotated OAuth refresh token is stored back (sealed), so consecutive invokes and flow runs keep working', async () => {
    let valid = 'RT-1';
    let n = 0;
    const grants: string[] = [];
    const api = await startServer((req, res) => {
      if (req.url === '/token') {
        const form = new URLSearchParams(req.body);
        grants.push(`${form.get('grant_type')}:${form.get('refresh_token')}`);
        if (form.get('refresh_token') !== valid) return json(res, 400, { error: 'invalid_grant' });
        n++;
        valid = `RT-${n + 1}`;
        // Expires at once: every session has to refresh.
        return json(res, 200, { access_token: `AT-${n}`, refresh_token: valid, expires_in: 1 });
      }
      if (req.headers.authorization !== `Bearer AT-${n}`) return json(res, 401, { error: 'bad token' });
      return json(res, 200, [{ id: 1 }, { id: 2 }]);
    });
    try {
      const connection = await create('/v1/connections', {
        name: 'Rotating OAuth',
        type: 'http',
        http: { baseURI: api.url, auth: { type: 'oauth', oauth: { tokenURI: `${api.url}/token`, refreshToken: 'RT-1', clientId: 'c', clientSecret: 's' } } },
      });
      const exp = await create('/v1/exports', { name: 'Rows', adaptorType: 'HTTPExport', _connectionId: connection, http: { relativeURI: '/rows' } });
      for (let i = 0; i < 2; i++) {
        const res = await t.api('POST', `/v1/exports/${exp}/invoke`);
        expect(res.body, JSON.stringify(res.body)).toEqual({ data: [{ id: 1 }, { id: 2 }], errors: [] });
      }
      const flow = await create('/v1/flows', { name: 'Rotating', pageGenerators: [{ _exportId: exp }], pageProcessors: [] });
      for (let i = 0; i < 2; i++) {
        const run = await t.api('POST', `/v1/flows/${flow}/run`);
        expect(run.status).toBe(201);
        const job = await waitForJob(run.body._jobId);
        expect(job.status, JSON.stringify(job)).toBe('completed');
      }
      expect(grants).toEqual(['refresh_token:RT-1', 'refresh_token:RT-2', 'refresh_token:RT-3', 'refresh_token:RT-4']);
      const accountId = t.app.owner.accountId;
      const stored = await t.app.services.connections.getInternal(accountId, connection);
      expect((stored.http as any).auth.oauth).toMatchObject({ refreshToken: 'RT-5', accessToken: 'AT-4', clientId: 'c', clientSecret: 's' });
      const raw = (await t.app.services.connections.row(accountId, connection)).doc;
      expect(raw).not.toContain('RT-5');
      expect(raw).not.toContain('AT-4');
      expect(JSON.parse(raw).http.auth.oauth.refreshToken).toMatch(/^v1\./);
      const shown = await t.api('GET', `/v1/connections/${connection}`);
      expect(shown.body.http.auth.oauth.refreshToken).toBe('******');
      const audit = JSON.stringify((await t.api('GET', `/v1/connections/${connection}/audit`)).body);
      expect(audit).not.toContain('RT-5');
    } finally {
      await api.close();
    }
  });

  it('an OAuth connection naming an iClient takes its client id and secret', async () => {
    const seen: string[] = [];
    const api = await startServer((req, res) => {
      if (req.url === '/token') {
        const form = new URLSearchParams(req.body);
        seen.push(`${form.get('grant_type')} ${form.get('client_id')} ${form.get('client_secret')}`);
        if (form.get('client_id') !== 'app-id' || form.get('client_secret') !== 'app-secret') return json(res, 401, { error: 'invalid_client' });
        return json(res, 200, { access_token: 'CC-TOKEN', expires_in: 3600 });
      }
      if (req.headers.authorization !== 'Bearer CC-TOKEN') return json(res, 401, { error: 'bad token' });
      return json(res, 200, [{ id: 'x' }]);
    });
    try {
      const iClient = await create('/v1/iClients', { name: 'App', provider: 'custom', oauth2: { clientId: 'app-id', clientSecret: 'app-secret' } });
      const connection = await create('/v1/connections', {
        name: 'iClient OAuth',
        type: 'http',
        http: { baseURI: api.url, _iClientId: iClient, ping: { relativeURI: '/rows' }, auth: { type: 'oauth', oauth: { grantType: 'clientcredentials', tokenURI: `${api.url}/token` } } },
      });
      expect((await t.api('POST', `/v1/connections/${connection}/ping`)).body).toEqual({ code: 200 });
      const exp = await create('/v1/exports', { name: 'Rows', adaptorType: 'HTTPExport', _connectionId: connection, http: { relativeURI: '/rows' } });
      expect((await t.api('POST', `/v1/exports/${exp}/invoke`)).body).toEqual({ data: [{ id: 'x' }], errors: [] });
      expect(seen[0]).toBe('client_credentials app-id app-secret');
      // The iClient's secret is not copied onto the stored connection.
      const stored = await t.app.services.connections.getInternal(t.app.owner.accountId, connection);
      expect((stored.http as any).auth.oauth.clientSecret).toBeUndefined();
    } finally {
      await api.close();
    }
  });

  it('an invoke against a remote that never answers ends at the invoke ceiling with a clear error', async () => {
    const hanging = await startServer(() => new Promise(() => {}));
    try {
      const connection = await create('/v1/connections', { name: 'Hanging', type: 'http', http: { baseURI: hanging.url } });
      const exp = await create('/v1/exports', { name: 'Never', adaptorType: 'HTTPExport', _connectionId: connection, http: { relativeURI: '/never' } });
      const started = Date.now();
      const res = await t.api('POST', `/v1/exports/${exp}/invoke`);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
      expect(res.body.errors).toEqual([expect.objectContaining({ code: 'timeout', message: expect.stringMatching(/no complete answer within 1.5 s/) })]);
    } finally {
      await hanging.close();
    }
  });

  it('invoke reads pages until limit records, past the export page size', async () => {
    const ROWS = Array.from({ length: 150 }, (_, i) => ({ id: i + 1 }));
    const source = await startServer((req, res) => {
      const p = Number(new URL(req.url, 'http://x').searchParams.get('page'));
      json(res, 200, ROWS.slice((p - 1) * 20, p * 20));
    });
    try {
      const connection = await create('/v1/connections', { name: 'Paged', type: 'http', http: { baseURI: source.url } });
      const exp = await create('/v1/exports', {
        name: 'Paged rows',
        adaptorType: 'HTTPExport',
        _connectionId: connection,
        pageSize: 20,
        http: { relativeURI: '/rows?page={{export.http.paging.page}}', paging: { method: 'page', page: 1 } },
      });
      const hundred = await t.api('POST', `/v1/exports/${exp}/invoke`, { limit: 100 });
      expect(hundred.body.errors).toEqual([]);
      expect(hundred.body.data.map((r: { id: number }) => r.id)).toEqual(ROWS.slice(0, 100).map((r) => r.id));
      expect(source.requests).toHaveLength(5);
      expect((await t.api('POST', `/v1/exports/${exp}/invoke`)).body.data).toHaveLength(20);
      expect((await t.api('POST', `/v1/exports/${exp}/invoke`, { limit: 1000 })).body.data).toHaveLength(150);
    } finally {
      await source.close();
    }
  });

  it('legacy RESTExport and RESTImport run through the HTTP adaptor on a legacy rest connection', async () => {
    const ROWS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1 }));
    const received: unknown[] = [];
    const legacy = await startServer((req, res) => {
      if (req.headers.authorization !== 'Bearer LEGACY') return json(res, 401, { error: 'no' });
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/v1/rows') {
        const p = Number(url.searchParams.get('pg'));
        return json(res, 200, { rows: ROWS.slice((p - 1) * 3, p * 3) });
      }
      if (url.pathname === '/v1/sink' && req.method === 'POST') {
        received.push(JSON.parse(req.body));
        return json(res, 201, { newId: `n${received.length}` });
      }
      json(res, 404, {});
    });
    try {
      const connection = await create('/v1/connections', {
        name: 'Legacy REST',
        type: 'rest',
        rest: { baseURI: `${legacy.url}/v1`, mediaType: 'json', authType: 'token', bearerToken: 'LEGACY' },
      });
      const exp = await create('/v1/exports', {
        name: 'Legacy rows',
        adaptorType: 'RESTExport',
        _connectionId: connection,
        rest: { relativeURI: '/rows', method: 'GET', resourcePath: 'rows', pagingMethod: 'pageargument', pageArgument: 'pg' },
      });
      const invoked = await t.api('POST', `/v1/exports/${exp}/invoke`, { limit: 10 });
      expect(invoked.body).toEqual({ data: ROWS, errors: [] });
      const imp = await create('/v1/imports', {
        name: 'Legacy sink',
        adaptorType: 'RESTImport',
        _connectionId: connection,
        rest: { method: ['POST'], relativeURI: ['/sink'], responseIdPath: 'newId' },
      });
      const flow = await create('/v1/flows', { name: 'Legacy', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: imp }] });
      const job = await waitForJob((await t.api('POST', `/v1/flows/${flow}/run`)).body._jobId);
      expect(job.status, JSON.stringify(job)).toBe('completed');
      expect(job.numError).toBe(0);
      expect([...received].sort((a: any, b: any) => a.id - b.id)).toEqual(ROWS);
    } finally {
      await legacy.close();
    }
  });

  async function waitForJob(id: string, ms = 20_000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const job = (await t.api('GET', `/v1/jobs/${id}`)).body;
      if (['completed', 'failed', 'canceled'].includes(job?.status)) return job;
      if (Date.now() > end) throw new Error(`job ${id} still ${job?.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
