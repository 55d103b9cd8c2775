/**
 * HTTP export throughput: reading a paged JSON API on loopback (100k records, 1000 per page, page-number
 * paging) through the HTTP adaptor's export versus a plain undici loop reading the same pages.
 * Run: npx tsx bench/http.ts   (goal: >= 0.8x the plain loop)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { openHttpSession } from '../src/adaptors/http/connection.js';

const TOTAL = Number(process.env.BENCH_RECORDS ?? 100_000);
const PER_PAGE = 1000;
const PAGES = Math.ceil(TOTAL / PER_PAGE);

function record(i: number) {
  return {
    id: i,
    number: `SO-${100000 + i}`,
    status: ['open', 'closed', 'pending'][i % 3],
    customer: { name: `Customer ${i}`, email: `c${i}@example.com` },
    total: (i * 1.37).toFixed(2),
    currency: 'USD',
    createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    lines: [{ sku: `SKU-${i % 500}`, qty: 1 + (i % 4) }],
  };
}

const bodies: Buffer[] = [];
for (let p = 0; p <= PAGES; p++) {
  const data = [];
  for (let i = p * PER_PAGE; i < Math.min(TOTAL, (p + 1) * PER_PAGE); i++) data.push(record(i));
  bodies.push(Buffer.from(JSON.stringify({ data })));
}

const server = createServer((req, res) => {
  const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? 0);
  const body = bodies[page] ?? Buffer.from('{"data":[]}');
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function plainUndici(): Promise<number> {
  const pool = new Pool(base);
  let count = 0;
  for (let page = 0; ; page++) {
    const res = await pool.request({ method: 'GET', path: `/orders?page=${page}` });
    const body = (await res.body.json()) as { data: unknown[] };
    if (body.data.length === 0) break;
    count += body.data.length;
  }
  await pool.close();
  return count;
}

async function adaptorExport(): Promise<number> {
  const session = await openHttpSession({ _id: `bench-${Date.now()}`, type: 'http', http: { baseURI: base } });
  const ctx = { signal: new AbortController().signal, log: { info() {}, warn() {} }, templateData: {}, currentExportDateTime: new Date().toISOString() };
  let count = 0;
  const pages = session.exportPages(
    { export: { _id: 'bench', http: { relativeURI: '/orders?page={{export.http.paging.page}}', response: { resourcePath: 'data' }, paging: { method: 'page' } } }, pageSize: PER_PAGE },
    ctx,
  );
  for await (const page of pages) count += page.records.length;
  await session.close();
  return count;
}

async function time(fn: () => Promise<number>): Promise<{ ms: number; count: number }> {
  const t0 = performance.now();
  const count = await fn();
  return { ms: performance.now() - t0, count };
}

// Warm both paths up (JIT, sockets) on a few pages before the measured run.
await plainUndici();
await adaptorExport();

const plain = await time(plainUndici);
const ours = await time(adaptorExport);
server.close();

if (plain.count !== TOTAL || ours.count !== TOTAL) throw new Error(`record counts differ: plain ${plain.count}, adaptor ${ours.count}, expected ${TOTAL}`);
const rate = (r: { ms: number; count: number }) => (r.count / r.ms) * 1000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`HTTP export, ${fmt(TOTAL)} records, ${PER_PAGE}/page, loopback`);
console.log(`  plain undici loop : ${fmt(rate(plain)).padStart(10)} records/s  (${plain.ms.toFixed(0)} ms)`);
console.log(`  HTTP adaptor      : ${fmt(rate(ours)).padStart(10)} records/s  (${ours.ms.toFixed(0)} ms)`);
console.log(`  ratio             : ${(rate(ours) / rate(plain)).toFixed(2)}x  (goal >= 0.80x)`);
