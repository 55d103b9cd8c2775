import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const MAX_STATEMENTS = 500;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs as much as running a small query.
 * This wrapper reuses prepared statements by SQL text. A statement still busy (an open iterator of a
 * streamed query) is never shared: a fresh one is prepared instead.
 */
export function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached && !cached.busy) return cached as unknown as SqliteStatement;
      const stmt = sqlite.prepare(sql);
      if (!cached) {
        if (cache.size >= MAX_STATEMENTS) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt as unknown as SqliteStatement;
    },
  };
}
