import mysql from 'mysql2/promise';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { Readable } from 'node:stream';
import { ConnectError, READ_ONLY_MESSAGE, errorMessage, jsonParam, valuesList, type QueryResult, type RdbmsDriver, type Row, type SqlRunner } from './driver.js';
import type { DriverOptions } from './connection.js';
import { targetGuard } from './policy.js';

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
    // DATE columns come out as "YYYY-MM-DD", as from PostgreSQL; DATETIME/TIMESTAMP stay Dates (ISO strings).
    dateStrings: ['DATE'],
    supportBigNumbers: true,
    bigNumberStrings: false,
    // Each prepared statement holds server memory; MariaDB caps them server-wide (max_prepared_stmt_count).
    maxPreparedStatements: 64,
  });

  // The store guard (should the store ever be MySQL), hosts resolved: before every checkout.
  const guard = targetGuard('mysql', o.host, o.port, o.database, o.user);

  async function checkout(): Promise<PoolConnection> {
    try {
      await guard();
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

  // Per table: whether its only unique index (PRIMARY included) is exactly the upsert keys.
  const fastUpsert = new Map<string, Promise<boolean>>();

  function keysAreOnlyUniqueIndex(runner: SqlRunner, table: string, keys: readonly string[]): Promise<boolean> {
    const cacheKey = `${table}\u0000${[...keys].sort().join(',')}`;
    let answer = fastUpsert.get(cacheKey);
    if (!answer) {
      const parts = unquoteTable(table);
      const schema = parts.length === 2 ? parts[0]! : undefined;
      const name = parts.at(-1)!;
      answer = runner
        .query(
          `SELECT INDEX_NAME AS index_name, COLUMN_NAME AS column_name FROM information_schema.STATISTICS
           WHERE TABLE_SCHEMA = ${schema === undefined ? 'DATABASE()' : '?'} AND TABLE_NAME = ? AND NON_UNIQUE = 0`,
          schema === undefined ? [name] : [schema, name],
        )
        .then(({ rows }) => {
          const indexes = new Map<string, Set<string>>();
          for (const r of rows) {
            const index = String(r.index_name ?? r.INDEX_NAME);
            if (!indexes.has(index)) indexes.set(index, new Set());
            indexes.get(index)!.add(String(r.column_name ?? r.COLUMN_NAME).toLowerCase());
          }
          if (indexes.size !== 1) return false;
          const only = [...indexes.values()][0]!;
          return only.size === keys.length && keys.every((k) => only.has(k.toLowerCase()));
        });
      answer.catch(() => fastUpsert.delete(cacheKey));
      fastUpsert.set(cacheKey, answer);
    }
    return answer;
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

    async *stream(sql, params, pageSize, signal, options) {
      const conn = await checkout();
      const readOnly = options?.readOnly === true;
      let finished = false;
      try {
        if (readOnly) {
          // The session default too, so a statement that commits implicitly (DDL) still cannot write after.
          await conn.query('SET SESSION TRANSACTION READ ONLY');
          await conn.query('START TRANSACTION READ ONLY');
        }
        // The callback-style connection underneath streams rows and pauses the socket when we stop reading.
        const core = (conn as unknown as { connection: { execute(sql: string, values: unknown[]): { stream(o: object): Readable } } }).connection;
        const rows = core.execute(sql, params.map(jsonParam)).stream({ objectMode: true, highWaterMark: Math.max(16, pageSize) });
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
      } catch (err) {
        if (readOnly && /READ_ONLY|read.only/i.test(`${String((err as { code?: unknown }).code)} ${errorMessage(err)}`)) {
          throw new Error(`${READ_ONLY_MESSAGE}: ${errorMessage(err)}`, { cause: err });
        }
        throw err;
      } finally {
        // A result set left half-read blocks the connection: drop it instead of returning it to the pool.
        // A read-only session is dropped too (the server rolls its transaction back): its defaults must not
        // reach the next user of the pool.
        if (finished && !readOnly) conn.release();
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

    async upsert(runner, table, columns, values, keys) {
      const q = driver.quoteIdentifier;
      const insert = (rows: readonly unknown[][], r: SqlRunner = runner) =>
        r.query(`INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES ${valuesList(columns.length, rows.length, driver.placeholder)}`, rows.flat());
      if (keys.length === 0) return insert(values);
      // ON DUPLICATE KEY fires on any unique index, not only on `keys`: it is right only when the keys are
      // the table's one unique index. Otherwise rows are matched on the keys alone: existing ones updated by
      // key, the rest inserted (a duplicate on another unique index then fails, as on PostgreSQL).
      if (await keysAreOnlyUniqueIndex(runner, table, keys)) {
        const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${q(c)} = VALUES(${q(c)})`);
        const sql = `INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES ${valuesList(columns.length, values.length, driver.placeholder)}`;
        return runner.query(`${sql} ON DUPLICATE KEY UPDATE ${updates.length > 0 ? updates.join(', ') : `${q(keys[0]!)} = ${q(keys[0]!)}`}`, values.flat());
      }
      const keyIndexes = keys.map((k) => columns.indexOf(k));
      if (keyIndexes.some((i) => i < 0)) throw new Error(`a record lacks primary key field "${keys[keyIndexes.findIndex((i) => i < 0)]}"`);
      const setColumns = columns.map((c, i) => ({ c, i })).filter(({ c }) => !keys.includes(c));
      const where = keys.map((k) => `${q(k)} = ?`).join(' AND ');
      const work = async (tx: SqlRunner): Promise<QueryResult> => {
        // Which keys exist (one query); a value the server compares differently (collations) is caught
        // below: an UPDATE that matched nothing falls back to INSERT, a missed match fails the INSERT.
        const keyTuple = keys.length === 1 ? q(keys[0]!) : `(${keys.map(q).join(', ')})`;
        const tuple = keys.length === 1 ? '?' : `(${keys.map(() => '?').join(', ')})`;
        const found = await tx.query(
          `SELECT ${keys.map(q).join(', ')} FROM ${table} WHERE ${keyTuple} IN (${values.map(() => tuple).join(', ')})`,
          values.flatMap((row) => keyIndexes.map((i) => row[i])),
        );
        const existing = new Set(found.rows.map((r) => keyOf(keys.map((k) => r[k]))));
        const single = values.length === 1 && found.rows.length > 0;
        const toInsert: unknown[][] = [];
        let affected = 0;
        for (const row of values) {
          if (!single && !existing.has(keyOf(keyIndexes.map((i) => row[i])))) {
            toInsert.push(row);
            continue;
          }
          if (setColumns.length === 0) {
            affected++;
            continue;
          }
          // FOUND_ROWS (mysql2's default): affectedRows counts matched rows, changed or not.
          const r = await tx.query(`UPDATE ${table} SET ${setColumns.map(({ c }) => `${q(c)} = ?`).join(', ')} WHERE ${where}`, [
            ...setColumns.map(({ i }) => row[i]),
            ...keyIndexes.map((i) => row[i]),
          ]);
          if (r.rowCount === 0) toInsert.push(row);
          else affected += r.rowCount;
        }
        if (toInsert.length > 0) affected += (await insert(toInsert, tx)).rowCount;
        return { rows: [], rowCount: affected };
      };
      return runner === driver ? driver.transaction(work) : work(runner);
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

/** `\`db\`.\`t\`` → ['db', 't'] (names were validated and quoted by quoteName). */
function unquoteTable(table: string): string[] {
  return (table.match(/`(?:[^`]|``)*`/g) ?? [table]).map((p) => (p.startsWith('`') ? p.slice(1, -1).replaceAll('``', '`') : p));
}

/** A comparable form of a key tuple: MySQL's default collations ignore case and trailing spaces. */
function keyOf(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v.toLowerCase().replace(/ +$/, '') : String(v))));
}
