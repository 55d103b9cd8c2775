/**
 * API overhead: an authenticated GET of one flow, and a list of 1,000 flows, through Integrator's full
 * stack (bearer-token lookup, per-account rate limit, account-scoped query, JSON answer) versus a bare
 * Fastify route answering the same JSON from memory. Both on loopback, driven by the same undici loop
 * with concurrency. Run: npx tsx bench/api.ts   (goal: >= 0.5x bare Fastify)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { startIntegrator } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const FLOWS = 1000;
const TOKEN = 'bench-token-0123456789abcdef0123';

/** Requests per second of `path` on `base` for SECONDS, CONCURRENCY requests in flight. */
async function rate(base: string, path: string, headers: Record<string, string>): Promise<number> {
  const pool = new Pool(base, { connections: CONCURRENCY, pipelining: 1 });
  const run = async (until: number) => {
    let n = 0;
    while (performance.now() < until) {
      const res = await pool.request({ method: 'GET', path, headers });
      if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${await res.body.text()}`);
      await res.body.arrayBuffer();
      n++;
    }
    return n;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => run(performance.now() + 500))); // warm-up
  const start = performance.now();
  const counts = await Promise.all(Array.from({ length: CONCURRENCY }, () => run(start + SECONDS * 1000)));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  return counts.reduce((a, b) => a + b, 0) / elapsed;
}

const dataDir = mkdtempSync(join(tmpdir(), 'integrator-bench-api-'));
const app = await startIntegrator(
  loadConfig({}, {
    port: 0, dataDir, demo: false, worker: false, initialApiToken: TOKEN, encryptionKey: 'bench', logLevel: 'silent',
    // The bucket is on (its cost is measured) but too large to refuse anything here.
    rateLimitCapacity: 1_000_000_000, rateLimitPerSecond: 1_000_000_000,
  }),
);
try {
  const { services, owner } = app;
  const connection = await services.connections.create(owner.accountId, { name: 'Shop', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
  const exp = await services.exports.create(owner.accountId, { name: 'Orders', adaptorType: 'HTTPExport', _connectionId: connection._id, http: { relativeURI: '/orders', method: 'GET' } });
  const imp = await services.imports.create(owner.accountId, { name: 'Orders in', adaptorType: 'HTTPImport', _connectionId: connection._id, http: { method: ['POST'], relativeURI: ['/orders'] } });
  const ids: string[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const flow = await services.flows.create(owner.accountId, {
      name: `Orders to warehouse ${i}`,
      description: 'Copies new orders every five minutes.',
      disabled: true,
      schedule: '? */5 * * * *',
      timezone: 'Europe/Paris',
      pageGenerators: [{ _exportId: exp._id }],
      pageProcessors: [{ type: 'import', _importId: imp._id, proceedOnFailure: false }],
    });
    ids.push(flow._id);
  }
  const one = await services.flows.get(owner.accountId, ids[500]!);
  const all = await services.flows.list(owner.accountId, { limit: 1000 });

  const bare = Fastify({ logger: false });
  bare.get('/v1/flows/:id', async () => one);
  bare.get('/v1/flows', async () => all);
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareBase = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;

  const auth = { authorization: `Bearer ${TOKEN}` };
  const rows: [string, number, number][] = [];
  for (const [label, path] of [['GET one flow', `/v1/flows/${ids[500]}`], ['GET 1,000 flows', '/v1/flows']] as const) {
    const ours = await rate(app.url, path, auth);
    const theirs = await rate(bareBase, path, {});
    rows.push([label, ours, theirs]);
  }
  await bare.close();

  console.log(`API bench (SQLite, ${CONCURRENCY} in flight, ${SECONDS}s per side, loopback)`);
  console.log('case              integrator req/s   bare fastify req/s   ratio');
  for (const [label, ours, theirs] of rows) {
    console.log(`${label.padEnd(18)}${ours.toFixed(0).padStart(16)}   ${theirs.toFixed(0).padStart(18)}   ${(ours / theirs).toFixed(2)}`);
  }
  const worst = Math.min(...rows.map(([, o, t]) => o / t));
  console.log(`goal >= 0.50 of bare Fastify: ${worst >= 0.5 ? 'met' : 'NOT met'} (worst ratio ${worst.toFixed(2)})`);
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
