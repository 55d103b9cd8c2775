import Database from 'better-sqlite3';
import { sqliteTarget } from './policy.js';
import { checkSqliteStatement } from './sqlite-guard.js';
import { ConnectError, READ_ONLY_MESSAGE, errorMessage, serialiser, valuesList, type QueryResult, type RdbmsDriver, type Row, type SqlRunner } from './driver.js';
import type { DriverOptions } from './connection.js';

/** SQLite through better-sqlite3: `rdbms.database` is the file path (or `:memory:`). */
export function createSqliteDriver(o: DriverOptions): RdbmsDriver {
  const path = o.database ?? '';
  const description = `SQLite database ${path}`;
  let db: Database.Database | undefined;
  const exclusive = serialiser();

  function open(): Database.Database {
    if (db) return db;
    try {
      if (!path) throw new Error('rdbms.database (the file path) is missing');
      // The server's path policy (data directory, INTEGRATOR_SQLITE_ROOTS); the checked real path is opened.
      const file = sqliteTarget(path);
      db = new Database(file, { fileMustExist: path !== ':memory:', timeout: o.connectTimeoutMs });
      return db;
    } catch (err) {
      throw new ConnectError(`connecting to ${description}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * The one place statements are prepared: every query the adaptor runs (exports, imports, lookups,
   * once.query, ping) passes the statement guard first (no ATTACH, DETACH, VACUUM, load_extension).
   */
  function prepare(sql: string): Database.Statement {
    checkSqliteStatement(sql);
    return open().prepare(sql);
  }

  function run(sql: string, params: readonly unknown[] = []): QueryResult {
    const stmt = prepare(sql);
    const values = params.map(toSqlite);
    if (stmt.reader) {
      const rows = stmt.all(...values) as Row[];
      return { rows, rowCount: rows.length };
    }
    const info = stmt.run(...values);
    return { rows: [], rowCount: info.changes };
  }

  const driver: RdbmsDriver = {
    dialect: 'sqlite',
    description,
    maxParams: 32_766,
    placeholder: () => '?',
    quoteIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,

    async query(sql, params) {
      return run(sql, params);
    },

    async *stream(sql, params, pageSize, signal, options) {
      const stmt = prepare(sql);
      if (options?.readOnly && !stmt.readonly) throw new Error(`${READ_ONLY_MESSAGE}; this statement writes to the database`);
      // iterate() steps the statement row by row: memory stays at one page whatever the table size.
      const iterator = stmt.iterate(...params.map(toSqlite)) as IterableIterator<Row>;
      try {
        let page: Row[] = [];
        for (const row of iterator) {
          page.push(row);
          if (page.length >= pageSize) {
            signal?.throwIfAborted();
            yield page;
            page = [];
          }
        }
        if (page.length > 0) yield page;
      } finally {
        iterator.return?.();
      }
    },

    transaction(fn, options) {
      // One connection: transactions take turns, and BEGIN IMMEDIATE takes the write lock up front.
      return exclusive(async () => {
        const conn = open();
        conn.exec('BEGIN IMMEDIATE');
        const tx: SqlRunner = { query: async (sql, params) => run(sql, params) };
        try {
          const result = await fn(tx);
          conn.exec(options?.rollback ? 'ROLLBACK' : 'COMMIT');
          return result;
        } catch (err) {
          if (conn.inTransaction) conn.exec('ROLLBACK');
          throw err;
        }
      });
    },

    upsert(runner, table, columns, values, keys) {
      const cols = columns.map(driver.quoteIdentifier).join(', ');
      let sql = `INSERT INTO ${table} (${cols}) VALUES ${valuesList(columns.length, values.length, driver.placeholder)}`;
      if (keys.length > 0) {
        const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${driver.quoteIdentifier(c)} = excluded.${driver.quoteIdentifier(c)}`);
        const target = keys.map(driver.quoteIdentifier).join(', ');
        sql += updates.length > 0 ? ` ON CONFLICT (${target}) DO UPDATE SET ${updates.join(', ')}` : ` ON CONFLICT (${target}) DO NOTHING`;
      }
      return runner.query(sql, values.flat());
    },

    isConnectionError(err) {
      if (err instanceof ConnectError) return true;
      const code = String((err as { code?: unknown } | null)?.code ?? '');
      return /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|CORRUPT|FULL|NOTADB|READONLY|PERM)/.test(code);
    },

    async close() {
      db?.close();
      db = undefined;
    },
  };
  return driver;
}

/** better-sqlite3 binds only numbers, strings, bigints, buffers and null. */
function toSqlite(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}
