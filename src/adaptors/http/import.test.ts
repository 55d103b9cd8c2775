import { afterEach, describe, expect, it } from 'vitest';
import type { DataRecord } from '../adaptor.js';
import { openHttpSession, type HttpSession } from './connection.js';
import { connectionDoc, fastClient, json, startServer, testContext, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
const sessions: HttpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function setup(handler: Parameters<typeof startServer>[0], http: Record<string, unknown> = {}) {
  const server = await startServer(handler);
  servers.push(server);
  const session = await openHttpSession(connectionDoc({ baseURI: server.url, ...http }), { client: fastClient });
  sessions.push(session);
  return { server, session };
}
const importDoc = (http: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ _id: 'imp', http, ...rest });

describe('create, update, upsert', () => {
  it('PUTs records that carry the id and POSTs the others', async () => {
    let next = 500;
    const { server, session } = await setup((req, res) => {
      if (req.method === 'PUT') return json(res, 200, { id: Number(req.url.split('/').pop()), updated: true });
      json(res, 201, { id: next++ });
    });
    const out = await session.importRecords(
      {
        import: importDoc({ method: ['PUT', 'POST'], relativeURI: ['/customers/{{record.id}}', '/customers'], existingExtract: 'id' }),
        records: [{ id: 7, name: 'a' }, { name: 'b' }, { id: 9, name: 'c' }, { name: 'd' }],
      },
      testContext(),
    );
    expect(out.map((o) => [o.statusCode, o.id])).toEqual([
      [200, 7],
      [200, 500],
      [200, 9],
      [200, 501],
    ]);
    expect(server.requests.map((r) => `${r.method} ${r.url}`).sort()).toEqual(['POST /customers', 'POST /customers', 'PUT /customers/7', 'PUT /customers/9']);
  });

  it('ignoreExisting skips records that exist; ignoreMissing skips records that do not', async () => {
    const { server, session } = await setup((_req, res) => json(res, 200, { id: 1 }));
    const created = await session.importRecords(
      { import: importDoc({ method: ['POST'], relativeURI: ['/c'], existingExtract: 'ref' }, { ignoreExisting: true }), records: [{ ref: 'x' }, { name: 'new' }] },
      testContext(),
    );
    expect(created).toEqual([{ statusCode: 200, ignored: true }, { statusCode: 200, id: 1, _json: { id: 1 } }]);
    const updated = await session.importRecords(
      { import: importDoc({ method: ['PUT'], relativeURI: ['/c/{{record.ref}}'], existingExtract: 'ref' }, { ignoreMissing: true }), records: [{ ref: 'x' }, { name: 'new' }] },
      testContext(),
    );
    expect(updated[1]).toEqual({ statusCode: 200, ignored: true });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /c', 'PUT /c/x']);
  });

  it('decides create or update with a lookup (ignoreLookupName), exposing the found id', async () => {
    const { server, session } = await setup((req, res) => {
      if (req.method === 'GET') return json(res, 200, req.url.includes('known') ? [{ id: 42 }] : []);
      json(res, 200, { id: req.method === 'PUT' ? 42 : 43 });
    });
    const out = await session.importRecords(
      {
        import: importDoc(
          { method: ['PUT', 'POST'], relativeURI: ['/c/{{existingId}}', '/c'], ignoreLookupName: 'byEmail' },
          { lookups: [{ name: 'byEmail', relativeURI: '/c?email={email}', method: 'GET', extract: '0.id' }] },
        ),
        records: [{ email: 'known@x' }, { email: 'new@x' }],
      },
      testContext(),
    );
    expect(out.map((o) => o.id)).toEqual([42, 43]);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /c?email=known%40x', 'GET /c?email=new%40x', 'PUT /c/42', 'POST /c']);
  });
});

describe('batches', () => {
  it('attributes per-item results of a batch to the right records', async () => {
    const { server, session } = await setup((req, res) => {
      const batch = JSON.parse(req.body) as { sku?: string }[];
      json(res, 207, {
        results: batch.map((r, i) => (r.sku ? { id: `${r.sku}-id`, status: 201 } : { status: 400, errors: [{ code: 'missing_sku', message: `item ${i}: sku is required` }] })),
      });
    });
    const records: DataRecord[] = [{ sku: 'a' }, {}, { sku: 'c' }, { sku: 'd' }, {}];
    const out = await session.importRecords(
      { import: importDoc({ method: ['POST'], relativeURI: ['/bulk'], batchSize: 3, response: { resourcePath: 'results' } }), records },
      testContext(),
    );
    expect(out.map((o) => o.statusCode)).toEqual([200, 422, 200, 200, 422]);
    expect(out[0]!.id).toBe('a-id');
    expect(out[1]!.errors).toEqual([{ code: 'missing_sku', message: 'item 1: sku is required', source: 'application' }]);
    expect(out[4]!.errors![0]!.message).toBe('item 1: sku is required');
    expect(server.requests.map((r) => (JSON.parse(r.body) as unknown[]).length)).toEqual([3, 2]);
  });

  it('renders body templates with batch_of_records', async () => {
    const { server, session } = await setup((_req, res) => json(res, 200, { ok: true }));
    const body = '{"items":[{{#each batch_of_records}}{{#if @index}},{{/if}}{"n":"{{record.name}}"}{{/each}}],"by":"{{settings.user}}"}';
    const out = await session.importRecords(
      { import: importDoc({ method: ['POST'], relativeURI: ['/b'], batchSize: 2, body: [body] }), records: [{ name: 'x' }, { name: 'y' }, { name: 'z' }] },
      testContext({ templateData: { settings: { user: 'me' } } }),
    );
    expect(out.every((o) => o.statusCode === 200)).toBe(true);
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([
      { items: [{ n: 'x' }, { n: 'y' }], by: 'me' },
      { items: [{ n: 'z' }], by: 'me' },
    ]);
  });
});

describe('failures', () => {
  it('a 2xx that the response rules call a failure is a data error with the errorPath message', async () => {
    const { session } = await setup((req, res) => json(res, 200, JSON.parse(req.body).dup ? { success: false, error: { msg: 'duplicate' } } : { success: true, id: 3 }));
    const out = await session.importRecords(
      {
        import: importDoc({ method: 'POST', relativeURI: '/c', response: { successPath: 'success', successValues: ['true'], errorPath: 'error.msg' } }),
        records: [{ dup: true }, { dup: false }],
      },
      testContext(),
    );
    expect(out[0]).toMatchObject({ statusCode: 422, errors: [{ message: 'duplicate', source: 'application' }] });
    expect(out[1]).toMatchObject({ statusCode: 200, id: 3 });
  });

  it('keeps the remote text to 1000 characters; a 5xx is not repeated for a POST', async () => {
    const { server, session } = await setup((req, res) => {
      res.writeHead(req.url === '/long' ? 400 : 500, { 'content-type': 'text/plain' });
      res.end('e'.repeat(3000));
    });
    const [long] = await session.importRecords({ import: importDoc({ method: 'POST', relativeURI: '/long' }), records: [{}] }, testContext());
    expect(long!.errors![0]!.message).toHaveLength(1000);
    const [down] = await session.importRecords({ import: importDoc({ method: 'POST', relativeURI: '/down' }), records: [{}] }, testContext());
    expect(down).toMatchObject({ statusCode: 500, errors: [{ code: '500' }] });
    expect(server.requests).toHaveLength(2);
  });

  it('a request without an answer fails its records; a page where nothing got through throws', async () => {
    const { server, session } = await setup((_req, res) => json(res, 200, { id: 1 }));
    // Requests carrying "drop" lose their connection before any answer.
    server.server.on('request', (req) => {
      req.on('data', (c: Buffer) => {
        if (c.toString().includes('"drop"')) req.socket.destroy();
      });
    });
    const out = await session.importRecords({ import: importDoc({ method: 'POST', relativeURI: '/c' }), records: [{ a: 1 }, { drop: true }] }, testContext());
    expect(out[0]).toMatchObject({ statusCode: 200 });
    expect(out[1]).toMatchObject({ statusCode: 503, errors: [{ code: 'network', source: 'connection' }] });
    await expect(session.importRecords({ import: importDoc({ method: 'POST', relativeURI: '/c' }), records: [{ drop: true }] }, testContext())).rejects.toThrow(
      /importing a page of 1 records: POST .*\/c: /,
    );
  });

  it('in test mode sends nothing and shows the request it would make', async () => {
    const { server, session } = await setup((_req, res) => json(res, 200, {}));
    const out = await session.importRecords({ import: importDoc({ method: 'POST', relativeURI: '/c/{{record.k}}' }), records: [{ k: 'v' }] }, testContext({ testMode: true }));
    expect(out[0]).toEqual({ statusCode: 200, ignored: true, _json: { testMode: true, method: 'POST', url: `${server.url}/c/v`, headers: { 'content-type': 'application/json' }, body: '{"k":"v"}' } });
    expect(server.requests).toHaveLength(0);
  });
});
