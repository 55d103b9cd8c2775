/**
 * Database throughput and memory: copying a PostgreSQL table of BENCH_ROWS rows (default 1,000,000) into
 * another PostgreSQL table through the RDBMS adaptor (export session → import session, `bulk_insert`, and
 * `bulk_load` upsert), and through a whole flow run (jobs, stored pages, engine), versus a plain pg script (SELECT through a cursor + one multi-row INSERT per batch).
 * Each run is a child process, so its peak RSS is its own. Then the peak RSS of exporting the same number of
 * rows from SQLite, PostgreSQL and MariaDB through the adaptor (cursor / streaming / iterate()).
 *
 * Run: npx tsx bench/db.ts   (own PostgreSQL and MariaDB databases per run, dropped afterwards)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { rdbmsAdaptor } from '../src/adaptors/rdbms/index.js';
import type { Doc, RunContext } from '../src/adaptors/adaptor.js';
import { createMariadbDatabase, createPostgresDatabase, probeMariadb, probePostgres, type TempDatabase } from '../test/support/services.js';
import { timeFlowRun } from './support/platform.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const BATCH = 1000;
const COLUMNS = ['id', 'name', 'email', 'amount', 'created_at', 'note'];
const TABLE_DDL = (name: string) =>
  `CREATE TABLE ${name} (id INTEGER PRIMARY KEY, name VARCHAR(100), email VARCHAR(200), amount DECIMAL(12,2), created_at TIMESTAMP, note VARCHAR(200))`;

interface Result {
  rows: number;
  seconds: number;
  maxRssMb: number;
}

const ctx = (): RunContext => ({
  signal: new AbortController().signal,
  log: { info() {}, warn() {} },
  templateData: {},
  currentExportDateTime: new Date().toISOString(),
});

// ---------------------------------------------------------------- child scenarios

async function adaptorCopy(conn: Doc, queryType: 'bulk_insert' | 'bulk_load', target: string): Promise<number> {
  const source = await rdbmsAdaptor.open(conn);
  const sink = await rdbmsAdaptor.open(conn);
  const imp: Doc = {
    _id: 'i',
    rdbms: queryType === 'bulk_insert'
      ? { queryType: ['bulk_insert'], bulkInsert: { tableName: target, batchSize: BATCH } }
      : { queryType: ['bulk_load'], bulkLoad: { tableName: target, primaryKeys: ['id'], batchSize: BATCH } },
  };
  let n = 0;
  for await (const page of source.exportPages!({ export: { _id: 'e', rdbms: { query: 'SELECT * FROM source' } }, pageSize: BATCH }, ctx())) {
    const out = await sink.importRecords!({ import: imp, records: page.records }, ctx());
    for (const o of out) if (o.statusCode !== 200) throw new Error(JSON.stringify(o));
    n += out.length;
  }
  await source.close();
  await sink.close();
  return n;
}

async function plainCopy(config: pg.ClientConfig, target: string): Promise<number> {
  const reader = new pg.Client(config);
  const writer = new pg.Client(config);
  await reader.connect();
  await writer.connect();
  const cursor = reader.query(new Cursor('SELECT * FROM source', []));
  let n = 0;
  for (;;) {
    const rows = await cursor.read(BATCH);
    if (rows.length === 0) break;
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      for (const c of COLUMNS) values.push(r[c]);
      return `(${COLUMNS.map((_, j) => `$${i * COLUMNS.length + j + 1}`).join(', ')})`;
    });
    await writer.query(`INSERT INTO ${target} (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    n += rows.length;
  }
  await cursor.close();
  await reader.end();
  await writer.end();
  return n;
}

/** The same copy as a flow run: jobs, stored pages and the engine, on embedded SQLite for the platform's own data. */
async function flowCopy(conn: Doc, target: string): Promise<number> {
  const { _id, ...connection } = conn;
  const { records } = await timeFlowRun(
    {
      source: { name: 'Source', ...connection },
      target: { name: 'Target', ...connection },
      export: { name: 'Rows', adaptorType: 'RDBMSExport', pageSize: BATCH, rdbms: { query: 'SELECT * FROM source' } },
      import: { name: 'Copy', adaptorType: 'RDBMSImport', rdbms: { queryType: ['bulk_insert'], bulkInsert: { tableName: target, batchSize: BATCH } } },
    },
    ROWS,
  );
  return records;
}

async function adaptorExportOnly(conn: Doc): Promise<number> {
  const s = await rdbmsAdaptor.open(conn);
  let n = 0;
  for await (const page of s.exportPages!({ export: { _id: 'e', rdbms: { query: 'SELECT * FROM source' } }, pageSize: BATCH }, ctx())) n += page.records.length;
  await s.close();
  return n;
}

async function child(scenario: string, arg: string): Promise<void> {
  const conn = JSON.parse(arg) as Doc;
  const r = conn.rdbms as { host: string; port: number; user: string; database: string };
  const started = performance.now();
  let rows: number;
  switch (scenario) {
    case 'adaptor-insert':
      rows = await adaptorCopy(conn, 'bulk_insert', 'target_adaptor');
      break;
    case 'flow-insert':
      rows = await flowCopy(conn, 'target_flow');
      break;
    case 'adaptor-upsert':
      rows = await adaptorCopy(conn, 'bulk_load', 'target_upsert');
      break;
    case 'plain':
      rows = await plainCopy({ host: r.host, port: r.port, user: r.user, database: r.database }, 'target_plain');
      break;
    case 'export':
      rows = await adaptorExportOnly(conn);
      break;
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const result: Result = { rows, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

function run(scenario: string, conn: Doc): Result {
  const out = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', scenario, JSON.stringify(conn)], {
    encoding: 'utf8',
    maxBuffer: 10 * 1024 * 1024,
    env: process.env,
  });
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${scenario} failed:\n${out.stdout}\n${out.stderr}`);
  return JSON.parse(line.slice(7)) as Result;
}

// ---------------------------------------------------------------- parent

async function main(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`bench/db: ${fmt(ROWS)} rows, pages and batches of ${BATCH}, Node ${process.version}`);
  const hasPg = await probePostgres().then(() => true, () => false);
  if (!hasPg) {
    console.log('PostgreSQL is not reachable on 127.0.0.1:5432: nothing to measure.');
    return;
  }
  const db: TempDatabase = await createPostgresDatabase('bench');
  const conn: Doc = { _id: 'c', type: 'rdbms', rdbms: { type: 'postgresql', host: db.host, port: db.port, user: db.user, password: db.password, database: db.name } };
  const admin = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.name });
  await admin.connect();
  const sqliteDir = mkdtempSync(join(tmpdir(), 'bench-db-'));
  let my: TempDatabase | undefined;
  try {
    await admin.query(TABLE_DDL('source').replace('TIMESTAMP', 'TIMESTAMPTZ'));
    await admin.query(
      `INSERT INTO source SELECT g, 'Customer ' || g, 'c' || g || '@example.com', (g % 10000) / 100.0, timestamptz '2024-01-01' + g * interval '1 second', repeat('x', 60) FROM generate_series(1, ${ROWS}) g`,
    );
    for (const t of ['target_adaptor', 'target_upsert', 'target_plain', 'target_flow']) await admin.query(TABLE_DDL(t).replace('TIMESTAMP', 'TIMESTAMPTZ'));
    await admin.query('VACUUM ANALYZE source');

    // Warm the source's pages into the cache, then run each path twice, alternating; the faster run counts.
    run('export', conn);
    const best = new Map<string, Result>();
    for (let round = 0; round < 2; round++) {
      for (const [scenario, table] of [['plain', 'target_plain'], ['adaptor-insert', 'target_adaptor'], ['flow-insert', 'target_flow'], ['adaptor-upsert', 'target_upsert']] as const) {
        await admin.query(`TRUNCATE ${table}`);
        await admin.query('CHECKPOINT');
        const r = run(scenario, conn);
        const { rows } = await admin.query(`SELECT COUNT(*)::int AS n FROM ${table}`);
        if (rows[0].n !== ROWS) throw new Error(`${table} has ${rows[0].n} rows, expected ${ROWS}`);
        const prev = best.get(scenario);
        if (!prev || r.seconds < prev.seconds) best.set(scenario, { ...r, maxRssMb: Math.max(r.maxRssMb, prev?.maxRssMb ?? 0) });
      }
    }
    const plain = best.get('plain')!;
    const insert = best.get('adaptor-insert')!;
    const upsert = best.get('adaptor-upsert')!;
    const flow = best.get('flow-insert')!;

    console.log('\nPostgreSQL → PostgreSQL copy (best of 2 alternating runs; peak RSS is the larger of the two)');
    console.log('| path | rows | seconds | rows/s | vs plain | peak RSS |');
    console.log('|---|---:|---:|---:|---:|---:|');
    const line = (name: string, r: Result) =>
      console.log(`| ${name} | ${fmt(r.rows)} | ${r.seconds.toFixed(2)} | ${fmt(r.rows / r.seconds)} | ${((r.rows / r.seconds) / (plain.rows / plain.seconds)).toFixed(2)}x | ${r.maxRssMb.toFixed(0)} MB |`);
    line('plain pg (cursor + multi-row INSERT)', plain);
    line('adaptor export → import (bulk_insert)', insert);
    line('flow run: RDBMS export → RDBMS import (bulk_insert)', flow);
    line('adaptor export → import (bulk_load upsert)', upsert);

    // Export-only memory, per dialect.
    console.log('\nExport only, peak RSS (bounded by page size, not table size)');
    console.log('| source | rows | seconds | rows/s | peak RSS |');
    console.log('|---|---:|---:|---:|---:|');
    const exportLine = (name: string, r: Result) => console.log(`| ${name} | ${fmt(r.rows)} | ${r.seconds.toFixed(2)} | ${fmt(r.rows / r.seconds)} | ${r.maxRssMb.toFixed(0)} MB |`);
    exportLine('PostgreSQL (pg-cursor)', run('export', conn));

    const file = join(sqliteDir, 'bench.db');
    const lite = new Database(file);
    lite.exec(TABLE_DDL('source'));
    lite.exec(
      `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ${ROWS}) INSERT INTO source SELECT i, 'Customer ' || i, 'c' || i || '@example.com', (i % 10000) / 100.0, '2024-01-01T00:00:00Z', hex(zeroblob(30)) FROM g`,
    );
    lite.close();
    exportLine('SQLite (iterate())', run('export', { _id: 'c', type: 'rdbms', rdbms: { type: 'sqlite', database: file } }));

    if (await probeMariadb().then(() => true, () => false)) {
      const mysql = await import('mysql2/promise');
      my = await createMariadbDatabase('bench');
      const c = await mysql.createConnection({ host: my.host, port: my.port, user: my.user, password: my.password, database: my.name });
      await c.query(TABLE_DDL('source'));
      await c.query(
        `INSERT INTO source SELECT seq, CONCAT('Customer ', seq), CONCAT('c', seq, '@example.com'), (seq % 10000) / 100.0, '2024-01-01 00:00:00', REPEAT('x', 60) FROM seq_1_to_${ROWS}`,
      );
      await c.end();
      exportLine('MariaDB (mysql2 stream)', run('export', { _id: 'c', type: 'rdbms', rdbms: { type: 'mariadb', host: my.host, port: my.port, user: my.user, password: my.password, database: my.name } }));
    } else {
      console.log('| MariaDB | not reachable | | | |');
    }
  } finally {
    await admin.end();
    await db.drop();
    await my?.drop();
    rmSync(sqliteDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
else await main();
