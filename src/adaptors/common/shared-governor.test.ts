import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresServer, probePostgres, requireService, type TempDatabase } from '../../../test/support/services.js';
import { openHttpSession } from '../http/connection.js';
import { collect, json, startServer, testContext, type TestServer } from '../http/test-support.js';
import { createSharedGovernor, openSharedGovernorDatabase, useSharedGovernors, type SharedGovernorDatabase } from './shared-governor.js';

const hasPostgres = await requireService('PostgreSQL', probePostgres);

/**
 * No one-second window holds more than `max` request arrivals, less 50 ms: starts are claimed on the
 * database clock the moment they go, but the server sees them after the claim's answer and the fetch have
 * passed through two busy event loops (seen: up to ~30 ms on a loaded two-core machine). A governor that
 * did not space requests would put all 16 in the first window.
 */
function expectAtMostPerSecond(times: number[], max: number) {
  const sorted = [...times].sort((a, b) => a - b);
  for (const start of sorted) expect(sorted.filter((t) => t >= start && t < start + 950).length).toBeLessThanOrEqual(max);
}

describe.skipIf(!hasPostgres)('connection governors shared through PostgreSQL', () => {
  let db: TempDatabase;
  let url: string;
  let server: TestServer;
  let inFlight = 0;
  let maxInFlight = 0;
  // Two handles on one database stand for two worker processes: nothing is shared between them but PostgreSQL.
  let processA: SharedGovernorDatabase;
  let processB: SharedGovernorDatabase;

  const hit = (path: string) => fetch(server.url + path).then((r) => r.text());

  beforeAll(async () => {
    db = await createPostgresDatabase('governor');
    url = `postgres://${postgresServer.user}@${postgresServer.host}:${postgresServer.port}/${db.name}`;
    processA = openSharedGovernorDatabase(url);
    processB = openSharedGovernorDatabase(url);
    server = await startServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        const page = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? 0);
        json(res, 200, req.url.startsWith('/pages') ? (page < 6 ? [{ id: page }] : []) : { ok: true });
      }, req.url.startsWith('/slow') ? 30 : 0);
    });
    // The first fetch() of a process loads undici lazily (~20 ms): warm it so it is not counted as governor jitter.
    await hit('/warm');
  });
  afterAll(async () => {
    await processA?.close();
    await processB?.close();
    await server?.close();
    await db?.drop();
  });

  it('two governors on one connection (two processes) stay within 5 requests/s together', async () => {
    const key = 'conn-rate';
    const a = createSharedGovernor(key, { minIntervalMs: 200 }, processA);
    const b = createSharedGovernor(key, { minIntervalMs: 200 }, processB);
    const before = server.requests.length;
    await Promise.all([
      ...Array.from({ length: 8 }, () => a.run(() => hit('/rate'))),
      ...Array.from({ length: 8 }, () => b.run(() => hit('/rate'))),
    ]);
    const times = server.requests.slice(before).map((r) => r.at);
    expect(times).toHaveLength(16);
    expectAtMostPerSecond(times, 5);
    // And the spacing is not a global stall: 16 starts 200 ms apart take about 3 s, not 16 × something.
    const sorted = [...times].sort((x, y) => x - y);
    expect(sorted[15]! - sorted[0]!).toBeGreaterThanOrEqual(15 * 200 - 30);
  });

  it('concurrencyLevel caps requests in flight across both processes', async () => {
    const key = 'conn-concurrency';
    const a = createSharedGovernor(key, { concurrency: 2 }, processA);
    const b = createSharedGovernor(key, { concurrency: 2 }, processB);
    maxInFlight = 0;
    await Promise.all([
      ...Array.from({ length: 6 }, () => a.run(() => hit('/slow'))),
      ...Array.from({ length: 6 }, () => b.run(() => hit('/slow'))),
    ]);
    expect(maxInFlight).toBe(2);
  });

  it('a Retry-After pause in one process holds the other back', async () => {
    const key = 'conn-pause';
    const a = createSharedGovernor(key, { minIntervalMs: 10 }, processA);
    const b = createSharedGovernor(key, { minIntervalMs: 10 }, processB);
    await a.run(async () => undefined);
    a.pause(400);
    await new Promise((r) => setTimeout(r, 50)); // the pause is written asynchronously
    const t0 = performance.now();
    await b.run(async () => undefined);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('the server installs shared governors: an HTTP export here and another process stay within 5 requests/s together', async () => {
    const stop = useSharedGovernors(url);
    try {
      const connection = { _id: 'conn-export', type: 'http', http: { baseURI: server.url, rateLimit: { limit: 200 } } };
      const session = await openHttpSession(connection);
      const other = createSharedGovernor('conn-export', { minIntervalMs: 200 }, processB);
      const before = server.requests.length;
      const [pages] = await Promise.all([
        collect(session.exportPages({ export: { _id: 'e', http: { relativeURI: '/pages?page={{export.http.paging.page}}', paging: { method: 'page' } } }, pageSize: 100 }, testContext())),
        Promise.all(Array.from({ length: 6 }, () => other.run(() => hit('/rate')))),
      ]);
      await session.close();
      expect(pages.flatMap((p) => p.records)).toHaveLength(6);
      const times = server.requests.slice(before).map((r) => r.at);
      expect(times).toHaveLength(13);
      expectAtMostPerSecond(times, 5);
    } finally {
      await stop();
    }
  });
});
