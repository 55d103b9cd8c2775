import { afterEach, describe, expect, it } from 'vitest';
import { json, startServer, type TestServer } from '../http/test-support.js';
import { createGovernor } from './governor.js';
import { backoffDelay, createHttpClient, HttpRequestError, parseRetryAfter, redactUrl, type HttpClient } from './http-client.js';

const servers: TestServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(handler: Parameters<typeof startServer>[0]) {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}
function client(opts: Parameters<typeof createHttpClient>[0] = {}) {
  const c = createHttpClient({ retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...opts });
  clients.push(c);
  return c;
}

describe('http client retries', () => {
  it('retries a GET after 5xx answers and returns the success', async () => {
    let n = 0;
    const s = await serve((_req, res) => (++n < 3 ? json(res, 502, { n }) : json(res, 200, { n })));
    const res = await client().request({ method: 'GET', url: `${s.url}/x` });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
  });

  it('gives back the last 5xx after the attempts run out', async () => {
    const s = await serve((_req, res) => json(res, 500, { e: 1 }));
    const res = await client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }).request({ method: 'GET', url: s.url });
    expect(res.status).toBe(500);
    expect(s.requests).toHaveLength(3);
  });

  it('does not repeat a POST after a 5xx, unless it is marked idempotent', async () => {
    const s = await serve((_req, res) => json(res, 500, {}));
    await client().request({ method: 'POST', url: s.url, body: '{}' });
    expect(s.requests).toHaveLength(1);
    await client().request({ method: 'POST', url: s.url, body: '{}', idempotent: true });
    expect(s.requests).toHaveLength(5);
  });

  it('honours Retry-After on 429, for POST too, and pauses the governor', async () => {
    let n = 0;
    const s = await serve((_req, res) => (++n === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 201, { ok: true })));
    const governor = createGovernor({});
    const t0 = performance.now();
    const res = await client({ governor }).request({ method: 'POST', url: s.url, body: '{}' });
    expect(res.status).toBe(201);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails clearly when Retry-After is longer than allowed', async () => {
    const s = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    await expect(client({ retry: { maxRetryAfterMs: 1000 } }).request({ method: 'GET', url: s.url })).rejects.toThrow(
      /rate limited \(HTTP 429\); the server asks to wait 3600 s, more than the 1 s allowed/,
    );
  });

  it('recognises a rate-limit answer by a custom rule', async () => {
    let n = 0;
    const s = await serve((_req, res) => (++n === 1 ? json(res, 200, { error: 'slow down' }, { 'x-wait': '0' }) : json(res, 200, { ok: 1 })));
    const res = await client({ retryHeader: 'X-Wait', isRateLimited: (r) => r.body.toString().includes('slow down') }).request({ method: 'GET', url: s.url });
    expect(JSON.parse(res.body.toString())).toEqual({ ok: 1 });
  });

  it('retries a connection dropped mid-body', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      if (++n === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('[{"id":1},');
        setTimeout(() => res.socket?.destroy(), 10);
        return;
      }
      json(res, 200, [{ id: 1 }]);
    });
    const res = await client().request({ method: 'GET', url: s.url });
    expect(JSON.parse(res.body.toString())).toEqual([{ id: 1 }]);
    expect(n).toBe(2);
  });

  it('fails with a network error naming the request when the drops go on', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('[');
      setTimeout(() => res.socket?.destroy(), 5);
    });
    const err = await client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } })
      .request({ method: 'GET', url: `${s.url}/items?token=secret` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRequestError);
    expect((err as HttpRequestError).kind).toBe('network');
    expect((err as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/items\?token=\*\*\*: .*after 2 attempts/);
  });
});

describe('http client redirects', () => {
  it('follows redirects, dropping credentials on another origin', async () => {
    const other = await serve((req, res) => json(res, 200, { auth: req.headers.authorization ?? null }));
    const s = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/new' });
        return res.end();
      }
      if (req.url === '/away') {
        res.writeHead(302, { location: `${other.url}/x` });
        return res.end();
      }
      json(res, 200, { auth: req.headers.authorization ?? null });
    });
    const c = client();
    const same = await c.request({ method: 'GET', url: `${s.url}/old`, headers: { authorization: 'Bearer t' } });
    expect(JSON.parse(same.body.toString())).toEqual({ auth: 'Bearer t' });
    const away = await c.request({ method: 'GET', url: `${s.url}/away`, headers: { authorization: 'Bearer t' } });
    expect(JSON.parse(away.body.toString())).toEqual({ auth: null });
    const raw = await client({ maxRedirections: 0 }).request({ method: 'GET', url: `${s.url}/old` });
    expect(raw.status).toBe(301);
  });

  it('keeps only safe headers on a redirect to another origin (127.0.0.1 → localhost), all of them on the same origin', async () => {
    const seen = (req: { headers: Record<string, unknown>; method: string; body: string }) => ({ method: req.method, headers: req.headers, body: req.body });
    const other = await serve((req, res) => json(res, 200, seen(req)));
    const elsewhere = other.url.replace('127.0.0.1', 'localhost');
    const s = await serve((req, res) => {
      if (req.url === '/away') {
        res.writeHead(307, { location: `${elsewhere}/x` });
        return res.end();
      }
      if (req.url === '/see-other') {
        res.writeHead(303, { location: `${elsewhere}/y` });
        return res.end();
      }
      if (req.url === '/here') {
        res.writeHead(308, { location: '/final' });
        return res.end();
      }
      json(res, 200, seen(req));
    });
    const headers = {
      authorization: 'Bearer t',
      'x-api-key': 'KEY-SECRET',
      'x-custom-auth': 'CUSTOM-SECRET',
      cookie: 'sid=1',
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'integrator-test',
    };
    const c = client();
    const away = await c.request({ method: 'POST', url: `${s.url}/away`, headers, body: '{"a":1}' });
    const a = JSON.parse(away.body.toString());
    expect(away.url).toBe(`${elsewhere}/x`);
    expect(a.method).toBe('POST');
    expect(a.body).toBe('{"a":1}');
    for (const h of ['authorization', 'x-api-key', 'x-custom-auth', 'cookie']) expect(a.headers[h], h).toBeUndefined();
    expect(a.headers).toMatchObject({ accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'integrator-test' });
    const other303 = JSON.parse((await c.request({ method: 'POST', url: `${s.url}/see-other`, headers, body: '{"a":1}' })).body.toString());
    expect(other303.method).toBe('GET');
    expect(other303.body).toBe('');
    expect(other303.headers['x-api-key']).toBeUndefined();
    const here = JSON.parse((await c.request({ method: 'GET', url: `${s.url}/here`, headers })).body.toString());
    expect(here.headers).toMatchObject({ authorization: 'Bearer t', 'x-api-key': 'KEY-SECRET', 'x-custom-auth': 'CUSTOM-SECRET' });
  });
});

describe('http client limits', () => {
  it('rejects a response larger than the limit, declared or streamed', async () => {
    const big = 'x'.repeat(5000);
    const s = await serve((req, res) => {
      if (req.url === '/declared') return json(res, 200, big);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(big);
      res.end(big);
    });
    const c = client({ maxResponseBytes: 4096 });
    await expect(c.request({ method: 'GET', url: `${s.url}/declared` })).rejects.toThrow(/larger than the 4096-byte limit/);
    await expect(c.request({ method: 'GET', url: `${s.url}/chunked` })).rejects.toThrow(/larger than the 4096-byte limit/);
  });

  it('times out a silent server', async () => {
    const s = await serve(() => {});
    const err = await client({ headersTimeoutMs: 100, retry: { maxAttempts: 1 } })
      .request({ method: 'GET', url: s.url })
      .catch((e: unknown) => e);
    expect((err as HttpRequestError).kind).toBe('timeout');
    expect((err as Error).message).toMatch(/timed out waiting for the response headers/);
  });

  it('stops when the caller aborts, and when the request ceiling passes', async () => {
    const s = await serve(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const aborted = await client().request({ method: 'GET', url: s.url, signal: ac.signal }).catch((e: unknown) => e);
    expect((aborted as HttpRequestError).kind).toBe('aborted');
    const late = await client().request({ method: 'GET', url: s.url, timeoutMs: 80 }).catch((e: unknown) => e);
    expect((late as HttpRequestError).kind).toBe('timeout');
    expect((late as Error).message).toMatch(/no complete answer within 80 ms/);
  });
});

describe('helpers', () => {
  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('bounds the backoff', () => {
    for (let attempt = 1; attempt < 20; attempt++) {
      const d = backoffDelay(attempt, 100, 5000);
      const cap = Math.min(5000, 100 * 2 ** (attempt - 1));
      expect(d).toBeGreaterThanOrEqual(cap / 4 - 1);
      expect(d).toBeLessThanOrEqual(cap);
    }
  });

  it('redacts credentials in URLs', () => {
    expect(redactUrl('https://u:p@h/x?api_key=1&page=2')).toBe('https://h/x?api_key=***&page=2');
  });
});
