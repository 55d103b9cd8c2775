import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntegrator, type TestIntegrator } from '../../../test/support/integrator.js';
import { json, startServer, type TestServer } from './test-support.js';

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
});
