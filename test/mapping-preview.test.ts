import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

// The Mapping section of the seed (seeds/000_2221535d203d3c78.txt), example by example: mapping, input, output.
const contact = { first: 'John', last: 'Hancock', age: '43', isLocal: 'true' };
const issue = { id: 10002, name: 'unable to login', message: 'User forgot his password. Their password has been reset.', userId: 12345 };
const seedExamples = [
  {
    name: 'example-mapping-1',
    mapping: { name: 'example-mapping-1', fields: [{ extract: 'first', generate: 'firstName' }, { extract: 'last', generate: 'lastName' }] },
    input: contact,
    output: { firstName: 'John', lastName: 'Hancock' },
  },
  {
    name: 'example-mapping-2',
    mapping: {
      name: 'example-mapping-2',
      fields: [
        { extract: 'first', generate: 'contact.firstName' },
        { extract: 'last', generate: 'contact.lastName' },
        { extract: 'age', generate: 'contact.age', dataType: 'number' },
        { extract: 'isLocal', generate: 'isLocal', dataType: 'boolean' },
        { generate: 'isNew', hardCodedValue: true },
      ],
    },
    input: contact,
    output: { isNew: true, isLocal: true, contact: { firstName: 'John', lastName: 'Hancock', age: 43 } },
  },
  {
    name: 'example-mapping-3',
    mapping: {
      name: 'example-mapping-3',
      fields: [
        { extract: 'Issue-{id}: *{name}*  {message}', generate: 'message' },
        { extract: 'first', generate: 'contact.firstName' },
      ],
    },
    input: issue,
    output: { message: 'Issue-10002: *unable to login*  User forgot his password. Their password has been reset.' },
  },
  { name: 'no mapping: the record passes unchanged', mapping: {}, input: contact, output: contact },
];

describe.each(dialects)('mapping preview on %s', (dialect) => {
  let t: TestIntegrator;
  let remote: LocalServer;
  let connectionId: string;
  let lookupCalls = 0;

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
    // The import's application: answers customer searches; refuses every write (a preview must not write).
    remote = await startHttpServer((req, _body, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && url.pathname === '/customers') {
        lookupCalls++;
        const email = url.searchParams.get('email');
        res.end(JSON.stringify(email === 'ann@example.com' ? [{ id: 'C-1' }] : []));
        return;
      }
      res.statusCode = 500;
      res.end(JSON.stringify({ error: 'unexpected write' }));
    });
    const conn = await t.api('POST', '/v1/connections', { name: 'CRM', type: 'http', http: { baseURI: remote.url } });
    expect(conn.status).toBe(201);
    connectionId = conn.body._id;
  });
  afterAll(async () => {
    await t?.stop();
    await remote?.close();
  });

  const createImport = (mapping: unknown, extra: Record<string, unknown> = {}) =>
    t.api('POST', '/v1/imports', {
      name: 'Customers',
      adaptorType: 'HTTPImport',
      _connectionId: connectionId,
      http: { method: ['POST'], relativeURI: ['/customers'] },
      mapping,
      ...extra,
    });

  for (const example of seedExamples) {
    it(`POST /v1/mappings/preview gives the seed's document: ${example.name}`, async () => {
      const res = await t.api('POST', '/v1/mappings/preview', { mapping: example.mapping, data: [example.input] });
      expect(res.status).toBe(200);
      expect(res.body).toStrictEqual({ data: [example.output], errors: [] });
    });

    it(`POST /v1/imports/:id/mapping/preview gives the seed's document: ${example.name}`, async () => {
      const created = await createImport(example.mapping);
      expect(created.status).toBe(201);
      const res = await t.api('POST', `/v1/imports/${created.body._id}/mapping/preview`, { data: [example.input] });
      expect(res.status).toBe(200);
      expect(res.body).toStrictEqual({ data: [example.output], errors: [] });
    });
  }

  it('lists record errors by input index, with lookups keyed by name in mapping.lookups (the seed form)', async () => {
    const res = await t.api('POST', '/v1/mappings/preview', {
      mapping: {
        fields: [
          { extract: 'campaign', generate: 'leadSource', lookup: 'lookup1' },
          { extract: 'first', generate: 'firstName' },
        ],
        lookups: { lookup1: { map: { key1: 'value1', key2: 'value2' }, allowFailures: '' } },
      },
      data: [{ campaign: 'key2', first: 'A' }, { campaign: 'key9', first: 'B' }, 'not a record'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      data: [{ leadSource: 'value2', firstName: 'A' }],
      errors: [
        { index: 1, code: 'lookup_failed', message: 'lookup "lookup1": no match for "key9"', field: 'leadSource' },
        { index: 2, code: 'invalid_record', message: 'mapping a record: a record must be a JSON object' },
      ],
    });
  });

  it('answers bad input with 400/422 naming the field', async () => {
    const noMapping = await t.api('POST', '/v1/mappings/preview', { data: [] });
    expect(noMapping.status).toBe(422);
    expect(noMapping.body.errors).toEqual([{ code: 'missing_required_field', field: 'mapping', message: expect.any(String) }]);
    const badData = await t.api('POST', '/v1/mappings/preview', { mapping: {}, data: 'x' });
    expect(badData.status).toBe(422);
    expect(badData.body.errors[0].field).toBe('data');
    const noData = await t.api('POST', '/v1/mappings/preview', { mapping: {} });
    expect(noData.body.errors[0]).toMatchObject({ code: 'missing_required_field', field: 'data' });
    const notObject = await t.api('POST', '/v1/mappings/preview', [1, 2]);
    expect(notObject.status).toBe(422);
    expect(notObject.body.errors[0].field).toBe('(body)');
    const notJson = await t.api('POST', '/v1/mappings/preview', '{"mapping":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors[0].code).toBe('invalid_json');
    const badMapping = await t.api('POST', '/v1/mappings/preview', {
      mapping: { fields: [{ extract: 'a', generate: 'a' }, { extract: 'b', generate: '' }, { extract: '{x', generate: 'c' }] },
      data: [],
    });
    expect(badMapping.status).toBe(422);
    expect(badMapping.body.errors.map((e: { field: string }) => e.field)).toEqual(['mapping.fields[1].generate', 'mapping.fields[2].extract']);
    const unknownImport = await t.api('POST', '/v1/imports/0123456789abcdef01234567/mapping/preview', { data: [] });
    expect(unknownImport.status).toBe(404);
    expect((await t.api('POST', '/v1/mappings/preview', { mapping: {}, data: [] }, { authorization: 'Bearer nope-nope-nope-nope' })).status).toBe(401);
  });

  it("import preview: dynamic lookups search the import's application in test mode, writing nothing", async () => {
    const created = await createImport(
      { fields: [{ extract: 'email', generate: 'customerId', lookupName: 'customer' }, { extract: 'name', generate: 'name' }] },
      { lookups: [{ name: 'customer', relativeURI: '/customers?email={email}', method: 'GET', extract: '0.id' }] },
    );
    expect(created.status).toBe(201);
    const before = remote.requests.length;
    lookupCalls = 0;
    const res = await t.api('POST', `/v1/imports/${created.body._id}/mapping/preview`, {
      data: [{ email: 'ann@example.com', name: 'Ann' }, { email: 'bob@example.com', name: 'Bob' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toStrictEqual([{ customerId: 'C-1', name: 'Ann' }]);
    expect(res.body.errors).toMatchObject([{ index: 1, code: 'lookup_failed', field: 'customerId' }]);
    expect(lookupCalls).toBe(2);
    // Only the two lookup GETs reached the application: nothing was written.
    expect(remote.requests.slice(before).map((r) => r.method)).toEqual(['GET', 'GET']);
  });

  it('maps through a saved import with /map and /invoke (bare array or {data}), and through a virtual import on a connection', async () => {
    const created = await createImport(
      { fields: [{ extract: 'email', generate: 'customerId', lookupName: 'customer' }, { extract: 'name', generate: 'name' }] },
      { lookups: [{ name: 'customer', relativeURI: '/customers?email={email}', method: 'GET', extract: '0.id' }] },
    );
    const before = remote.requests.length;
    for (const action of ['map', 'invoke']) {
      const bare = await t.api('POST', `/v1/imports/${created.body._id}/${action}`, [{ email: 'ann@example.com', name: 'Ann' }]);
      expect(bare.status, action).toBe(200);
      expect(bare.body).toStrictEqual({ data: [{ customerId: 'C-1', name: 'Ann' }], errors: [] });
      const wrapped = await t.api('POST', `/v1/imports/${created.body._id}/${action}`, { data: [{ name: 'No email' }] });
      expect(wrapped.body.errors[0]).toMatchObject({ index: 0, code: 'lookup_failed' });
    }
    expect(remote.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    const virtual = await t.api('POST', `/v1/connections/${connectionId}/import/map`, {
      import: { mapping: { fields: [{ extract: 'email', generate: 'id', lookupName: 'c' }] }, lookups: [{ name: 'c', relativeURI: '/customers?email={email}', extract: '0.id' }] },
      data: [{ email: 'ann@example.com' }],
    });
    expect(virtual.status).toBe(200);
    expect(virtual.body.data).toStrictEqual([{ id: 'C-1' }]);
    const invalid = await t.api('POST', `/v1/connections/${connectionId}/import/map`, { import: { mapping: { fields: [{ extract: 'a', generate: '' }] } }, data: [] });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0].field).toBe('mapping.fields[0].generate');
    expect((await t.api('POST', `/v1/connections/${connectionId}/import/map`, { data: [] })).body.errors[0].field).toBe('import');
    expect((await t.api('POST', `/v1/imports/${'0'.repeat(24)}/map`, [])).status).toBe(404);
    const mapper2 = await createImport(undefined, { mappings: [{ generate: 'x', extract: '$.a' }] });
    expect(mapper2.status).toBe(422);
    expect(mapper2.body.errors[0].field).toBe('mappings');
  });

  describe('an invalid mapping is refused when an import is saved', () => {
    const invalid: Array<[string, unknown, string]> = [
      ['an empty generate', { fields: [{ extract: 'a', generate: 'a' }, { extract: 'b', generate: 'b' }, { extract: 'c', generate: '' }] }, 'mapping.fields[2].generate'],
      ['two rules generating conflicting paths', { fields: [{ extract: 'a', generate: 'contact' }, { extract: 'b', generate: 'contact.name' }] }, 'mapping.fields[1].generate'],
      ['an unknown lookupName', { fields: [{ extract: 'a', generate: 'a' }, { extract: 'b', generate: 'b', lookupName: 'nowhere' }] }, 'mapping.fields[1].lookupName'],
      ['a malformed template', { fields: [{ extract: 'Issue-{id', generate: 'message' }] }, 'mapping.fields[0].extract'],
    ];

    for (const [what, mapping, field] of invalid) {
      it(`on create: ${what} -> 422 ${field}`, async () => {
        const res = await createImport(mapping);
        expect(res.status).toBe(422);
        expect(res.body.errors).toEqual([{ code: 'invalid_field', field, message: expect.any(String) }]);
      });
    }

    it('on replace (PUT) and patch (PATCH), and the stored import stays as it was', async () => {
      const good = { fields: [{ extract: 'a', generate: 'a' }] };
      const created = await createImport(good);
      expect(created.status).toBe(201);
      const id = created.body._id;
      const put = await t.api('PUT', `/v1/imports/${id}`, { ...created.body, mapping: { fields: [{ extract: 'a', generate: 'x' }, { extract: 'b', generate: 'x.y' }] } });
      expect(put.status).toBe(422);
      expect(put.body.errors[0].field).toBe('mapping.fields[1].generate');
      const patch = await t.api('PATCH', `/v1/imports/${id}`, [{ op: 'add', path: '/mapping/fields/-', value: { extract: 'b', lookupName: 'missing', generate: 'b' } }]);
      expect(patch.status).toBe(422);
      expect(patch.body.errors[0]).toMatchObject({ code: 'invalid_field', field: 'mapping.fields[1].lookupName' });
      expect((await t.api('GET', `/v1/imports/${id}`)).body.mapping).toEqual(good);
      const fixed = await t.api('PATCH', `/v1/imports/${id}`, [{ op: 'add', path: '/mapping/fields/-', value: { extract: 'b', generate: 'b' } }]);
      expect(fixed.status).toBe(204);
    });

    it('an unknown lookup in the import-level lookups[] is named too', async () => {
      const res = await createImport({ fields: [{ extract: 'a', generate: 'a' }] }, { lookups: [{ name: 'x', map: 'not an object' }] });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('lookups[0].map');
    });
  });
});
