import { afterEach, describe, expect, it } from 'vitest';
import { adaptorForConnection, adaptorForExport, adaptorForImport } from '../registry.js';
import { openHttpSession } from './connection.js';
import { httpAdaptor } from './index.js';
import { collect, connectionDoc, fastClient, json, startServer, testContext, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const items = Array.from({ length: 250 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }));

/** 250 items, 50 per page, `Link: <…?page=n>; rel="next"` (relative on odd pages, absolute on even). */
async function linkServer(): Promise<TestServer> {
  const s: TestServer = await serve((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname !== '/api/items') return json(res, 404, { error: 'no route' });
    const page = Number(u.searchParams.get('page') ?? '1');
    const slice = items.slice((page - 1) * 50, page * 50);
    const headers: Record<string, string> = {};
    if (page * 50 < items.length) {
      const next = page % 2 ? `/api/items?page=${page + 1}` : `${s.url}/api/items?page=${page + 1}`;
      headers.link = `<${s.url}/api/items?page=1>; rel="first", <${next}>; rel="next"`;
    }
    json(res, 200, { data: slice }, headers);
  });
  return s;
}

describe('HTTP adaptor against a local server', () => {
  it('is registered for http connections, HTTPExport and HTTPImport', () => {
    expect(adaptorForConnection('http')).toBe(httpAdaptor);
    expect(adaptorForExport('HTTPExport')).toBe(httpAdaptor);
    expect(adaptorForImport('HTTPImport')).toBe(httpAdaptor);
  });

  it('follows Link headers through 250 items, re-chunked to the page size', async () => {
    const s = await linkServer();
    const session = await httpAdaptor.open(connectionDoc({ baseURI: `${s.url}/api` }));
    expect(session.exportPages).toBeDefined();
    try {
      const pages = await collect(
        session.exportPages!(
          { export: { _id: 'e1', http: { relativeURI: '/items', response: { resourcePath: 'data' }, paging: { method: 'linkheader' } } }, pageSize: 20 },
          testContext(),
        ),
      );
      const records = pages.flatMap((p) => p.records);
      expect(records.map((r) => r.id)).toEqual(items.map((i) => i.id));
      expect(pages.map((p) => p.records.length)).toEqual([...Array(12).fill(20), 10]);
      expect(pages.every((p) => !p.problems)).toBe(true);
      expect(s.requests.map((r) => r.url)).toEqual(['/api/items', ...[2, 3, 4, 5].map((n) => `/api/items?page=${n}`)]);
    } finally {
      await session.close();
    }
  });

  it('stops reading once the limit is reached', async () => {
    const s = await linkServer();
    const session = await openHttpSession(connectionDoc({ baseURI: `${s.url}/api` }));
    const pages = await collect(
      session.exportPages({ export: { _id: 'e1', http: { relativeURI: '/items', response: { resourcePath: 'data' }, paging: { method: 'linkheader' } } }, pageSize: 30, limit: 75 }, testContext()),
    );
    await session.close();
    expect(pages.flatMap((p) => p.records).length).toBe(75);
    expect(pages.map((p) => p.records.length)).toEqual([30, 30, 15]);
    expect(s.requests.length).toBe(2);
  });

  it('ends paging at a repeated next link, keeps the records read, and reports paging_loop', async () => {
    const s = await serve((req, res) => {
      const page = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? '1');
      // Page 3 points at itself for ever.
      const next = page < 3 ? page + 1 : 3;
      json(res, 200, items.slice((page - 1) * 50, page * 50), { link: `</items?page=${next}>; rel="next"` });
    });
    const session = await openHttpSession(connectionDoc({ baseURI: s.url }));
    const pages = await collect(
      session.exportPages({ export: { _id: 'e1', http: { relativeURI: '/items', paging: { method: 'linkheader' } } }, pageSize: 100 }, testContext()),
    );
    await session.close();
    expect(pages.flatMap((p) => p.records).length).toBe(150);
    const problems = pages.flatMap((p) => p.problems ?? []);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('paging_loop');
    expect(problems[0]!.message).toContain('repeated the next link');
    expect(problems[0]!.message).toContain(`${s.url}/items?page=3`);
    expect(s.requests.length).toBe(3);
  });

  it('reads a single object as one record and a bare array without resourcePath', async () => {
    const s = await serve((req, res) => (req.url === '/one' ? json(res, 200, { id: 7 }) : json(res, 200, [{ id: 1 }, { id: 2 }])));
    const session = await openHttpSession(connectionDoc({ baseURI: s.url }));
    const one = await collect(session.exportPages({ export: { _id: 'e', http: { relativeURI: '/one' } }, pageSize: 10 }, testContext()));
    const many = await collect(session.exportPages({ export: { _id: 'e', http: { relativeURI: '/many' } }, pageSize: 10 }, testContext()));
    await session.close();
    expect(one).toEqual([{ records: [{ id: 7 }] }]);
    expect(many).toEqual([{ records: [{ id: 1 }, { id: 2 }] }]);
  });

  it('renders the relative URI with the run data', async () => {
    const s = await serve((_req, res) => json(res, 200, []));
    const session = await openHttpSession(connectionDoc({ baseURI: s.url }));
    await collect(
      session.exportPages(
        { export: { _id: 'e', http: { relativeURI: '/orders?since={{lastExportDateTime}}&store={{settings.store}}' } }, pageSize: 10 },
        testContext({ lastExportDateTime: '2024-05-01T00:00:00.000Z', templateData: { settings: { store: 'a b' } } }),
      ),
    );
    await session.close();
    expect(s.requests[0]!.url).toBe('/orders?since=2024-05-01T00:00:00.000Z&store=a%20b');
  });

  it('imports records and reports one outcome per record, rejections included', async () => {
    let nextId = 100;
    const s = await serve((req, res) => {
      if (req.url.startsWith('/locked')) return json(res, 403, { message: 'forbidden' });
      const body = JSON.parse(req.body) as { email?: string };
      if (!body.email) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        return res.end(`  email is required for ${req.url}  `);
      }
      json(res, 201, { result: { key: `k${nextId}` }, id: nextId++ });
    });
    const session = await openHttpSession(connectionDoc({ baseURI: s.url }));
    const outcomes = await session.importRecords(
      {
        import: { _id: 'i1', http: { method: ['POST'], relativeURI: ['/customers?name={{record.name}}'] } },
        records: [{ name: 'ann', email: 'a@x' }, { name: 'bob' }, { name: 'cy', email: 'c@x' }],
      },
      testContext(),
    );
    expect(outcomes).toHaveLength(3);
    expect(outcomes[0]).toMatchObject({ statusCode: 200, id: 100, _json: { id: 100 } });
    expect(outcomes[1]).toEqual({
      statusCode: 422,
      errors: [{ code: '400', message: 'email is required for /customers?name=bob', source: 'application' }],
      _json: expect.anything(),
    });
    expect(outcomes[2]).toMatchObject({ statusCode: 200, id: 101 });
    expect(s.requests.map((r) => JSON.parse(r.body))).toEqual([{ name: 'ann', email: 'a@x' }, { name: 'bob' }, { name: 'cy', email: 'c@x' }]);

    const viaPath = await session.importRecords(
      { import: { _id: 'i2', http: { method: 'POST', relativeURI: '/c', response: { resourceIdPath: 'result.key' } } }, records: [{ email: 'z' }] },
      testContext(),
    );
    expect(viaPath[0]).toMatchObject({ statusCode: 200, id: 'k102' });

    const locked = await session.importRecords({ import: { _id: 'i3', http: { method: ['PUT'], relativeURI: ['/locked'] } }, records: [{ a: 1 }] }, testContext());
    expect(locked[0]).toMatchObject({ statusCode: 403, errors: [{ code: '403', source: 'application' }] });
    await session.close();
  });

  it('sends records in batches as a JSON array when batchSize > 1', async () => {
    const s = await serve((req, res) => json(res, 200, { ok: true, count: (JSON.parse(req.body) as unknown[]).length }));
    const session = await openHttpSession(connectionDoc({ baseURI: s.url }));
    const records = Array.from({ length: 5 }, (_, i) => ({ n: i }));
    const outcomes = await session.importRecords({ import: { _id: 'i', http: { method: ['POST'], relativeURI: ['/bulk'], batchSize: 2 } }, records }, testContext());
    await session.close();
    expect(outcomes.map((o) => o.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(s.requests.map((r) => JSON.parse(r.body))).toEqual([[{ n: 0 }, { n: 1 }], [{ n: 2 }, { n: 3 }], [{ n: 4 }]]);
  });
});

describe('HTTP connections', () => {
  it('sends basic auth, bearer tokens, custom headers and query tokens', async () => {
    const s = await serve((req, res) => json(res, 200, { headers: req.headers, url: req.url }));
    const ping = { relativeURI: '/me' };
    const cases = [
      { auth: { type: 'basic', basic: { username: 'u', password: 'p' } }, check: (h: any) => h.authorization === `Basic ${Buffer.from('u:p').toString('base64')}` },
      { auth: { type: 'token', token: { token: 't1' } }, check: (h: any) => h.authorization === 'Bearer t1' },
      { auth: { type: 'token', token: { token: 't2', headerName: 'X-Api-Key', scheme: 'None' } }, check: (h: any) => h['x-api-key'] === 't2' },
      { auth: { type: 'token', token: { token: 't3', location: 'url', paramName: 'api_key' } }, check: (_h: any, url: string) => url === '/me?api_key=t3' },
    ];
    for (const c of cases) {
      const session = await openHttpSession(connectionDoc({ baseURI: s.url, ping, auth: c.auth, headers: [{ name: 'X-Tenant', value: 'acme' }] }));
      await session.ping(testContext());
      await session.close();
      const last = s.requests[s.requests.length - 1]!;
      expect(c.check(last.headers, last.url)).toBe(true);
      expect(last.headers['x-tenant']).toBe('acme');
    }
  });

  it('fails a ping with the remote answer when credentials are refused', async () => {
    const s = await serve((_req, res) => json(res, 401, { message: 'bad token' }));
    const session = await openHttpSession(connectionDoc({ baseURI: s.url, ping: { relativeURI: '/me' }, auth: { type: 'token', token: { token: 'x' } } }));
    await expect(session.ping(testContext())).rejects.toThrow(/connecting to http:\/\/127\.0\.0\.1:\d+\/me: HTTP 401: .*bad token/);
    await session.close();
  });

  it('fails a ping to a silent host within its timeout, and to a closed port at once', async () => {
    const s = await serve(() => {
      // Never answers.
    });
    const session = await openHttpSession(connectionDoc({ baseURI: s.url, ping: { relativeURI: '/me', timeoutMs: 300 } }));
    const t0 = Date.now();
    await expect(session.ping(testContext())).rejects.toThrow(/no answer within/);
    expect(Date.now() - t0).toBeLessThan(3000);
    await session.close();

    const closed = await serve(() => {});
    const url = closed.url;
    await closed.close();
    const down = await openHttpSession(connectionDoc({ baseURI: url, ping: { relativeURI: '/me' } }), { client: fastClient });
    await expect(down.ping(testContext())).rejects.toThrow(/connecting to .*ECONNREFUSED/);
    await down.close();
  });
});

describe('per-connection governance across flows', () => {
  it('two exports sharing a connection limited to 5 requests/s never exceed it together', async () => {
    const s = await serve((req, res) => {
      const p = Number(new URL(req.url, 'http://x').searchParams.get('page'));
      json(res, 200, p < 8 ? [{ id: `${req.url}` }] : []);
    });
    const conn = connectionDoc({ baseURI: s.url, rateLimit: { limit: 200 } });
    const [a, b] = [await httpAdaptor.open(conn), await httpAdaptor.open(conn)];
    const read = (session: typeof a, path: string) =>
      collect(session.exportPages!({ export: { _id: path, http: { relativeURI: `${path}?page={{export.http.paging.page}}`, paging: { method: 'page' } } }, pageSize: 100 }, testContext()));
    const t0 = performance.now();
    const [pa, pb] = await Promise.all([read(a, '/a'), read(b, '/b')]);
    const elapsed = performance.now() - t0;
    await Promise.all([a.close(), b.close()]);

    expect(pa.flatMap((p) => p.records)).toHaveLength(8);
    expect(pb.flatMap((p) => p.records)).toHaveLength(8);
    const times = s.requests.map((r) => r.at).sort((x, y) => x - y);
    expect(times).toHaveLength(18);
    // Any one-second window on the server side holds at most 5 requests, less 50 ms of event-loop jitter
    // between the governor's start and the server's arrival on a loaded machine (unspaced, all would land at once).
    for (const start of times) expect(times.filter((t) => t >= start && t < start + 950).length).toBeLessThanOrEqual(5);
    expect(elapsed).toBeGreaterThanOrEqual(17 * 200 - 20);
  });

  it('concurrencyLevel caps requests in flight across sessions and inside an import page', async () => {
    let inFlight = 0;
    let max = 0;
    const s = await serve((_req, res) => {
      inFlight++;
      max = Math.max(max, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, { id: 1 });
      }, 30);
    });
    const conn = connectionDoc({ baseURI: s.url, concurrencyLevel: 2 });
    const sessions = await Promise.all([1, 2, 3].map(() => httpAdaptor.open(conn)));
    const records = Array.from({ length: 6 }, (_, i) => ({ i }));
    const outcomes = await Promise.all(sessions.map((x) => x.importRecords!({ import: { _id: 'i', http: { method: 'POST', relativeURI: '/c' } }, records }, testContext())));
    await Promise.all(sessions.map((x) => x.close()));
    expect(outcomes.flat().every((o) => o.statusCode === 200)).toBe(true);
    expect(s.requests).toHaveLength(18);
    expect(max).toBe(2);
  });
});
