import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedResources } from './support/api-fixtures.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('configuration sub-resources, clone, licenses and audit on %s', (dialect) => {
  let t: TestIntegrator;
  let ids: Awaited<ReturnType<typeof seedResources>>;
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
    ids = await seedResources(t.api);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('stores and validates the distributed export configuration (seed schema)', async () => {
    const path = `/v1/exports/${ids.export}/distributed`;
    expect((await t.api('GET', path)).status).toBe(404);
    const seed = { recordType: 'salesorder', executionContext: ['userinterface', 'webservices', 'webstore'], qualifier: "['total', '>=', '1000']" };
    const put = await t.api('PUT', path, seed);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(seed);
    expect((await t.api('GET', path)).body).toEqual(seed);
    const bad = await t.api('PUT', path, { executionContext: ['nowhere'], extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['executionContext[0]', 'extra', 'recordType']);
    expect((await t.api('GET', path)).body).toEqual(seed);
    expect((await t.api('PUT', `/v1/exports/0123456789abcdef01234567/distributed`, seed)).status).toBe(404);
  });

  it('stores and validates the distributed import configuration with mapping lookups (seed schema)', async () => {
    const path = `/v1/imports/${ids.import}/distributed`;
    const seed = {
      recordType: 'customer',
      mapping: {
        fields: [
          { extract: 'campaign', generate: 'leadSource', lookup: 'lookup1' },
          { extract: 'company', generate: 'customer', lookup: 'lookup2' },
          { generate: 'transaction', lookup: 'lookup3' },
        ],
        lookups: {
          lookup1: { map: { key1: 'value1', key2: 'value2' }, allowFailures: '' },
          lookup2: { recordType: '', searchField: '', resultField: '', allowFailures: '', pickFirstMatch: '' },
          lookup3: { recordType: '', expression: "[['tranid', 'is', '{OrderNumber}']]", allowFailures: '', pickFirstMatch: '' },
        },
      },
    };
    const put = await t.api('PUT', path, seed);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect((await t.api('GET', path)).body).toEqual(seed);
    const bad = await t.api('PUT', path, { recordType: 'customer', mapping: { fields: [{ extract: 'x' }], lookups: { l: { allowFailures: 'maybe' } } } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(['mapping.fields[0].generate', 'mapping.lookups.l.allowFailures']));
  });

  it('clones a flow with its exports and imports through connectionMap', async () => {
    const target = await t.api('POST', '/v1/connections', { name: 'Target', type: 'http', http: { baseURI: 'http://127.0.0.1:10' } });
    const missing = await t.api('POST', `/v1/flows/${ids.flow}/clone`, { connectionMap: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0]).toMatchObject({ code: 'missing_required_field', field: `connectionMap.${ids.connection}` });
    const wrongTarget = await t.api('POST', `/v1/flows/${ids.flow}/clone`, { connectionMap: { [ids.connection]: ids.flow } });
    expect(wrongTarget.status).toBe(422);
    const before = (await t.api('GET', '/v1/exports')).body.length;
    expect((await t.api('GET', '/v1/exports')).body.length).toBe(before);

    const clone = await t.api('POST', `/v1/flows/${ids.flow}/clone`, { name: 'Copy', connectionMap: { [ids.connection]: target.body._id } });
    expect(clone.status).toBe(201);
    expect(clone.body.map((m: any) => m.model)).toEqual(['Flow', 'Export', 'Import']);
    const flow = (await t.api('GET', `/v1/flows/${clone.body[0]._id}`)).body;
    expect(flow.name).toBe('Copy');
    expect(flow.pageGenerators[0]._exportId).toBe(clone.body[1]._id);
    expect(flow.pageProcessors[0]._importId).toBe(clone.body[2]._id);
    const exp = (await t.api('GET', `/v1/exports/${clone.body[1]._id}`)).body;
    expect(exp._connectionId).toBe(target.body._id);
    expect(exp.apiIdentifier).not.toBe((await t.api('GET', `/v1/exports/${ids.export}`)).body.apiIdentifier);
    expect((await t.api('POST', '/v1/flows/0123456789abcdef01234567/clone', { connectionMap: {} })).status).toBe(404);
  });

  it('issues licenses to existing users only, under their connector', async () => {
    const base = `/v1/connectors/${ids.connector}/licenses`;
    const unknown = await t.api('POST', base, { email: 'nobody@example.com', expires: '2030-01-01T00:00:00.000Z' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0]).toMatchObject({
      code: 'invalid_user',
      message: 'We were not able to find any user with the provided email address. Please ask the user to first create an account.',
    });
    const noEmail = await t.api('POST', base, { expires: '2030-01-01T00:00:00.000Z' });
    expect(noEmail.body.errors[0]).toMatchObject({ code: 'missing_required_field', field: 'email' });
    const created = await t.api('POST', base, { email: 'owner@localhost', expires: '2030-01-01T00:00:00.000Z', opts: { connectorEdition: 'standard' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ _connectorId: ids.connector, user: { email: 'owner@localhost' }, opts: { connectorEdition: 'standard' } });
    expect(created.body.created).toMatch(/Z$/);
    expect(created.body.email).toBeUndefined();
    const id = created.body._id;
    expect((await t.api('GET', base)).body.map((l: any) => l._id)).toEqual([id]);
    expect((await t.api('GET', `${base}/${id}`)).status).toBe(200);
    const put = await t.api('PUT', `${base}/${id}`, { expires: '2031-01-01T00:00:00.000Z', user: { email: 'ignored' } });
    expect(put.status).toBe(200);
    expect(put.body.user.email).toBe('owner@localhost');
    expect((await t.api('GET', '/v1/licenses')).body.map((l: any) => l._id)).toContain(id);
    const otherConnector = await t.api('POST', '/v1/connectors', { name: 'Other' });
    expect((await t.api('GET', `/v1/connectors/${otherConnector.body._id}/licenses/${id}`)).status).toBe(404);
    expect((await t.api('DELETE', `/v1/connectors/${ids.connector}`)).body.errors[0].code).toBe('still_referenced');
    expect((await t.api('DELETE', `${base}/${id}`)).status).toBe(204);
    expect((await t.api('GET', `${base}/${id}`)).status).toBe(404);
  });

  it('keeps an audit trail of who changed what, with before and after, paged by Link', async () => {
    const created = await t.api('POST', '/v1/scripts', { name: 'Audited', content: 'a' });
    await t.api('PATCH', `/v1/scripts/${created.body._id}`, [{ op: 'replace', path: '/content', value: 'b' }]);
    await t.api('DELETE', `/v1/scripts/${created.body._id}`);
    const trail = await t.api('GET', `/v1/audit?_resourceId=${created.body._id}`);
    expect(trail.status).toBe(200);
    expect(trail.body.map((e: any) => e.action)).toEqual(['create', 'update', 'delete']);
    const [create, update, del] = trail.body;
    expect(create).toMatchObject({ resourceType: 'scripts', _resourceId: created.body._id, _byUserId: t.app.owner.userId, source: 'api' });
    expect(create.from).toBeUndefined();
    expect(update.from.content).toBe('a');
    expect(update.to.content).toBe('b');
    expect(del.to).toBeUndefined();
    expect(Date.parse(del.time)).toBeGreaterThan(0);
    const page = await t.api('GET', '/v1/audit?limit=2');
    expect(page.body).toHaveLength(2);
    expect(page.headers.get('link')).toMatch(/rel="next"/);
    const perResource = await t.api('GET', `/v1/exports/${ids.export}/audit`);
    expect(perResource.body[0]).toMatchObject({ action: 'create', _resourceId: ids.export });
    const distributed = perResource.body.find((e: any) => e.to?.distributed);
    expect(distributed).toBeDefined();
  });
});
