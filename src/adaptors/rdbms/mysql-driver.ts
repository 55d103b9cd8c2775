import mysql from 'mysql2/promise';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { Readable } from 'node:stream';
import { ConnectError, errorMessage, jsonParam, valuesList, type QueryResult, type RdbmsDriver, type Row, type SqlRunner } from './driver.js';
import type { DriverOptions } from './connection.js';

/** MySQL and MariaDB through mysql2; statements with values are server-side prepared (`execute`). */
export function createMysqlDriver(o: DriverOptions, product: 'MySQL' | 'MariaDB' = 'MySQL'): RdbmsDriver {
  const description = `${product} at ${o.host}:${o.port}`;
  const pool: Pool = mysql.createPool({
    host: o.host,
    port: o.port,
    database: o.database,
    user: o.user,
    password: o.password,
    ssl: o.ssl === true ? {} : o.ssl || undefined,
    connectTimeout: o.connectTimeoutMs,
    connectionLimit: 4,
    // DATETIME values are read and written as UTC, whatever this process's time zone.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    // Each prepared statement holds server memory; MariaDB caps them server-wide (max_prepared_stmt_count).
    maxPreparedStatements: 64,
  });

  async function checkout(): Promise<PoolConnection> {
    try {
      return await pool.getConnection();
    } catch (err) {
      throw new ConnectError(`connecting to ${description}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async function run(conn: PoolConnection, sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    const [result] = params.length > 0 ? await conn.execute(sql, params.map(jsonParam) as never[]) : await conn.query(sql);
    if (Array.isArray(result)) return { rows: result as Row[], rowCount: result.length };
    return { rows: [], rowCount: (result as { affectedRows?: number }).affectedRows ?? 0 };
  }

  function done(conn: PoolConnection, err?: unknown): void {
    if (err !== undefined && driver.isConnectionError(err)) conn.destroy();
    else conn.release();
  }

  const driver: RdbmsDriver = {
    dialect: 'mysql',
    description,
    maxParams: 65_535,
    placeholder: () => '?',
    quoteIdentifier: (name) => `\`${name.replaceAll('`', '``')}\``,

    async query(sql, params = []) {
      const conn = await checkout();
      try {
        const r = await run(conn, sql, params);
        done(conn);
        return r;
      } catch (err) {
        done(conn, err);
        throw err;
      }
    },

    async *stream(sql, params, pageSize, signal) {
      const conn = await checkout();
      // The callback-style connection underneath streams rows and pauses the socket when we stop reading.
      const core = (conn as unknown as { connection: { execute(sql: string, values: unknown[]): { stream(o: object): Readable } } }).connection;
      const rows = core.execute(sql, params.map(jsonParam)).stream({ objectMode: true, highWaterMark: Math.max(16, pageSize) });
      let finished = false;
      try {
        let page: Row[] = [];
        for await (const row of rows) {
          page.push(row as Row);
          if (page.length >= pageSize) {
            signal?.throwIfAborted();
            yield page;
            page = [];
          }
        }
        finished = true;
        if (page.length > 0) yield page;
      } finally {
        // A result set left half-read blocks the connection: drop it instead of returning it to the pool.
        if (finished) conn.release();
        else conn.destroy();
      }
    },

    async transaction(fn, options) {
      const conn = await checkout();
      try {
        await conn.query('START TRANSACTION');
        const tx: SqlRunner = { query: (sql, params) => run(conn, sql, params) };
        let result;
        try {
          result = await fn(tx);
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        await conn.query(options?.rollback ? 'ROLLBACK' : 'COMMIT');
        done(conn);
        return result;
      } catch (err) {
        done(conn, err);
        throw err;
      }
    },

    upsert(runner, table, columns, values, keys) {
      const q = driver.quoteIdentifier;
      let sql = `INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES ${valuesList(columns.length, values.length, driver.placeholder)}`;
      if (keys.length > 0) {
        // MySQL has no conflict target: the duplicate may be on the primary key or on any unique index.
        const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${q(c)} = VALUES(${q(c)})`);
        sql += ` ON DUPLICATE KEY UPDATE ${updates.length > 0 ? updates.join(', ') : `${q(keys[0]!)} = ${q(keys[0]!)}`}`;
      }
      return runner.query(sql, values.flat());
    },

    isConnectionError(err) {
      if (err instanceof ConnectError) return true;
      const e = err as { fatal?: unknown; code?: unknown } | null;
      if (e?.fatal === true) return true;
      return /^(PROTOCOL_|ECONN|ETIMEDOUT|EPIPE|ER_CON_COUNT_ERROR|ER_SERVER_SHUTDOWN)/.test(String(e?.code ?? ''));
    },

    async close() {
      await pool.end();
    },
  };
  return driver;
}
