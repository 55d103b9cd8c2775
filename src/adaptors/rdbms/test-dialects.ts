// Test fixtures shared by the RDBMS adaptor's test files: one entry per dialect, each with its own database.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMariadbDatabase,
  createPostgresDatabase,
  probeMariadb,
  probePostgres,
  requireService,
  type TempDatabase,
} from '../../../test/support/services.js';
import type { AdaptorSession, Doc, RunContext } from '../adaptor.js';
import { rdbmsAdaptor } from './index.js';

export interface DialectFixture {
  name: 'sqlite' | 'postgresql' | 'mysql';
  /** Column type for a date-time with time zone semantics. */
  timestamp: string;
  connection: Doc;
  /** Runs DDL or setup SQL directly (no adaptor involved). */
  exec(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  open(): Promise<AdaptorSession>;
  teardown(): Promise<void>;
}

export interface DialectEntry {
  name: DialectFixture['name'];
  available: boolean;
  setup(): Promise<DialectFixture>;
}

const hasPostgres = await requireService('PostgreSQL', probePostgres);
const hasMariadb = await requireService('MariaDB', probeMariadb);

export const dialects: DialectEntry[] = [
  { name: 'sqlite', available: true, setup: sqliteFixture },
  { name: 'postgresql', available: hasPostgres, setup: postgresFixture },
  { name: 'mysql', available: hasMariadb, setup: mariadbFixture },
];

async function sqliteFixture(): Promise<DialectFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'rdbms-test-'));
  const file = join(dir, 'test.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const connection: Doc = { _id: 'c-sqlite', type: 'rdbms', rdbms: { type: 'sqlite', database: file } };
  return {
    name: 'sqlite',
    timestamp: 'TEXT',
    connection,
    async exec(sql) {
      db.exec(sql);
    },
    async rows(sql) {
      return db.prepare(sql).all() as Record<string, unknown>[];
    },
    open: () => rdbmsAdaptor.open(connection),
    async teardown() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresFixture(): Promise<DialectFixture> {
  const { default: pg } = await import('pg');
  const temp: TempDatabase = await createPostgresDatabase('rdbms');
  const client = new pg.Client({ host: temp.host, port: temp.port, user: temp.user, password: temp.password, database: temp.name });
  await client.connect();
  const connection: Doc = {
    _id: 'c-pg',
    type: 'rdbms',
    rdbms: { type: 'postgresql', host: temp.host, port: temp.port, user: temp.user, password: temp.password, database: temp.name },
  };
  return {
    name: 'postgresql',
    timestamp: 'TIMESTAMPTZ',
    connection,
    async exec(sql) {
      await client.query(sql);
    },
    async rows(sql) {
      return (await client.query(sql)).rows;
    },
    open: () => rdbmsAdaptor.open(connection),
    async teardown() {
      await client.end();
      await temp.drop();
    },
  };
}

async function mariadbFixture(): Promise<DialectFixture> {
  const mysql = await import('mysql2/promise');
  const temp: TempDatabase = await createMariadbDatabase('rdbms');
  const conn = await mysql.createConnection({
    host: temp.host, port: temp.port, user: temp.user, password: temp.password, database: temp.name, multipleStatements: true, timezone: 'Z',
  });
  const connection: Doc = {
    _id: 'c-my',
    type: 'rdbms',
    rdbms: { type: 'mariadb', host: temp.host, port: temp.port, user: temp.user, password: temp.password, database: temp.name },
  };
  return {
    name: 'mysql',
    timestamp: 'DATETIME(3)',
    connection,
    async exec(sql) {
      await conn.query(sql);
    },
    async rows(sql) {
      const [rows] = await conn.query(sql);
      return rows as Record<string, unknown>[];
    },
    open: () => rdbmsAdaptor.open(connection),
    async teardown() {
      await conn.end();
      await temp.drop();
    },
  };
}

export function runContext(overrides: Partial<RunContext> = {}): RunContext {
  return {
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined },
    templateData: {},
    currentExportDateTime: new Date().toISOString(),
    ...overrides,
  };
}
