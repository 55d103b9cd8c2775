import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionOf, seedResources } from './support/api-fixtures.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();
const families = Object.keys(collectionOf) as (keyof typeof collectionOf)[];
const envelope = (body: any) => {
  expect(Array.isArray(body.errors)).toBe(true);
  for (const e of body.errors) {
    expect(typeof e.code).toBe('string');
    expect(typeof e.message).toBe('string');
  }
  return body.errors as { code: string; message: string; field?: string }[];
};

describe.each(dialects)('resource CRUD conformance on %s', (dialect) => {
  let t: TestIntegrator;
  let ids: Awaited<ReturnType<typeof seedResources>>;
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
    ids = await seedResources(t.api);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it.each(families)('%s: list 200 array, get 200, replace 200, patch 204, unknown id 404', async (family) => {
    const path = `/v1/${collectionOf[family]}`;
    const id = ids[family];
    const list = await t.api('GET', path);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/application\/json/);
    expect(list.body.map((d: any) => d._id)).toContain(id);

    const got = await t.api('GET', `${path}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body._id).toBe(id);
    expect(got.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const replaced = await t.api('PUT', `${path}/${id}`, { ...got.body, name: `${got.body.name} v2` });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe(`${got.body.name} v2`);
    expect(replaced.body.createdAt).toBe(got.body.createdAt);

    const patched = await t.api('PATCH', `${path}/${id}`, [{ op: 'replace', path: '/name', value: 'Patched' }]);
    expect(patched.status).toBe(204);
    expect(patched.body).toBeUndefined();
    expect((await t.api('GET', `${path}/${id}`)).body.name).toBe('Patched');

    const missing = await t.api('GET', `${path}/0123456789abcdef01234567`);
    expect(missing.status).toBe(404);
    expect(envelope(missing.body)[0]!.code).toBe('not_found');
    expect((await t.api('PUT', `${path}/0123456789abcdef01234567`, got.body)).status).toBe(404);
    expect((await t.api('PATCH', `${path}/0123456789abcdef01234567`, [])).status).toBe(404);
    expect((await t.api('DELETE', `${path}/0123456789abcdef01234567`)).status).toBe(404);
    expect((await t.api('GET', `${path}/not-an-id`)).status).toBe(404);
  });

  it.each(families)('%s: unknown top-level field 422 naming it; wrong type 422; nothing stored', async (family) => {
    const path = `/v1/${collectionOf[family]}`;
    const before = (await t.api('GET', path)).body.length;
    const got = (await t.api('GET', `${path}/${ids[family]}`)).body;
    const unknown = await t.api('POST', path, { ...got, noSuchField: 1 });
    expect(unknown.status).toBe(422);
    expect(envelope(unknown.body)).toContainEqual(expect.objectContaining({ code: 'invalid_field', field: 'noSuchField' }));
    const wrongType = await t.api('POST', path, { ...got, name: 42 });
    expect(wrongType.status).toBe(422);
    expect(envelope(wrongType.body).map((e) => e.field)).toContain('name');
    const put = await t.api('PUT', `${path}/${ids[family]}`, { ...got, alsoUnknown: true });
    expect(put.status).toBe(422);
    expect(put.body.errors[0].field).toBe('alsoUnknown');
    expect((await t.api('GET', path)).body.length).toBe(before);
  });

  it('creates with 201 and deletes with 204 in every family (dependents first)', async () => {
    const fresh = await seedResources(t.api);
    for (const family of ['flow', 'import', 'export', 'connection', 'integration', 'connector', 'iClient', 'template', 'script', 'stack'] as const) {
      const del = await t.api('DELETE', `/v1/${collectionOf[family]}/${fresh[family]}`);
      expect(del.status, family).toBe(204);
      expect((await t.api('GET', `/v1/${collectionOf[family]}/${fresh[family]}`)).status).toBe(404);
    }
  });

  it('rejects unknown adaptor types, missing required fields and references to nothing', async () => {
    const conn = await t.api('POST', '/v1/connections', { name: 'x', type: 'gopher' });
    expect(conn.status).toBe(422);
    expect(conn.body.errors[0].field).toBe('type');
    const noBlock = await t.api('POST', '/v1/connections', { name: 'x', type: 'http' });
    expect(noBlock.body.errors[0]).toMatchObject({ code: 'missing_required_field', field: 'http' });
    const imp = await t.api('POST', '/v1/imports', { name: 'x', adaptorType: 'HTTPImport' });
    expect(imp.body.errors[0]).toMatchObject({ code: 'missing_required_field', field: '_connectionId' });
    const flow = await t.api('POST', '/v1/flows', { pageGenerators: [] });
    expect(flow.body.errors).toContainEqual(expect.objectContaining({ code: 'missing_required_field', field: 'name' }));
    const badRef = await t.api('POST', '/v1/flows', { name: 'x', pageGenerators: [{ _exportId: ids.import }] });
    expect(badRef.status).toBe(422);
    expect(badRef.body.errors[0].field).toBe('pageGenerators[0]._exportId');
    const nowhere = '0'.repeat(24);
    const twice = await t.api('POST', '/v1/flows', { name: 'x', pageGenerators: [{ _exportId: ids.export }], pageProcessors: [{ type: 'import', _importId: ids.import }, { type: 'import', _importId: ids.import }] });
    expect(twice.status).toBe(422);
    expect(twice.body.errors[0].field).toBe('pageProcessors[1]._importId');
    const nextFlows = await t.api('POST', '/v1/flows', { name: 'x', _runNextFlowIds: [ids.flow, nowhere] });
    expect(nextFlows.status).toBe(422);
    expect(nextFlows.body.errors.map((e: any) => e.field)).toEqual(['_runNextFlowIds[1]']);
    const borrow = await t.api('POST', '/v1/connections', { name: 'b', type: 'http', _borrowConcurrencyFromConnectionId: nowhere, http: { baseURI: 'http://127.0.0.1:9' } });
    expect(borrow.body.errors[0].field).toBe('_borrowConcurrencyFromConnectionId');
    const connector = await t.api('POST', '/v1/integrations', { name: 'i', _connectorId: nowhere });
    expect(connector.body.errors[0].field).toBe('_connectorId');
    const s3 = await t.api('POST', '/v1/connections', { name: 's3', type: 's3', s3: { region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b' } });
    const fileImport = (file: unknown) => t.api('POST', '/v1/imports', { name: 'f', adaptorType: 'S3Import', _connectionId: s3.body._id, s3: { bucket: 'b', fileKey: 'x.csv' }, file });
    expect((await fileImport({ type: 'bogus' })).body.errors[0].field).toBe('file.type');
    expect((await fileImport({ type: 'csv', skipAggregation: false })).status).toBe(201);
    expect((await fileImport({ type: 'csv', csv: { columnDelimiter: ';' } })).status).toBe(201);
    const stack = await t.api('POST', '/v1/stacks', { name: 's', type: 'server' });
    expect(stack.body.errors[0]).toMatchObject({ code: 'missing_required_field', field: 'server' });
    const script = await t.api('POST', '/v1/scripts', { name: 'x'.repeat(101) });
    expect(script.body.errors[0].field).toBe('name');
    const hookRef = await t.api('PUT', `/v1/exports/${ids.export}`, {
      name: 'E', adaptorType: 'HTTPExport', _connectionId: ids.connection, http: { relativeURI: '/x' }, hooks: { preSavePage: { function: 'f', _scriptId: ids.stack } },
    });
    expect(hookRef.body.errors[0].field).toBe('hooks.preSavePage._scriptId');
  });

  it('lets PATCH on flows touch only the patchable paths (422 otherwise)', async () => {
    const ok = await t.api('PATCH', `/v1/flows/${ids.flow}`, [
      { op: 'add', path: '/schedule', value: '? */5 * * * *' },
      { op: 'add', path: '/pageGenerators/0/skipRetries', value: true },
      { op: 'add', path: '/description', value: 'd' },
    ]);
    expect(ok.status).toBe(204);
    const flow = (await t.api('GET', `/v1/flows/${ids.flow}`)).body;
    expect(flow.pageGenerators[0].skipRetries).toBe(true);
    const refused = await t.api('PATCH', `/v1/flows/${ids.flow}`, [{ op: 'replace', path: '/pageGenerators/0/_exportId', value: ids.export }]);
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0]).toMatchObject({ code: 'invalid_field', field: '[0].path' });
    const badOp = await t.api('PATCH', `/v1/exports/${ids.export}`, [{ op: 'replace', path: '/nothing/here', value: 1 }]);
    expect(badOp.status).toBe(422);
    expect((await t.api('PATCH', `/v1/exports/${ids.export}`, { op: 'replace' })).status).toBe(422);
  });

  it('ignores read-only fields in bodies and erases omitted fields on PUT', async () => {
    const created = await t.api('POST', '/v1/integrations', { name: 'RO', description: 'd', _id: 'ffffffffffffffffffffffff', createdAt: '2000-01-01T00:00:00.000Z' });
    expect(created.status).toBe(201);
    expect(created.body._id).not.toBe('ffffffffffffffffffffffff');
    expect(created.body.createdAt).not.toBe('2000-01-01T00:00:00.000Z');
    const put = await t.api('PUT', `/v1/integrations/${created.body._id}`, { name: 'RO' });
    expect(put.body.description).toBeUndefined();
  });

  it('pages with limit and Link rel="next" until the last page, and caps limit at 1000', async () => {
    for (let i = 0; i < 5; i++) await t.api('POST', '/v1/templates', { name: `Page ${i}` });
    const seen: string[] = [];
    let next: string | undefined = '/v1/templates?limit=2';
    while (next) {
      const page: any = await t.api('GET', next);
      expect(page.status).toBe(200);
      seen.push(...page.body.map((d: any) => d._id));
      const link = page.headers.get('link');
      next = link ? new URL(/<([^>]+)>; rel="next"/.exec(link)![1]!).pathname + new URL(/<([^>]+)>/.exec(link)![1]!).search : undefined;
      if (next) expect(page.body).toHaveLength(2);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe((await t.api('GET', '/v1/templates')).body.length);
    expect([...seen].sort()).toEqual(seen);
    expect((await t.api('GET', '/v1/templates?limit=1001')).status).toBe(400);
    expect((await t.api('GET', '/v1/templates?limit=0')).body.errors[0].code).toBe('invalid_query');
    expect((await t.api('GET', '/v1/templates?after=zz')).status).toBe(400);
  });

  it('filters lists by field, ranges and sets, and projects with include or exclude', async () => {
    const byType = await t.api('GET', `/v1/exports?adaptorType=HTTPExport&_connectionId=${ids.connection}`);
    expect(byType.body.map((d: any) => d._id)).toContain(ids.export);
    expect((await t.api('GET', '/v1/exports?adaptorType=RDBMSExport')).body).toEqual([]);
    expect((await t.api('GET', '/v1/flows?disabled=true')).body.map((d: any) => d._id)).toContain(ids.flow);
    expect((await t.api('GET', '/v1/flows?disabled=false')).body.map((d: any) => d._id)).not.toContain(ids.flow);
    const set = await t.api('GET', `/v1/connectors?_id_in=${ids.connector}&_id_in=0123456789abcdef01234567`);
    expect(set.body.map((d: any) => d._id)).toEqual([ids.connector]);
    const indexed = await t.api('GET', `/v1/connectors?_id_in[0]=${ids.connector}`);
    expect(indexed.body).toHaveLength(1);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await t.api('GET', `/v1/scripts?createdAt_gte=${future}`)).body).toEqual([]);
    expect((await t.api('GET', `/v1/scripts?createdAt_lte=${future}`)).body.length).toBeGreaterThan(0);
    const included = await t.api('GET', `/v1/exports/?include=http.relativeURI&_id=${ids.export}`);
    expect(included.body[0]).toEqual({ _id: ids.export, name: expect.any(String), adaptorType: 'HTTPExport', http: { relativeURI: '/x' } });
    const excluded = await t.api('GET', `/v1/exports?exclude=http,_connectionId&_id=${ids.export}`);
    expect(excluded.body[0].http).toBeUndefined();
    expect(excluded.body[0].adaptorType).toBe('HTTPExport');
    const both = await t.api('GET', '/v1/exports?include=name&exclude=http');
    expect(both.status).toBe(400);
    expect(both.body.errors[0]).toMatchObject({ code: 'invalid_query_params', message: 'Please provide either include or exclude param in the request query and not both.' });
  });

  it('routes paths case-insensitively, with trailing slashes, and /template as /templates', async () => {
    for (const path of ['/v1/iclients', '/v1/ICLIENTS/', '/v1/iClients', `/v1/iclients/${ids.iClient}/`, '/v1/template', '/v1/Template/', `/v1/template/${ids.template}`]) {
      const r = await t.api('GET', path);
      expect(r.status, path).toBe(200);
    }
    const viaAlias = await t.api('POST', '/v1/template', { name: 'Via alias' });
    expect(viaAlias.status).toBe(201);
    expect((await t.api('GET', `/v1/templates/${viaAlias.body._id}`)).status).toBe(200);
  });

  it('answers action endpoints owned by later work with 501 and the envelope, never a fake success', async () => {
    const cases: [string, string][] = [
      ['POST', `/v1/connectors/${ids.connector}/install`],
      ['PUT', `/v1/integrations/${ids.integration}/installer/runStep`],
      ['PUT', `/v1/connectors/${ids.connector}/update`],
      ['POST', '/v1/integrations/template'],
      ['POST', `/v1/exports/${ids.export}/clone`],
    ];
    for (const [method, path] of cases) {
      const r = await t.api(method, path, {});
      expect(r.status, path).toBe(501);
      expect(envelope(r.body)[0]!.code).toBe('not_implemented');
    }
    expect((await fetch(`${t.app.url}/v1/connectors/${ids.connector}/install`, { method: 'POST' })).status).toBe(401);
  });

  it('documents every /v1 route in /v1/openapi.json and serves /docs', async () => {
    const doc = await t.api('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    // Adaptor blocks are documented field by field, not as free-form objects.
    const bodyOf = (path: string) => {
      const content = doc.body.paths[path].post.requestBody.content['application/json'].schema;
      return content.$ref ? doc.body.components.schemas[content.$ref.split('/').pop()] : content;
    };
    const connection = bodyOf('/v1/connections');
    expect(Object.keys(connection.properties.rdbms.properties)).toEqual(expect.arrayContaining(['type', 'host', 'database']));
    expect(Object.keys(connection.properties.http.properties)).toEqual(expect.arrayContaining(['baseURI', 'auth']));
    expect(Object.keys(bodyOf('/v1/exports').properties.http.properties)).toEqual(expect.arrayContaining(['relativeURI', 'paging']));
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p.replace(/\{[^}]+\}/g, ':p').toLowerCase().replace(/\/$/, '')}`);
    }
    // Every registered /v1 route (read from the router's tree) is documented, except the document itself
    // and the hidden spelling aliases.
    const registered: string[] = [];
    const stack: string[] = [];
    for (const line of t.app.server.printRoutes({ commonPrefix: false }).split('\n')) {
      const m = /^([│ ]*)[├└]── (.+?) \(([^)]+)\)$/.exec(line) ?? /^([│ ]*)[├└]── (.+)$/.exec(line);
      if (!m) continue;
      const depth = m[1]!.length / 4;
      stack.length = depth;
      stack.push(m[2]!);
      const methods = (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD');
      for (const method of methods) registered.push(`${method} ${stack.join('').replace(/\/$/, '')}`);
    }
    const v1 = registered.filter((r) => r.includes(' /v1/') && !/ \/v1\/(openapi\.json|template(\/:_id)?)$/.test(r));
    expect(v1.length).toBeGreaterThan(80);
    const key = (r: string) => { const [m, p] = r.split(' '); return `${m} ${p!.replace(/:[^/]+/g, ':p').toLowerCase()}`; };
    const undocumented = v1.filter((r) => !documented.has(key(r)));
    expect(undocumented).toEqual([]);
    for (const path of ['/v1/connections', '/v1/iClients/{_id}', '/v1/accesstokens', '/v1/audit', '/v1/exports/{_id}/distributed', '/v1/imports/{_id}/distributed', '/v1/flows/{_id}/clone', '/v1/connectors/{_id}/licenses', '/v1/stacks/{_id}/systemToken', '/v1/scripts', '/v1/templates']) {
      expect(Object.keys(doc.body.paths), path).toContain(path);
    }
    expect(documented.has('POST /v1/exports')).toBe(true);
    expect(doc.body.paths['/v1/exports'].post.requestBody).toBeDefined();
    const docs = await fetch(`${t.app.url}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
  });
});
