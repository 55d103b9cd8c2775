import { lookup } from 'node:dns/promises';
import { realpathSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Which databases an RDBMS connection may reach, installed by the server at start (`useRdbmsPolicy`).
 * Without an installed policy (library use, unit tests) every target is allowed.
 *
 * - SQLite: a relative `rdbms.database` resolves against the data directory; the resolved file (after
 *   `..` normalisation and `realpath`, so symlinks count where they point) must lie inside the data
 *   directory or one of `sqliteRoots`; the server's own files (its SQLite store and that store's
 *   `-wal`/`-shm`/`-journal` files, the encryption key file) are always refused.
 * - PostgreSQL (MySQL, should the store ever be one): a connection to the server's own store database
 *   (same host, port and database name as `DATABASE_URL`) is refused. At save time hosts are compared
 *   without DNS (numeric forms normalised); when a session connects (ping, run) both hosts are resolved
 *   and compared by address, every address of this machine counting as one host.
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
  store?: { dialect: NetworkDialect; host: string; port: number; database: string | undefined };
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
      const dialect: NetworkDialect | undefined = /^postgres(ql)?:$/i.test(url.protocol) ? 'postgresql' : /^(mysql|mariadb):$/i.test(url.protocol) ? 'mysql' : undefined;
      if (dialect) {
        const pg = dialect === 'postgresql';
        // As the store's driver reads it: the URL, its ?host=/?port= (a Unix socket), then PGHOST/PGPORT.
        const host = url.hostname || url.searchParams.get('host') || (pg ? process.env.PGHOST : undefined) || 'localhost';
        const port = Number(url.port || url.searchParams.get('port') || (pg ? process.env.PGPORT : undefined) || (pg ? 5432 : 3306));
        const user = decodeURIComponent(url.username) || undefined;
        const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
        entry.store = { dialect, host, port, database: effectiveDatabase(dialect, database, user) };
      }
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

/** The dialect family of a network database (`postgresql`, `postgres` → postgresql; `mysql`, `mariadb` → mysql). */
export type NetworkDialect = 'postgresql' | 'mysql';

/**
 * Sync check at save time: throws an Error naming `rdbms.database` when the target is literally the
 * server's own store (host names compared after normalising numeric forms such as `127.1`, `::ffff:127.0.0.1`,
 * `localhost`, this machine's host name and interface addresses). Host names that need DNS are compared by
 * `checkNetworkTargetResolved`, which runs whenever a session connects (ping, run).
 */
export function checkPostgresTarget(host: string, port: number, database: string | undefined, user?: string): void {
  checkNetworkTarget('postgresql', host, port, database, user);
}

export function checkNetworkTarget(dialect: NetworkDialect, host: string, port: number, database: string | undefined, user?: string): void {
  for (const policy of installed) {
    const store = policy.store;
    if (!store || store.dialect !== dialect) continue;
    if (port !== store.port || !sameDatabase(dialect, effectiveDatabase(dialect, database, user), store.database)) continue;
    if (sameHostLiteral(host, store.host)) throw storeRefusal(dialect, host, port, database, user);
  }
}

/**
 * The async check a session makes before connecting (so at ping, POST /v1/connections/ping included, and
 * at run time): both the connection's host and the store's host are resolved (`dns.lookup`, all addresses);
 * they are the same host when they share an address, or when both are this machine (a loopback address,
 * an unspecified address, an address of one of this machine's interfaces, or a Unix-socket directory).
 * A host that cannot be resolved is refused while a store is to be guarded: the driver would resolve it
 * again and could get an answer this check did not see.
 */
export async function checkNetworkTargetResolved(dialect: NetworkDialect, host: string, port: number, database: string | undefined, user?: string): Promise<void> {
  checkNetworkTarget(dialect, host, port, database, user);
  for (const policy of [...installed]) {
    const store = policy.store;
    if (!store || store.dialect !== dialect) continue;
    if (port !== store.port || !sameDatabase(dialect, effectiveDatabase(dialect, database, user), store.database)) continue;
    const [mine, theirs] = await Promise.all([resolveHost(host), resolveHost(store.host).catch(() => undefined)]);
    if (!theirs) {
      // The store's own host does not resolve now: compare with what is known literally (done above) and
      // treat a local connection target as the store when the store is local by name.
      if (mine.local && literalKey(store.host).local) throw storeRefusal(dialect, host, port, database, user);
      continue;
    }
    const shared = [...mine.addresses].some((a) => theirs.addresses.has(a));
    if (shared || (mine.local && theirs.local)) throw storeRefusal(dialect, host, port, database, user);
  }
}

const GUARD_TTL_MS = 30_000;

/**
 * `checkNetworkTargetResolved` for one driver's target, remembered for GUARD_TTL_MS once passed (a lookup
 * runs one statement per value); a refusal is never remembered as a pass.
 */
export function targetGuard(dialect: NetworkDialect, host: string, port: number, database: string | undefined, user?: string): () => Promise<void> {
  let passedAt = -Infinity;
  return async () => {
    if (installed.size === 0) return;
    if (Date.now() - passedAt < GUARD_TTL_MS) return;
    await checkNetworkTargetResolved(dialect, host, port, database, user);
    passedAt = Date.now();
  };
}

function storeRefusal(dialect: NetworkDialect, host: string, port: number, database: string | undefined, user?: string): Error {
  const db = effectiveDatabase(dialect, database, user) ?? '(none)';
  return new Error(`rdbms.database "${db}" on ${host}:${port} is this server's own store database; it cannot be used through a connection`);
}

/** The database a connection ends up in: PostgreSQL falls back like `pg` does (PGDATABASE, then the user). */
function effectiveDatabase(dialect: NetworkDialect, database: string | undefined, user: string | undefined): string | undefined {
  if (database) return database;
  if (dialect === 'mysql') return undefined;
  return process.env.PGDATABASE || user || process.env.PGUSER || process.env.USER || 'postgres';
}

/**
 * PostgreSQL names are compared exactly and, to be safe, case-insensitively too. A MySQL connection
 * without a database reaches every database on the server, the store's included.
 */
function sameDatabase(dialect: NetworkDialect, a: string | undefined, b: string | undefined): boolean {
  if (dialect === 'mysql' && (a === undefined || b === undefined)) return true;
  return a !== undefined && b !== undefined && (a === b || a.toLowerCase() === b.toLowerCase());
}

/** The reason a connection's target is refused, or undefined (for checks at save time). */
export function refusal(block: { type?: unknown; database?: unknown; host?: unknown; port?: unknown; user?: unknown }): string | undefined {
  const type = String(block.type ?? '').toLowerCase();
  const database = typeof block.database === 'string' ? block.database : undefined;
  const user = typeof block.user === 'string' ? block.user : undefined;
  try {
    if (type === 'sqlite' && database) sqliteTarget(database);
    if (type === 'postgresql' || type === 'postgres') checkNetworkTarget('postgresql', String(block.host || '127.0.0.1'), Number(block.port ?? 5432), database, user);
    if (type === 'mysql' || type === 'mariadb') checkNetworkTarget('mysql', String(block.host || '127.0.0.1'), Number(block.port ?? 3306), database, user);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

// ---- host comparison -------------------------------------------------------------------------------

interface HostKey {
  /** A normalised address, or the lower-cased name when the host is not numeric. */
  id: string;
  /** This machine: loopback, unspecified, one of its interface addresses or host names, a Unix socket. */
  local: boolean;
}

function sameHostLiteral(a: string, b: string): boolean {
  const x = literalKey(a);
  const y = literalKey(b);
  return x.id === y.id || (x.local && y.local);
}

/** What can be said about a host without DNS. */
function literalKey(host: string): HostKey {
  const h = stripHost(host);
  // A Unix socket directory is this machine too.
  if (h.startsWith('/')) return { id: h, local: true };
  const address = numericAddress(h);
  if (address) return { id: address, local: isLocalAddress(address) };
  const local = h === '' || h === 'localhost' || h.endsWith('.localhost') || machineNames().has(h);
  return { id: h, local };
}

async function resolveHost(host: string): Promise<{ addresses: Set<string>; local: boolean }> {
  const key = literalKey(host);
  if (stripHost(host).startsWith('/')) return { addresses: new Set(), local: true };
  const addresses = new Set<string>();
  if (numericAddress(stripHost(host))) addresses.add(key.id);
  else {
    let found: { address: string }[];
    try {
      found = await lookup(stripHost(host) || 'localhost', { all: true, verbatim: true });
    } catch (err) {
      throw new Error(`rdbms.host "${host}" could not be resolved: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    for (const { address } of found) {
      const a = numericAddress(address);
      if (a) addresses.add(a);
    }
  }
  return { addresses, local: key.local || [...addresses].some(isLocalAddress) };
}

/** Lower-cased, without IPv6 brackets, a zone id, or a trailing dot. */
function stripHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone);
  if (h.endsWith('.') && !h.startsWith('/')) h = h.slice(0, -1);
  return h;
}

/**
 * The canonical form of a numeric host, or undefined: IPv4 in the forms `inet_aton` (and so getaddrinfo)
 * accepts (`127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`) as dotted quad; IPv6 fully expanded, with an
 * IPv4-mapped address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) as its IPv4 address.
 */
export function numericAddress(host: string): string | undefined {
  const h = stripHost(host);
  const v4 = inetAton(h);
  if (v4 !== undefined) return v4;
  if (!isIP(h)) return undefined;
  const groups = expandIpv6(h);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return groups.map((g) => g.toString(16)).join(':');
}

function inetAton(h: string): string | undefined {
  if (!/^[0-9a-fx.]+$/.test(h) || h.startsWith('.') || h.endsWith('.')) return undefined;
  const parts = h.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) n = part.length === 1 ? 0 : parseInt(part.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(part)) n = parseInt(part, 10);
    else return undefined;
    if (!Number.isFinite(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  let value = 0;
  nums.forEach((n, i) => (value += n * 2 ** (8 * (3 - i))));
  value += last;
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function expandIpv6(h: string): number[] | undefined {
  let text = h;
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return undefined;
  const groups = [...head, ...new Array<string>(fill).fill('0'), ...tail].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** Loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0, ::: they reach this machine), or an interface's address. */
function isLocalAddress(address: string): boolean {
  if (/^127\./.test(address) || address === '0.0.0.0' || address === '0:0:0:0:0:0:0:1' || address === '0:0:0:0:0:0:0:0') return true;
  return machineAddresses().has(address);
}

function machineAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      const a = numericAddress(info.address);
      if (a) out.add(a);
    }
  }
  return out;
}

function machineNames(): Set<string> {
  const name = hostname().toLowerCase().replace(/\.$/, '');
  return new Set([name, name.split('.')[0]!]);
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
