import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Which databases an RDBMS connection may reach, installed by the server at start (`useRdbmsPolicy`).
 * Without an installed policy (library use, unit tests) every target is allowed.
 *
 * - SQLite: a relative `rdbms.database` resolves against the data directory; the resolved file (after
 *   `..` normalisation and `realpath`, so symlinks count where they point) must lie inside the data
 *   directory or one of `sqliteRoots`; the server's own files (its SQLite store and that store's
 *   `-wal`/`-shm`/`-journal` files, the encryption key file) are always refused.
 * - PostgreSQL: a connection to the server's own store database (same host, port and database name as
 *   `DATABASE_URL`) is refused.
 */
export interface RdbmsPolicy {
  dataDir: string;
  /** Directories (besides the data directory) under which SQLite files may be opened. */
  sqliteRoots: readonly string[];
  /** Files no connection may open: the SQLite store, the encryption key file. */
  protectedFiles: readonly string[];
  /** `postgres://…` of the server's own store, when it is PostgreSQL. */
  storeDatabaseUrl?: string | undefined;
}

interface InstalledPolicy {
  dataDir: string;
  roots: string[];
  protectedFiles: string[];
  store?: { host: string; port: number; database: string };
}

const installed = new Set<InstalledPolicy>();

const SQLITE_SIDE_FILES = ['', '-wal', '-shm', '-journal'];

/** Installs a policy; returns the function that removes it. With several installed, a target must pass every one. */
export function useRdbmsPolicy(policy: RdbmsPolicy): () => void {
  const dataDir = realOrResolved(policy.dataDir);
  const entry: InstalledPolicy = {
    dataDir,
    roots: [dataDir, ...policy.sqliteRoots.map(realOrResolved)],
    protectedFiles: policy.protectedFiles.flatMap((f) => {
      const real = realOrResolved(f);
      return SQLITE_SIDE_FILES.flatMap((suffix) => [real + suffix, resolve(f) + suffix]);
    }),
  };
  if (policy.storeDatabaseUrl) {
    try {
      const url = new URL(policy.storeDatabaseUrl);
      entry.store = { host: url.hostname || 'localhost', port: Number(url.port || 5432), database: decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres' };
    } catch {
      // not a URL: nothing to compare against
    }
  }
  installed.add(entry);
  return () => {
    installed.delete(entry);
  };
}

/**
 * The file a SQLite connection opens: `database` resolved against the data directory and through symlinks.
 * Throws an Error naming `rdbms.database` when an installed policy refuses it. `:memory:` is always allowed.
 */
export function sqliteTarget(database: string): string {
  if (installed.size === 0 || database === ':memory:') return database;
  let target = '';
  for (const policy of installed) {
    const resolved = isAbsolute(database) ? resolve(database) : resolve(policy.dataDir, database);
    const real = realOrResolved(resolved);
    if (policy.protectedFiles.includes(real) || policy.protectedFiles.includes(resolved)) {
      throw new Error(`rdbms.database "${database}" is one of this server's own files; it cannot be opened through a connection`);
    }
    if (!policy.roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
      throw new Error(
        `rdbms.database "${database}" is outside the directories SQLite connections may use (the data directory${policy.roots.length > 1 ? ' and INTEGRATOR_SQLITE_ROOTS' : ''})`,
      );
    }
    target = real;
  }
  return target;
}

/** Throws an Error naming `rdbms.database` when the target is the server's own PostgreSQL store. */
export function checkPostgresTarget(host: string, port: number, database: string | undefined, user?: string): void {
  for (const policy of installed) {
    const store = policy.store;
    if (!store) continue;
    const db = database || user || 'postgres';
    if (sameHost(host, store.host) && port === store.port && db === store.database) {
      throw new Error(`rdbms.database "${db}" on ${host}:${port} is this server's own store database; it cannot be used through a connection`);
    }
  }
}

/** The reason a connection's target is refused, or undefined (for checks at save time). */
export function refusal(block: { type?: unknown; database?: unknown; host?: unknown; port?: unknown; user?: unknown }): string | undefined {
  const type = String(block.type ?? '').toLowerCase();
  try {
    if (type === 'sqlite' && typeof block.database === 'string' && block.database) sqliteTarget(block.database);
    if (type === 'postgresql' || type === 'postgres') {
      checkPostgresTarget(String(block.host || '127.0.0.1'), Number(block.port ?? 5432), typeof block.database === 'string' ? block.database : undefined, typeof block.user === 'string' ? block.user : undefined);
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '']);

function sameHost(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // A Unix socket directory is this machine too.
  const local = (h: string) => LOOPBACK.has(h) || h.startsWith('/');
  return x === y || (local(x) && local(y));
}

/** `realpath` of the path, or of its nearest existing ancestor joined with the rest (a file not created yet). */
function realOrResolved(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    const parent = dirname(full);
    if (parent === full) return full;
    return join(realOrResolved(parent), basename(full));
  }
}
