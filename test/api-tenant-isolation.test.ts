import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, collectionOf, seedResources, type Api } from './support/api-fixtures.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();
const families = Object.keys(collectionOf) as (keyof typeof collectionOf)[];

describe.each(dialects)('tenant isolation on %s', (dialect) => {
  let t: TestIntegrator;
  let a: Awaited<ReturnType<typeof seedResources>>;
  let b: Awaited<ReturnType<typeof seedResources>>;
  let bApi: Api;
  const aExtra: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
    a = await seedResources(t.api);
    const other = await addAccount(t, 'Tenant B');
    bApi = other.api;
    b = await seedResources(bApi);
    aExtra.license = (await t.api('POST', `/v1/connectors/${a.connector}/licenses`, { email: 'owner@localhost' })).body._id;
    aExtra.token = (await t.api('POST', '/v1/accesstokens', { name: 'A token' })).body._id;
    await t.api('PUT', `/v1/exports/${a.export}/distributed`, { recordType: 'salesorder' });
    await t.api('PUT', `/v1/imports/${a.import}/distributed`, { recordType: 'customer' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 404 for every one of A\'s ids used with B\'s token, on every endpoint, and changes nothing', async () => {
    const calls: [string, string, unknown?][] = [];
    for (const family of families) {
      const path = `/v1/${collectionOf[family]}/${a[family]}`;
      const body = (await t.api('GET', path)).body;
      calls.push(['GET', path], ['PUT', path, body], ['PATCH', path, [{ op: 'replace', path: '/name', value: 'B was here' }]], ['DELETE', path], ['GET', `${path}/audit`]);
    }
    calls.push(
      ['GET', `/v1/iclients/${a.iClient}`],
      ['GET', `/v1/template/${a.template}`],
      ['GET', `/v1/exports/${a.export}/distributed`],
      ['PUT', `/v1/exports/${a.export}/distributed`, { recordType: 'x' }],
      ['GET', `/v1/imports/${a.import}/distributed`],
      ['PUT', `/v1/imports/${a.import}/distributed`, { recordType: 'x' }],
      ['POST', `/v1/flows/${a.flow}/clone`, { connectionMap: { [a.connection]: b.connection } }],
      ['POST', `/v1/flows/${a.flow}/run`, {}],
      ['GET', `/v1/connectors/${a.connector}/licenses`],
      ['POST', `/v1/connectors/${a.connector}/licenses`, { email: 'owner@localhost' }],
      ['GET', `/v1/connectors/${a.connector}/licenses/${aExtra.license}`],
      ['PUT', `/v1/connectors/${a.connector}/licenses/${aExtra.license}`, {}],
      ['DELETE', `/v1/connectors/${a.connector}/licenses/${aExtra.license}`],
      ['GET', `/v1/connectors/${b.connector}/licenses/${aExtra.license}`],
      ['GET', `/v1/stacks/${a.stack}/systemToken`],
      ['GET', `/v1/accesstokens/${aExtra.token}`],
      ['PUT', `/v1/accesstokens/${aExtra.token}`, { name: 'B' }],
      ['DELETE', `/v1/accesstokens/${aExtra.token}`],
      ['POST', `/v1/accesstokens/${aExtra.token}/generate`],
    );
    for (const [method, path, body] of calls) {
      const r = await bApi(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.errors[0].code).toBe('not_found');
    }
    // Using A's resources from B's own documents is a reference to nothing.
    const ref = await bApi('POST', '/v1/exports', { name: 'x', adaptorType: 'HTTPExport', _connectionId: a.connection, http: { relativeURI: '/' } });
    expect(ref.status).toBe(422);
    expect(ref.body.errors[0].field).toBe('_connectionId');
    // A's data is untouched.
    for (const family of families) expect((await t.api('GET', `/v1/${collectionOf[family]}/${a[family]}`)).body.name).not.toBe('B was here');
    expect((await t.api('GET', `/v1/connectors/${a.connector}/licenses/${aExtra.license}`)).status).toBe(200);
    expect((await t.api('GET', `/v1/accesstokens/${aExtra.token}`)).status).toBe(200);
  });

  it('never lists another account\'s data', async () => {
    const aIds = new Set([...Object.values(a), ...Object.values(aExtra)]);
    const bIds = new Set(Object.values(b));
    const lists = [
      ...families.map((f) => `/v1/${collectionOf[f]}`),
      '/v1/iclients',
      '/v1/template',
      '/v1/licenses',
      '/v1/accesstokens',
      '/v1/audit',
      `/v1/exports?_connectionId=${a.connection}`,
      `/v1/flows?_integrationId=${a.integration}`,
      `/v1/connectors?_id_in=${a.connector}`,
      '/v1/exports?include=name',
    ];
    for (const path of lists) {
      const fromB = await bApi('GET', path);
      expect(fromB.status, path).toBe(200);
      const text = JSON.stringify(fromB.body);
      for (const id of aIds) expect(text.includes(id), `${path} shows ${id}`).toBe(false);
      const fromA = JSON.stringify((await t.api('GET', path)).body);
      for (const id of bIds) expect(fromA.includes(id), `${path} shows B's ${id} to A`).toBe(false);
    }
    const bFamilies = (await bApi('GET', '/v1/flows')).body.map((f: any) => f._id);
    expect(bFamilies).toEqual([b.flow]);
  });
});
