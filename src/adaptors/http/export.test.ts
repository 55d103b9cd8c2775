import { afterEach, describe, expect, it } from 'vitest';
import type { ExportPage } from '../adaptor.js';
import { openHttpSession, type HttpSession } from './connection.js';
import { collect, connectionDoc, fastClient, json, startServer, testContext, type TestServer } from './test-support.js';

const ITEMS = Array.from({ length: 120 }, (_, i) => ({ id: i + 1 }));
const PER = 50;

const servers: TestServer[] = [];
const sessions: HttpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(handler: Parameters<typeof startServer>[0]) {
  const server = await startServer(handler);
  servers.push(server);
  const session = await openHttpSession(connectionDoc({ baseURI: server.url }), { client: fastClient });
  sessions.push(session);
  return { server, session };
}

async function run(session: HttpSession, http: Record<string, unknown>, opts: { pageSize?: number; limit?: number; exp?: Record<string, unknown>; ctx?: Parameters<typeof testContext>[0] } = {}) {
  const pages = await collect(session.exportPages({ export: { _id: 'exp', http, ...opts.exp }, pageSize: opts.pageSize ?? 1000, limit: opts.limit }, testContext(opts.ctx)));
  return { pages, ids: pages.flatMap((p) => p.records.map((r) => r.id)), problems: pages.flatMap((p) => p.problems ?? []) };
}

const all = ITEMS.map((i) => i.id);
const q = (url: string) => new URL(url, 'http://x').searchParams;

describe('paging methods', () => {
  it('page: a page-number parameter, ending on an empty page', async () => {
    const { server, session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      json(res, 200, { items: ITEMS.slice((p - 1) * PER, p * PER) });
    });
    const { ids } = await run(session, { relativeURI: '/items?page={{export.http.paging.page}}', response: { resourcePath: 'items' }, paging: { method: 'page', page: 1 } });
    expect(ids).toEqual(all);
    expect(server.requests.map((r) => r.url)).toEqual(['/items?page=1', '/items?page=2', '/items?page=3', '/items?page=4']);
  });

  it('page: maxPagePath ends paging without the extra request; a 404 past the end counts as the end', async () => {
    const { server, session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      if (p > 2) return json(res, 404, { error: 'no such page' });
      json(res, 200, { items: ITEMS.slice(p * PER, (p + 1) * PER), pages: 3 });
    });
    const withMax = await run(session, { relativeURI: '/i?page={{export.http.paging.page}}', response: { resourcePath: 'items' }, paging: { method: 'page', maxPagePath: 'pages' } });
    expect(withMax.ids).toEqual(all);
    expect(server.requests).toHaveLength(3);
    const with404 = await run(session, { relativeURI: '/i?page={{export.http.paging.page}}', response: { resourcePath: 'items' }, paging: { method: 'page' } });
    expect(with404.ids).toEqual(all);
    expect(server.requests).toHaveLength(7);
  });

  it('a 404 on the first page is an error; lastPageStatusCode replaces the 404 rule', async () => {
    const { session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page') ?? 0);
      if (req.url.startsWith('/missing')) return json(res, 404, { error: 'route not found' });
      if (p > 0) return json(res, 400, { error: 'page out of range' });
      json(res, 200, ITEMS.slice(0, 10));
    });
    await expect(run(session, { relativeURI: '/missing' })).rejects.toThrow(/exporting from GET http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404: .*route not found/);
    const { ids } = await run(session, { relativeURI: '/i?page={{export.http.paging.page}}', paging: { method: 'page', lastPageStatusCode: 400 } });
    expect(ids).toHaveLength(10);
  });

  it('skip: an offset that grows by the records read; maxCountPath ends it', async () => {
    const { server, session } = await setup((req, res) => {
      const off = Number(q(req.url).get('offset'));
      json(res, 200, { total: ITEMS.length, rows: ITEMS.slice(off, off + PER) });
    });
    const { ids } = await run(session, { relativeURI: '/i?offset={{export.http.paging.skip}}', response: { resourcePath: 'rows' }, paging: { method: 'skip', maxCountPath: 'total' } });
    expect(ids).toEqual(all);
    expect(server.requests.map((r) => q(r.url).get('offset'))).toEqual(['0', '50', '100']);
  });

  it('token: a continuation token from the body or a header', async () => {
    const { server, session } = await setup((req, res) => {
      const cursor = Number(q(req.url).get('cursor') || 0);
      const next = cursor + PER < ITEMS.length ? String(cursor + PER) : null;
      if (req.url.startsWith('/h')) return json(res, 200, ITEMS.slice(cursor, cursor + PER), next ? { 'x-next': next } : {});
      json(res, 200, { data: ITEMS.slice(cursor, cursor + PER), meta: { next } });
    });
    const uri = (p: string) => `${p}{{#if export.http.paging.token}}?cursor={{export.http.paging.token}}{{/if}}`;
    const body = await run(session, { relativeURI: uri('/b'), response: { resourcePath: 'data' }, paging: { method: 'token', path: 'meta.next' } });
    expect(body.ids).toEqual(all);
    const header = await run(session, { relativeURI: uri('/h'), paging: { method: 'token', path: 'X-Next', pathLocation: 'header' } });
    expect(header.ids).toEqual(all);
    expect(server.requests.map((r) => r.url)).toEqual(['/b', '/b?cursor=50', '/b?cursor=100', '/h', '/h?cursor=50', '/h?cursor=100']);
  });

  it('token: a repeated token stops paging with a problem', async () => {
    const { session } = await setup((req, res) => {
      const cursor = Number(q(req.url).get('cursor') || 0);
      json(res, 200, { data: ITEMS.slice(cursor, cursor + PER), next: cursor === 0 ? 'A' : 'A' });
    });
    const { ids, problems } = await run(session, { relativeURI: '/t?cursor={{#if export.http.paging.token}}50{{/if}}', response: { resourcePath: 'data' }, paging: { method: 'token', path: 'next' } });
    expect(ids).toEqual(all.slice(0, 100));
    expect(problems).toEqual([{ code: 'paging_loop', message: expect.stringContaining('repeated the paging token "A"') }]);
  });

  it('url: the next URL from the body, relative or absolute', async () => {
    const { server, session } = await setup((req, res) => {
      const p = Number(q(req.url).get('p') ?? 0);
      const next = (p + 1) * PER < ITEMS.length ? (p % 2 ? `${server.url}/u?p=${p + 1}` : `/u?p=${p + 1}`) : undefined;
      json(res, 200, { records: ITEMS.slice(p * PER, (p + 1) * PER), links: { next } });
    });
    const { ids } = await run(session, { relativeURI: '/u', response: { resourcePath: 'records' }, paging: { method: 'url', path: 'links.next' } });
    expect(ids).toEqual(all);
  });

  it('url: a next URL seen before stops paging with a problem', async () => {
    const { session } = await setup((req, res) => {
      const p = Number(q(req.url).get('p') ?? 0);
      json(res, 200, { records: ITEMS.slice(p * PER, (p + 1) * PER), next: '/u?p=1' });
    });
    const { ids, problems } = await run(session, { relativeURI: '/u', response: { resourcePath: 'records' }, paging: { method: 'url', path: 'next' } });
    expect(ids).toEqual(all.slice(0, 100));
    expect(problems[0]!.message).toMatch(/repeated the next-page URL http:\/\/127\.0\.0\.1:\d+\/u\?p=1/);
  });

  it('a next-page link or URL to another origin is refused: the connection auth never leaves its host', async () => {
    const other = await startServer((_req, res) => json(res, 200, [{ id: 999 }]));
    servers.push(other);
    const elsewhere = other.url.replace('127.0.0.1', 'localhost');
    const server = await startServer((req, res) => {
      if (req.url.startsWith('/link')) return json(res, 200, [{ id: 1 }], { link: `<${elsewhere}/steal?p=2>; rel="next"` });
      if (req.url.startsWith('/body')) return json(res, 200, { items: [{ id: 1 }], next: `${elsewhere}/steal?p=2` });
      if (req.url.startsWith('/same')) return json(res, 200, { items: [{ id: 1 }], next: q(req.url).get('p') ? null : `${server.url}/same?p=2` });
      json(res, 404, {});
    });
    servers.push(server);
    const session = await openHttpSession(connectionDoc({ baseURI: server.url, auth: { type: 'token', token: { token: 'T-SECRET' } } }), { client: fastClient });
    sessions.push(session);
    await expect(run(session, { relativeURI: '/link', paging: { method: 'linkheader' } })).rejects.toThrow(
      /paging stopped: the next page is on http:\/\/localhost:\d+, not on the connection's http:\/\/127\.0\.0\.1:\d+/,
    );
    await expect(run(session, { relativeURI: '/body', response: { resourcePath: 'items' }, paging: { method: 'url', path: 'next' } })).rejects.toThrow(/paging may not leave it/);
    expect(other.requests).toHaveLength(0);
    // An absolute next URL on the connection's own origin is followed.
    const same = await run(session, { relativeURI: '/same', response: { resourcePath: 'items' }, paging: { method: 'url', path: 'next' } });
    expect(same.ids).toEqual([1, 1]);
  });

  it('linkheader: a custom relation', async () => {
    const { session } = await setup((req, res) => {
      const p = Number(q(req.url).get('p') ?? 0);
      const headers: Record<string, string> = (p + 1) * PER < ITEMS.length ? { link: `</l?p=${p + 1}>; rel="Next-Page"` } : {};
      json(res, 200, ITEMS.slice(p * PER, (p + 1) * PER), headers);
    });
    const { ids } = await run(session, { relativeURI: '/l', paging: { method: 'linkheader', linkHeaderRelation: 'Next-Page' } });
    expect(ids).toEqual(all);
  });

  it('relativeuri: later pages built from previous_page', async () => {
    const { server, session } = await setup((req, res) => {
      const after = Number(q(req.url).get('after') ?? 0);
      json(res, 200, { items: ITEMS.filter((i) => i.id > after).slice(0, PER) });
    });
    const { ids } = await run(session, {
      relativeURI: '/r',
      response: { resourcePath: 'items' },
      paging: { method: 'relativeuri', relativeURI: '/r?after={{previous_page.last_record.id}}' },
    });
    expect(ids).toEqual(all);
    expect(server.requests.map((r) => r.url)).toEqual(['/r', '/r?after=50', '/r?after=100', '/r?after=120']);
  });

  it('relativeuri: the same page request twice stops with a problem', async () => {
    const { session } = await setup((req, res) => {
      const after = Number(q(req.url).get('after') ?? 0);
      json(res, 200, { items: ITEMS.filter((i) => i.id > after).slice(0, PER), cursor: 7 });
    });
    const { ids, problems } = await run(session, { relativeURI: '/r', response: { resourcePath: 'items' }, paging: { method: 'relativeuri', relativeURI: '/r?after={{previous_page.full_response.cursor}}' } });
    expect(ids).toEqual([...all.slice(0, 50), ...all.slice(7, 57)]);
    expect(problems[0]!.message).toContain('repeated the page request GET /r?after=7');
  });

  it('body: GraphQL-style cursors in the request body', async () => {
    const { server, session } = await setup((req, res) => {
      const { after } = JSON.parse(req.body) as { after: number | null };
      const start = after ?? 0;
      const slice = ITEMS.slice(start, start + PER);
      json(res, 200, { data: { items: { nodes: slice, pageInfo: { endCursor: start + slice.length, hasNextPage: start + PER < ITEMS.length } } } });
    });
    const { ids } = await run(session, {
      method: 'POST',
      relativeURI: '/graphql',
      body: '{"after": null}',
      response: { resourcePath: 'data.items.nodes' },
      paging: {
        method: 'body',
        body: '{"after": {{previous_page.full_response.data.items.pageInfo.endCursor}}}',
        lastPagePath: 'data.items.pageInfo.hasNextPage',
        lastPageValues: ['false'],
      },
    });
    expect(ids).toEqual(all);
    expect(server.requests.map((r) => r.body)).toEqual(['{"after": null}', '{"after": 50}', '{"after": 100}']);
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('a page that comes back identical stops paging with a problem', async () => {
    const { session } = await setup((_req, res) => json(res, 200, ITEMS.slice(0, PER)));
    const { ids, problems } = await run(session, { relativeURI: '/same?page={{export.http.paging.page}}', paging: { method: 'page' } });
    expect(ids).toEqual(all.slice(0, PER));
    expect(problems[0]).toMatchObject({ code: 'paging_loop', message: expect.stringContaining('/same?page=1') });
  });

  it('lastPagePath keeps the last page and stops', async () => {
    const { server, session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      json(res, 200, { items: ITEMS.slice(p * PER, (p + 1) * PER), last: (p + 1) * PER >= ITEMS.length });
    });
    const { ids } = await run(session, { relativeURI: '/i?page={{export.http.paging.page}}', response: { resourcePath: 'items' }, paging: { method: 'page', lastPagePath: 'last', lastPageValues: ['true'] } });
    expect(ids).toEqual(all);
    expect(server.requests).toHaveLength(3);
  });

  it('paging.resourcePath overrides the record path after the first page', async () => {
    const { session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      json(res, 200, p === 0 ? { first: ITEMS.slice(0, PER) } : { more: ITEMS.slice(p * PER, (p + 1) * PER) });
    });
    const { ids } = await run(session, { relativeURI: '/i?page={{export.http.paging.page}}', response: { resourcePath: 'first' }, paging: { method: 'page', resourcePath: 'more' } });
    expect(ids).toEqual(all);
  });
});

describe('responses', () => {
  it('an HTML page instead of JSON is a clear error', async () => {
    const { session } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><body>Please log in</body></html>');
    });
    await expect(run(session, { relativeURI: '/x' })).rejects.toThrow(/exporting from GET .*\/x: expected JSON but got text\/html \(HTTP 200\): <!DOCTYPE html><html><body>Please log in/);
  });

  it('a connection dropped mid-body on every try is a clear error, not a hang', async () => {
    const { session } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      res.write('{"items":[{"id":1},');
      setTimeout(() => res.socket?.destroy(), 5);
    });
    await expect(run(session, { relativeURI: '/x' })).rejects.toThrow(/exporting from GET .*\/x: GET .*other side closed.*after 4 attempts/);
  });

  it('a 429 with Retry-After is waited out and every record arrives', async () => {
    let n = 0;
    const { session, server } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      if (p === 1 && n++ === 0) return json(res, 429, { error: 'slow down' }, { 'retry-after': '1' });
      json(res, 200, ITEMS.slice(p * PER, (p + 1) * PER));
    });
    const { ids } = await run(session, { relativeURI: '/i?page={{export.http.paging.page}}', paging: { method: 'page' } });
    expect(ids).toEqual(all);
    const [a, b] = server.requests.filter((r) => r.url.endsWith('page=1'));
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
  });

  it('failPath / successPath mark a 2xx as failed, with the errorPath message', async () => {
    const { session } = await setup((req, res) => json(res, 200, req.url === '/ok' ? { status: 'ok', items: [{ id: 1 }] } : { status: 'error', error: { text: 'quota exceeded' } }));
    await expect(run(session, { relativeURI: '/bad', response: { failPath: 'status', failValues: ['error'], errorPath: 'error.text' } })).rejects.toThrow(
      /the response reports a failure: quota exceeded/,
    );
    await expect(run(session, { relativeURI: '/bad', response: { successPath: 'status', successValues: ['ok'] } })).rejects.toThrow(/status is "error"/);
    const { ids } = await run(session, { relativeURI: '/ok', response: { resourcePath: 'items', successPath: 'status', successValues: ['ok'] } });
    expect(ids).toEqual([1]);
  });

  it('a 5xx after retries fails the export with the remote message', async () => {
    const { server, session } = await setup((_req, res) => json(res, 503, { message: 'maintenance' }));
    await expect(run(session, { relativeURI: '/x', response: { errorPath: 'message' } })).rejects.toThrow(/HTTP 503: maintenance/);
    expect(server.requests).toHaveLength(4);
  });

  it('reads XML when the export says so', async () => {
    const { session } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<list><item><id>1</id></item><item><id>2</id></item></list>');
    });
    const { ids } = await run(session, { relativeURI: '/x', successMediaType: 'xml', response: { resourcePath: 'list.item' } });
    expect(ids).toEqual([1, 2]);
  });
});

describe('export requests', () => {
  it('formats delta times with delta.dateFormat and sends export headers and a JSON body', async () => {
    const { server, session } = await setup((_req, res) => json(res, 200, []));
    await run(
      session,
      { method: 'POST', relativeURI: '/search?since={{lastExportDateTime}}', headers: [{ name: 'X-Store', value: '{{settings.store}}' }], body: { status: 'open' } },
      { exp: { delta: { dateFormat: 'YYYY-MM-DD' } }, ctx: { lastExportDateTime: '2024-02-03T10:00:00.000Z', templateData: { settings: { store: 's1' } } } },
    );
    const r = server.requests[0]!;
    expect(r.url).toBe('/search?since=2024-02-03');
    expect(r.headers['x-store']).toBe('s1');
    expect(JSON.parse(r.body)).toEqual({ status: 'open' });
  });

  it('stops promptly when the run is canceled', async () => {
    const { session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      json(res, 200, ITEMS.slice((p * 10) % 100, ((p * 10) % 100) + 10).map((i) => ({ ...i, p })));
    });
    const ac = new AbortController();
    const seen: ExportPage[] = [];
    const it = session.exportPages({ export: { _id: 'e', http: { relativeURI: '/i?page={{export.http.paging.page}}', paging: { method: 'page' } } }, pageSize: 10 }, testContext({ signal: ac.signal }));
    await expect(
      (async () => {
        for await (const page of it) {
          seen.push(page);
          if (seen.length === 3) ac.abort(new Error('job canceled'));
        }
      })(),
    ).rejects.toThrow('job canceled');
    expect(seen.length).toBe(3);
  });

  it('a cancel during a slow request ends the export with the cancel reason', async () => {
    const { session } = await setup(() => {
      // Never answers.
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('job canceled')), 50);
    await expect(run(session, { relativeURI: '/slow' }, { ctx: { signal: ac.signal } })).rejects.toThrow('job canceled');
  });
});

describe('headers and failures', () => {
  it('token paging with the cursor in a request header and the next token in a response header reads every record', async () => {
    const TOTAL = 23;
    const { server, session } = await setup((req, res) => {
      const cursor = Number(req.headers['x-cursor'] || 0);
      const items = ITEMS.slice(cursor, Math.min(cursor + 5, TOTAL));
      const next: Record<string, string> = cursor + 5 < TOTAL ? { 'x-next-cursor': String(cursor + 5) } : {};
      json(res, 200, items, next);
    });
    const { ids, problems } = await run(session, {
      relativeURI: '/c',
      headers: [{ name: 'X-Cursor', value: '{{export.http.paging.token}}' }],
      paging: { method: 'token', path: 'X-Next-Cursor', pathLocation: 'header' },
    });
    expect(problems).toEqual([]);
    expect(ids).toEqual(all.slice(0, TOTAL));
    expect(server.requests.map((r) => r.headers['x-cursor'] ?? '')).toEqual(['', '5', '10', '15', '20']);
  });

  it('a page that fails after others: the pages read before it are delivered, then the error', async () => {
    const { session } = await setup((req, res) => {
      const p = Number(q(req.url).get('page'));
      if (p === 3) return json(res, 400, { error: 'page 3 is broken' });
      json(res, 200, ITEMS.slice((p - 1) * 10, p * 10));
    });
    const got: ExportPage[] = [];
    const pages = session.exportPages(
      { export: { _id: 'exp', http: { relativeURI: '/p?page={{export.http.paging.page}}', paging: { method: 'page', page: 1 } } }, pageSize: 10 },
      testContext(),
    );
    await expect((async () => {
      for await (const p of pages) got.push(p);
    })()).rejects.toThrow(/HTTP 400: .*page 3 is broken/);
    expect(got.map((p) => p.records.map((r) => r.id))).toEqual([all.slice(0, 10), all.slice(10, 20)]);
  });
});


describe('secrets in messages', () => {
  it('a query-parameter token is masked in errors whatever its parameter is called', async () => {
    const server = await startServer((_req, res) => json(res, 400, { error: 'nope' }));
    servers.push(server);
    const auth = { type: 'token', token: { token: 'QUERY-SECRET', location: 'url', paramName: 'pw' } };
    const session = await openHttpSession(connectionDoc({ baseURI: server.url, auth }), { client: fastClient });
    sessions.push(session);
    const failed = await run(session, { relativeURI: '/x?a=1' }).catch((e: Error) => e);
    expect(server.requests[0]!.url).toBe('/x?a=1&pw=QUERY-SECRET');
    expect(String(failed)).toMatch(/HTTP 400/);
    expect(String(failed)).not.toContain('QUERY-SECRET');
    // A request that gets no answer: the client's own message names the URL too.
    const closed = await startServer(() => undefined);
    const port = new URL(closed.url).port;
    await closed.close();
    const offline = await openHttpSession(connectionDoc({ baseURI: `http://127.0.0.1:${port}`, auth }), { client: { ...fastClient, retry: { ...fastClient.retry, maxAttempts: 1 } } });
    sessions.push(offline);
    const err = await run(offline, { relativeURI: '/y' }).catch((e: Error) => e);
    expect(String(err)).toMatch(/pw=\*\*\*/);
    expect(String(err)).not.toContain('QUERY-SECRET');
  });
});
