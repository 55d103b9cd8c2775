import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { mintOneTimeToken, ONE_TIME_TOKEN_TTL_MS } from '../src/domain/one-time-tokens.js';
import { addAccount, asToken, seedResources } from './support/api-fixtures.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('tokens and authentication on %s', (dialect) => {
  let t: TestIntegrator;
  let ids: Awaited<ReturnType<typeof seedResources>>;
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
    ids = await seedResources(t.api);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 401 with WWW-Authenticate for missing, malformed and unknown tokens on every family', async () => {
    for (const path of ['/v1/connections', '/v1/iClients', '/v1/accesstokens', '/v1/audit', `/v1/exports/${ids.export}/distributed`, '/v1/licenses']) {
      for (const auth of [undefined, 'Basic abc', 'Bearer 0123456789abcdef0123456789abcdef', 'Bearer']) {
        const res = await fetch(t.app.url + path, auth ? { headers: { authorization: auth } } : {});
        expect(res.status, `${path} ${auth}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(((await res.json()) as any).errors[0].code).toBe('unauthorized');
      }
    }
    expect((await t.api('GET', '/v1/tokenInfo', undefined, { authorization: `bEaReR ${t.token}` })).status).toBe(200);
  });

  it('creates a token shown once (32 hex), stores only its hash, lists, regenerates and revokes it at once', async () => {
    const created = await t.api('POST', '/v1/accesstokens', { name: 'CI', autoPurge: '1 day' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^[0-9a-f]{32}$/);
    expect(created.body).toMatchObject({ name: 'CI', scope: 'Full access', autoPurge: '1 day' });
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeGreaterThan(86_000_000);
    const raw = await t.app.services.store.db.selectFrom('tokens').selectAll().where('_id', '=', created.body._id).executeTakeFirstOrThrow();
    expect(JSON.stringify(raw)).not.toContain(created.body.token);
    expect(raw.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const ci = asToken(t, created.body.token);
    expect((await ci('GET', '/v1/tokenInfo')).body.scope).toBe('*');
    const list = await t.api('GET', '/v1/accesstokens');
    expect(list.body.map((x: any) => x._id)).toContain(created.body._id);
    expect(list.body.every((x: any) => x.token === undefined)).toBe(true);
    expect((await t.api('GET', `/v1/accesstokens/${created.body._id}`)).body.token).toBeUndefined();
    const display = await t.api('GET', `/v1/accesstokens/${created.body._id}/display`);
    expect(display.status).toBe(422);
    expect(display.body.errors[0].code).toBe('not_retrievable');

    const regenerated = await t.api('POST', `/v1/accesstokens/${created.body._id}/generate`);
    expect(regenerated.body.token).toMatch(/^[0-9a-f]{32}$/);
    expect((await ci('GET', '/v1/tokenInfo')).status).toBe(401);
    const ci2 = asToken(t, regenerated.body.token);
    expect((await ci2('GET', '/v1/tokenInfo')).status).toBe(200);
    expect((await t.api('DELETE', `/v1/accesstokens/${created.body._id}`)).status).toBe(204);
    expect((await ci2('GET', '/v1/flows')).status).toBe(401);
    expect((await t.api('GET', `/v1/accesstokens/${created.body._id}`)).status).toBe(404);
  });

  it('validates token bodies and keeps token management to owners with full-access tokens', async () => {
    const bad = await t.api('POST', '/v1/accesstokens', { name: 'x', autoPurge: '2 days', extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['autoPurge', 'extra']);
    const fullWithIds = await t.api('POST', '/v1/accesstokens', { name: 'x', _integrationIds: [ids.integration] });
    expect(fullWithIds.status).toBe(422);
    expect(fullWithIds.body.errors[0].field).toBe('scope');
    const unknownIds = await t.api('POST', '/v1/accesstokens', { name: 'x', scope: 'Custom', _integrationIds: [ids.integration, '0'.repeat(24)], _exportIds: [ids.import] });
    expect(unknownIds.status).toBe(422);
    expect(unknownIds.body.errors.map((e: any) => e.field)).toEqual(['_integrationIds[1]', '_exportIds[0]']);
    const monitor = await addAccount(t, 'Monitor', 'monitor');
    const refused = await monitor.api('GET', '/v1/accesstokens');
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0].code).toBe('forbidden');
    expect((await monitor.api('POST', '/v1/accesstokens', { name: 'x' })).status).toBe(403);
    expect((await monitor.api('GET', '/v1/audit')).status).toBe(403);
  });

  it('limits a custom-scope token to its integrations: lists filtered, others 403, writes outside refused', async () => {
    const other = await t.api('POST', '/v1/integrations', { name: 'Other' });
    const otherFlow = await t.api('POST', '/v1/flows', { name: 'Other flow', _integrationId: other.body._id });
    const scoped = await t.api('POST', '/v1/accesstokens', { name: 'Scoped', scope: 'Custom', _integrationIds: [ids.integration] });
    expect(scoped.body).toMatchObject({ scope: 'Custom', _integrationIds: [ids.integration] });
    const api = asToken(t, scoped.body.token);
    expect((await api('GET', '/v1/tokenInfo')).body.scope).toBe('custom');
    const flows = await api('GET', '/v1/flows');
    expect(flows.body.map((f: any) => f._id)).toEqual([ids.flow]);
    expect((await api('GET', '/v1/integrations')).body.map((i: any) => i._id)).toEqual([ids.integration]);
    expect((await api('GET', `/v1/flows/${ids.flow}`)).status).toBe(200);
    const denied = await api('GET', `/v1/flows/${otherFlow.body._id}`);
    expect(denied.status).toBe(403);
    expect(denied.body.errors[0].code).toBe('forbidden');
    expect((await api('DELETE', `/v1/flows/${otherFlow.body._id}`)).status).toBe(403);
    expect((await api('POST', '/v1/flows', { name: 'no integration' })).status).toBe(403);
    expect((await api('POST', '/v1/flows', { name: 'inside', _integrationId: ids.integration })).status).toBe(201);
    expect((await api('PATCH', `/v1/exports/${ids.export}`, [{ op: 'replace', path: '/_integrationId', value: other.body._id }])).status).toBe(403);
    expect((await api('GET', '/v1/accesstokens')).status).toBe(403);
    expect((await api('GET', '/v1/stacks')).body).toEqual([]);
  });

  it('holds a custom-scope token to its integrations on every action route, not only CRUD', async () => {
    const other = await t.api('POST', '/v1/integrations', { name: 'Outside' });
    const outConn = (await t.api('POST', '/v1/connections', { name: 'Out', type: 'http', _integrationId: other.body._id, http: { baseURI: 'http://127.0.0.1:9' } })).body._id;
    const outExp = (await t.api('POST', '/v1/exports', { name: 'Out', adaptorType: 'HTTPExport', _connectionId: outConn, _integrationId: other.body._id, http: { relativeURI: '/x' } })).body._id;
    const outImp = (await t.api('POST', '/v1/imports', { name: 'Out', adaptorType: 'HTTPImport', _connectionId: outConn, _integrationId: other.body._id, http: { method: ['POST'], relativeURI: ['/p'] } })).body._id;
    const outFlow = (await t.api('POST', '/v1/flows', { name: 'Out', _integrationId: other.body._id, pageGenerators: [{ _exportId: outExp }], pageProcessors: [{ type: 'import', _importId: outImp }] })).body._id;
    const job = (await t.api('POST', `/v1/flows/${outFlow}/run`)).body._jobId;
    expect(job).toMatch(/^[0-9a-f]{24}$/);
    const scoped = await t.api('POST', '/v1/accesstokens', { name: 'Actions', scope: 'Custom', _integrationIds: [ids.integration] });
    const api = asToken(t, scoped.body.token);
    const outside: [string, string, unknown?][] = [
      ['POST', `/v1/flows/${outFlow}/run`],
      ['POST', `/v1/flows/${outFlow}/test`, {}],
      ['GET', `/v1/flows/${outFlow}/errors`],
      ['GET', `/v1/flows/${outFlow}/${outImp}/errors`],
      ['PUT', `/v1/flows/${outFlow}/${outImp}/resolved`, {}],
      ['POST', `/v1/flows/${outFlow}/${outImp}/retry`, {}],
      ['GET', `/v1/flows/${outFlow}/lastExportDateTime`],
      ['GET', `/v1/flows/${outFlow}/schedule`],
      ['GET', `/v1/flows/${outFlow}/jobs/latest`],
      ['POST', `/v1/flows/${outFlow}/clone`, {}],
      ['GET', `/v1/connections/${outConn}/ping`],
      ['POST', `/v1/connections/${outConn}/proxy`, undefined],
      ['POST', `/v1/exports/${outExp}/invoke`, {}],
      ['POST', `/v1/imports/${outImp}/mapping/preview`, { data: [{}] }],
      ['PUT', `/v1/exports/${outExp}/state/k`, { a: 1 }],
      ['GET', `/v1/connections/${outConn}/audit`],
      ['GET', `/v1/jobs/${job}`],
      ['GET', `/v1/jobs/${job}/family`],
      ['GET', `/v1/jobs/${job}/joberrors`],
      ['PUT', `/v1/jobs/${job}/cancel`],
      ['GET', `/v1/jobs?_flowId=${outFlow}`],
      ['GET', '/v1/jobs'],
      ['GET', '/v1/state'],
      ['PUT', '/v1/state/k', { a: 1 }],
      ['GET', '/v1/licenses'],
    ];
    for (const [method, path, body] of outside) {
      const res = await api(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.errors[0].code).toBe('forbidden');
    }
    expect((await t.api('GET', `/v1/jobs/${job}`)).body.status).not.toBe('canceled');
    // Inside its integration the same routes answer.
    expect((await api('GET', `/v1/flows/${ids.flow}/errors`)).status).toBe(200);
    expect((await api('GET', `/v1/flows/${ids.flow}/lastExportDateTime`)).status).toBe(200);
    expect((await api('GET', `/v1/jobs?_flowId=${ids.flow}`)).status).toBe(200);
    expect((await api('PUT', `/v1/exports/${ids.export}/state/k`, { a: 1 })).status).toBeLessThan(300);
    expect((await api('GET', `/v1/flows/${'0'.repeat(24)}/errors`)).status).toBe(404);
  });

  it('refuses, under a custom scope, documents that point at resources outside it (their data or credentials would leak)', async () => {
    const other = await t.api('POST', '/v1/integrations', { name: 'Elsewhere' });
    const outConn = (await t.api('POST', '/v1/connections', { name: 'Out', type: 'http', _integrationId: other.body._id, http: { baseURI: 'http://127.0.0.1:9' } })).body._id;
    const outExp = (await t.api('POST', '/v1/exports', { name: 'Out', adaptorType: 'HTTPExport', _connectionId: outConn, _integrationId: other.body._id, http: { relativeURI: '/x' } })).body._id;
    const scoped = await t.api('POST', '/v1/accesstokens', { name: 'Refs', scope: 'Custom', _integrationIds: [ids.integration] });
    const api = asToken(t, scoped.body.token);
    const borrowConn = await api('POST', '/v1/exports', { name: 'Borrow', adaptorType: 'HTTPExport', _integrationId: ids.integration, _connectionId: outConn, http: { relativeURI: '/x' } });
    expect(borrowConn.status).toBe(403);
    const borrowExp = await api('POST', '/v1/flows', { name: 'Borrow', _integrationId: ids.integration, pageGenerators: [{ _exportId: outExp }] });
    expect(borrowExp.status).toBe(403);
    expect((await api('PUT', `/v1/flows/${ids.flow}`, { name: 'Flow', _integrationId: ids.integration, pageGenerators: [{ _exportId: outExp }] })).status).toBe(403);
    expect((await api('PATCH', `/v1/exports/${ids.export}`, [{ op: 'replace', path: '/_connectionId', value: outConn }])).status).toBe(403);
    const clone = await api('POST', `/v1/flows/${ids.flow}/clone`, { connectionMap: { [ids.connection]: outConn } });
    expect(clone.status).toBe(403);
    expect(clone.body.errors[0].message).toContain('connectionMap');
    // Inside the integration the same shapes are fine.
    expect((await api('POST', '/v1/exports', { name: 'Inside', adaptorType: 'HTTPExport', _integrationId: ids.integration, _connectionId: ids.connection, http: { relativeURI: '/x' } })).status).toBe(201);
  });

  it('mints one-time tokens: usable until expired, read-only for DIY code, connector-scoped for apps, 15 minutes at most', async () => {
    const { accountId, userId } = t.app.owner;
    const store = t.app.services.store;
    const diy = await mintOneTimeToken(store, { accountId, userId, integrationId: ids.integration, purpose: 'hook preMap' });
    expect(diy.expiresAt - Date.now()).toBeLessThanOrEqual(ONE_TIME_TOKEN_TTL_MS);
    const api = asToken(t, diy.token);
    expect((await api('GET', `/v1/exports/${ids.export}`)).status).toBe(200);
    expect((await api('GET', `/v1/exports/${ids.export}`)).status).toBe(200);
    expect((await api('GET', `/v1/stacks/${ids.stack}`)).status).toBe(403);
    const write = await api('POST', '/v1/flows', { name: 'x', _integrationId: ids.integration });
    expect(write.status).toBe(403);
    expect((await api('GET', '/v1/accesstokens')).status).toBe(403);
    expect((await t.api('GET', '/v1/accesstokens')).body.map((x: any) => x._id)).not.toContain(diy.tokenId);
    await diy.expire();
    expect((await api('GET', `/v1/exports/${ids.export}`)).status).toBe(401);

    const app = await t.api('POST', '/v1/integrations', { name: 'Installed app', _connectorId: ids.connector });
    const connectorToken = await mintOneTimeToken(store, { accountId, userId, connectorId: ids.connector });
    const capi = asToken(t, connectorToken.token);
    expect((await capi('PUT', `/v1/integrations/${app.body._id}`, { name: 'Renamed', _connectorId: ids.connector })).status).toBe(200);
    expect((await capi('GET', `/v1/integrations/${ids.integration}`)).status).toBe(403);
    await connectorToken.expire();

    const stale = await mintOneTimeToken(store, { accountId, userId, integrationId: ids.integration }, Date.now() - ONE_TIME_TOKEN_TTL_MS - 1);
    expect((await asToken(t, stale.token)('GET', '/v1/tokenInfo')).status).toBe(401);
  });
});

describe.each(dialects)('rate limiting on %s', (dialect) => {
  let t: TestIntegrator;
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 429 with Retry-After and the envelope once the account bucket is empty; other accounts are not affected', async () => {
    const servers = [
      await buildServer({ services: t.app.services, rateLimit: { capacity: 5, perSecond: 0.5 } }),
      await buildServer({ services: t.app.services, rateLimit: { capacity: 5, perSecond: 0.5 } }),
    ];
    try {
      const headers = { authorization: `Bearer ${t.token}` };
      const statuses: number[] = [];
      // On PostgreSQL, alternate between two API "processes": they share one bucket row.
      // Embedded SQLite is one process: its bucket is in memory.
      const pick = (i: number) => servers[dialect === 'postgres' ? i % 2 : 0]!;
      for (let i = 0; i < 8; i++) statuses.push((await pick(i).inject({ method: 'GET', url: '/v1/flows', headers })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      const limited = await servers[0]!.inject({ method: 'GET', url: '/v1/flows', headers });
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.headers['content-type']).toMatch(/application\/json/);
      const body = limited.json();
      expect(body.errors[0].code).toBe('rate_limited');
      expect(body.errors[0].message).toMatch(/^Too many requests\. Retry after \d+ seconds?\.$/);
      const b = await addAccount(t, 'Other');
      expect((await servers[0]!.inject({ method: 'GET', url: '/v1/flows', headers: { authorization: `Bearer ${b.token}` } })).statusCode).toBe(200);
    } finally {
      for (const s of servers) await s.close();
    }
  });

  it('refills over time', async () => {
    const server = await buildServer({ services: t.app.services, rateLimit: { capacity: 2, perSecond: 20 } });
    try {
      const b = await addAccount(t, 'Refill');
      const headers = { authorization: `Bearer ${b.token}` };
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await server.inject({ method: 'GET', url: '/v1/tokenInfo', headers })).statusCode);
      expect(codes).toContain(429);
      await new Promise((r) => setTimeout(r, 200));
      expect((await server.inject({ method: 'GET', url: '/v1/tokenInfo', headers })).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});
