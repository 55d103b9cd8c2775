/**
 * Flow throughput and memory: a whole flow run (paged HTTP export on loopback → 20-field mapping →
 * PostgreSQL bulk insert) through the platform (embedded SQLite for jobs and stored pages, the real
 * worker and engine) versus a no-platform script doing the same work (fetch each page, map each record
 * by hand, one multi-row INSERT per page). Each side runs in its own child process, so peak RSS is its
 * own; the source API runs in this (parent) process for both.
 *
 *   npx tsx bench/flow.ts                    # 100,000 records
 *   BENCH_FLOW_RECORDS=20000 npx tsx bench/flow.ts
 *   BENCH_FLOW_1M=1 npx tsx bench/flow.ts    # also the platform at 1,000,000 records (peak RSS vs 100k)
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createPostgresDatabase, probePostgres, type TempDatabase } from '../test/support/services.js';
import { timeFlowRun } from './support/platform.js';

const RECORDS = Number(process.env.BENCH_FLOW_RECORDS ?? 100_000);
const PAGE = 1000;
const FIELDS = 20;
const columns = Array.from({ length: FIELDS }, (_, i) => `c${i + 1}`);

interface Result {
  records: number;
  seconds: number;
  maxRssMb: number;
}

/** One source record: 20 fields of mixed types. */
function sourceRecord(n: number): Record<string, unknown> {
  const r: Record<string, unknown> = { id: n };
  for (let i = 2; i <= FIELDS; i++) r[`f${i}`] = i % 3 === 0 ? n * i : i % 3 === 1 ? `value ${n}-${i}` : (n % 7) * 1.25;
  return r;
}

function startSource(total: number): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    const start = (page - 1) * PAGE;
    const records = [];
    for (let n = start + 1; n <= Math.min(total, start + PAGE); n++) records.push(sourceRecord(n));
    if (start + PAGE < total) res.setHeader('Link', `</records?page=${page + 1}>; rel="next"`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ records }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  );
}

const ddl = (table: string) => `CREATE TABLE ${table} (${columns.map((c, i) => `${c} ${i === 0 ? 'INTEGER PRIMARY KEY' : 'TEXT'}`).join(', ')})`;

// ---------------------------------------------------------------- child: the platform

/** Times the run itself (queued → completed), not the server's start-up. */
function platform(sourceUrl: string, db: TempDatabase, table: string, total: number): Promise<{ records: number; seconds: number }> {
  return timeFlowRun(
    {
      source: { name: 'Source', type: 'http', http: { baseURI: sourceUrl } },
      target: { name: 'Target', type: 'rdbms', rdbms: { type: 'postgresql', host: db.host, port: db.port, user: db.user, password: db.password || undefined, database: db.name } },
      export: { name: 'Records', adaptorType: 'HTTPExport', pageSize: PAGE, http: { relativeURI: '/records?page=1', paging: { method: 'linkheader' }, response: { resourcePath: 'records' } } },
      import: {
        name: 'Target rows',
        adaptorType: 'RDBMSImport',
        rdbms: { queryType: ['bulk_insert'], bulkInsert: { tableName: table, batchSize: PAGE } },
        mapping: { fields: columns.map((c, i) => ({ extract: i === 0 ? 'id' : `f${i + 1}`, generate: c, ...(i === 0 ? { dataType: 'number' } : { dataType: 'string' }) })) },
      },
    },
    total,
  );
}

// ---------------------------------------------------------------- child: the baseline script

async function baseline(sourceUrl: string, db: TempDatabase, table: string): Promise<number> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.name });
  await client.connect();
  let next: string | undefined = `${sourceUrl}/records?page=1`;
  let n = 0;
  while (next) {
    const res = await fetch(next);
    const body = (await res.json()) as { records: Record<string, unknown>[] };
    const link = res.headers.get('link');
    next = link ? new URL(/<([^>]+)>;\s*rel="next"/.exec(link)![1]!, sourceUrl).href : undefined;
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const r of body.records) {
      const row = [Number(r.id)];
      for (let i = 2; i <= FIELDS; i++) row.push(String(r[`f${i}`]) as never);
      rows.push(`(${row.map((_, k) => `$${values.length + k + 1}`).join(',')})`);
      values.push(...row);
    }
    if (rows.length > 0) await client.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${rows.join(',')}`, values);
    n += body.records.length;
  }
  await client.end();
  return n;
}

async function child(scenario: string, arg: string): Promise<void> {
  const { sourceUrl, db, table, total } = JSON.parse(arg) as { sourceUrl: string; db: TempDatabase; table: string; total: number };
  const started = performance.now();
  const measured = scenario === 'platform'
    ? await platform(sourceUrl, db, table, total)
    : { records: await baseline(sourceUrl, db, table), seconds: (performance.now() - started) / 1000 };
  const result: Result = { ...measured, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Runs a scenario in a child process; the source API answers from this process meanwhile. */
async function run(scenario: string, arg: object): Promise<Result> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', scenario, JSON.stringify(arg)], { env: process.env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) reject(new Error(`${scenario} failed:\n${out}\n${err}`));
      else resolve(JSON.parse(line.slice(7)) as Result);
    });
  });
}

// ---------------------------------------------------------------- parent

async function main(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`bench/flow: ${fmt(RECORDS)} records, pages of ${PAGE}, ${FIELDS}-field mapping, HTTP (loopback) → PostgreSQL, Node ${process.version}`);
  if (!(await probePostgres().then(() => true, () => false))) {
    console.log('PostgreSQL is not reachable on 127.0.0.1:5432: nothing to measure.');
    return;
  }
  const db = await createPostgresDatabase('bench_flow');
  const admin = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.name });
  await admin.connect();
  const source = await startSource(RECORDS);
  try {
    const measure = async (scenario: string, table: string, total: number, sourceUrl = source.url) => {
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.query(ddl(table));
      const r = await run(scenario, { sourceUrl, db, table, total });
      const { rows } = await admin.query(`SELECT COUNT(*)::int AS n FROM ${table}`);
      if (rows[0].n !== total) throw new Error(`${scenario}: ${table} has ${rows[0].n} rows, expected ${total}`);
      return r;
    };
    // Warm-up (JIT, PostgreSQL caches), then the measured runs: best of two, alternating.
    const warm = await startSource(5_000);
    await measure('baseline', 'warm', 5_000, warm.url);
    await measure('platform', 'warm', 5_000, warm.url);
    warm.close();
    let plain: Result | undefined;
    let ours: Result | undefined;
    for (let round = 0; round < 2; round++) {
      const b = await measure('baseline', 'target_plain', RECORDS);
      const p = await measure('platform', 'target_platform', RECORDS);
      if (!plain || b.seconds < plain.seconds) plain = { ...b, maxRssMb: Math.max(b.maxRssMb, plain?.maxRssMb ?? 0) };
      if (!ours || p.seconds < ours.seconds) ours = { ...p, maxRssMb: Math.max(p.maxRssMb, ours?.maxRssMb ?? 0) };
    }
    console.log('\n| path | records | seconds | records/s | peak RSS |');
    console.log('|---|---:|---:|---:|---:|');
    const line = (name: string, r: Result) => console.log(`| ${name} | ${fmt(r.records)} | ${r.seconds.toFixed(2)} | ${fmt(r.records / r.seconds)} | ${r.maxRssMb.toFixed(0)} MB |`);
    line('baseline script (fetch, map, multi-row INSERT)', plain!);
    line('platform flow run (job, stored pages, engine)', ours!);
    const ratio = (ours!.records / ours!.seconds) / (plain!.records / plain!.seconds);
    console.log(`\nthroughput ratio platform/baseline: ${ratio.toFixed(2)}x (goal >= 0.5x)`);
    if (process.env.BENCH_FLOW_1M === '1') {
      const big = 1_000_000;
      const bigSource = await startSource(big);
      try {
        await admin.query('DROP TABLE IF EXISTS target_big');
        await admin.query(ddl('target_big'));
        const r = await run('platform', { sourceUrl: bigSource.url, db, table: 'target_big', total: big });
        line('platform flow run, 1,000,000 records', r);
        console.log(`peak RSS 1M / ${fmt(RECORDS)}: ${(r.maxRssMb / ours!.maxRssMb).toFixed(2)}x (goal <= 1.20x)`);
      } finally {
        bigSource.close();
      }
    } else {
      console.log('(set BENCH_FLOW_1M=1 to also run 1,000,000 records and compare peak RSS)');
    }
  } finally {
    source.close();
    await admin.end();
    await db.drop();
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
else await main();
