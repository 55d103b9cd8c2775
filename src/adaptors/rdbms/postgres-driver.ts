import pg from 'pg';
import Cursor from 'pg-cursor';
import { ConnectError, READ_ONLY_MESSAGE, errorMessage, jsonParam, valuesList, type QueryResult, type RdbmsDriver, type Row, type SqlRunner } from './driver.js';
import type { DriverOptions } from './connection.js';
import { targetGuard } from './policy.js';

// Per-driver type parsers, so the process-wide pg defaults stay untouched.
const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (s: string) => (Number.isSafeInteger(Number(s)) ? Number(s) : s);
    if (oid === DATE) return (s: string) => s;
    // timestamp without time zone: read as UTC, so the value does not depend on this process's TZ.
    if (oid === TIMESTAMP) return (s: string) => (/^\d{4}-/.test(s) ? new Date(`${s.replace(' ', 'T')}Z`) : s);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function createPostgresDriver(o: DriverOptions): RdbmsDriver {
  const description = `PostgreSQL at ${o.host}:${o.port}`;
  const pool = new pg.Pool({
    host: o.host,
    port: o.port,
    database: o.database,
    user: o.user,
    password: o.password,
    ssl: o.ssl,
    connectionTimeoutMillis: o.connectTimeoutMs,
    max: 4,
    idleTimeoutMillis: 10_000,
    types,
  });
  // An idle client losing its server must not crash the process; the next checkout reconnects.
  pool.on('error', () => undefined);

  // The store guard, hosts resolved: before every checkout (so at ping and at run time).
  const guard = targetGuard('postgresql', o.host, o.port, o.database, o.user);

  async function checkout(): Promise<pg.PoolClient> {
    try {
      await guard();
      return await pool.connect();
    } catch (err) {
      throw new ConnectError(`connecting to ${description}: ${errorMessage(err)}`, { cause: err });
    }
  }

  const toParams = (params: readonly unknown[]) => params.map(jsonParam);

  async function run(client: pg.PoolClient | pg.Pool, sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    const r = await client.query<Row>({ text: sql, values: toParams(params) });
    return { rows: r.rows ?? [], rowCount: r.rowCount ?? r.rows?.length ?? 0 };
  }

  const driver: RdbmsDriver = {
    dialect: 'postgresql',
    description,
    maxParams: 65_535,
    placeholder: (n) => `$${n}`,
    quoteIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,

    async query(sql, params = []) {
      const client = await checkout();
      let broken: Error | undefined;
      try {
        return await run(client, sql, params);
      } catch (err) {
        if (driver.isConnectionError(err)) broken = err as Error;
        throw err;
      } finally {
        client.release(broken);
      }
    },

    async *stream(sql, params, pageSize, signal, options) {
      const client = await checkout();
      const readOnly = options?.readOnly === true;
      let failed: Error | undefined;
      let cursor: Cursor<Row> | undefined;
      try {
        if (readOnly) await client.query('BEGIN READ ONLY');
        cursor = client.query(new Cursor<Row>(sql, toParams(params)));
        for (;;) {
          signal?.throwIfAborted();
          const rows = await cursor.read(pageSize);
          if (rows.length === 0) return;
          yield rows;
        }
      } catch (err) {
        failed = err as Error;
        if (readOnly && String((err as { code?: unknown }).code) === '25006') throw new Error(`${READ_ONLY_MESSAGE}: ${errorMessage(err)}`, { cause: err });
        throw err;
      } finally {
        await cursor?.close().catch(() => undefined);
        if (readOnly) await client.query('ROLLBACK').catch((e: Error) => (failed = e));
        client.release(failed && (readOnly || driver.isConnectionError(failed)) ? failed : undefined);
      }
    },

    async transaction(fn, options) {
      const client = await checkout();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx: SqlRunner = { query: (sql, params) => run(client, sql, params) };
        try {
          const result = await fn(tx);
          await client.query(options?.rollback ? 'ROLLBACK' : 'COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch((e: Error) => (broken = e));
          throw err;
        }
      } catch (err) {
        if (driver.isConnectionError(err)) broken = err as Error;
        throw err;
      } finally {
        client.release(broken);
      }
    },

    upsert(runner, table, columns, values, keys) {
      const cols = columns.map(driver.quoteIdentifier).join(', ');
      let sql = `INSERT INTO ${table} (${cols}) VALUES ${valuesList(columns.length, values.length, driver.placeholder)}`;
      if (keys.length > 0) {
        const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${driver.quoteIdentifier(c)} = EXCLUDED.${driver.quoteIdentifier(c)}`);
        const target = keys.map(driver.quoteIdentifier).join(', ');
        sql += updates.length > 0 ? ` ON CONFLICT (${target}) DO UPDATE SET ${updates.join(', ')}` : ` ON CONFLICT (${target}) DO NOTHING`;
      }
      return runner.query(sql, values.flat());
    },

    isConnectionError(err) {
      if (err instanceof ConnectError) return true;
      const code = String((err as { code?: unknown } | null)?.code ?? '');
      // SQLSTATE class 08 (connection), 57P01-57P03 (shutdown), 53 (insufficient resources) and socket errors.
      if (/^(08|57P0|53)/.test(code) || /^E[A-Z]+$/.test(code)) return true;
      return /Connection terminated|Client has encountered a connection error/i.test(errorMessage(err));
    },

    async close() {
      await pool.end();
    },
  };
  return driver;
}
