import type { Doc } from '../adaptor.js';
import type { RdbmsDriver } from './driver.js';
import { createMysqlDriver } from './mysql-driver.js';
import { createPostgresDriver } from './postgres-driver.js';
import { createSqliteDriver } from './sqlite-driver.js';

/** TLS settings for PostgreSQL and MySQL: `true` verifies the server with the system CAs. */
export type SslOptions = boolean | { ca?: string; cert?: string; key?: string; passphrase?: string; rejectUnauthorized?: boolean; servername?: string };

/** The connection's `rdbms` block (API contract §4.2). */
export interface RdbmsConnectionBlock {
  type: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: SslOptions;
  /** Milliseconds to wait for the server when connecting (default 15000). */
  connectTimeout?: number;
}

export interface DriverOptions {
  host: string;
  port: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: SslOptions | undefined;
  connectTimeoutMs: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/** Creates the driver for a connection document; nothing is contacted until the first statement. */
export function createDriver(connection: Doc): RdbmsDriver {
  const block = connection.rdbms as RdbmsConnectionBlock | undefined;
  if (!block || typeof block !== 'object') throw new Error('connection has no rdbms block');
  const type = String(block.type ?? '').toLowerCase();
  const base = {
    host: block.host || '127.0.0.1',
    database: block.database,
    user: block.user,
    password: block.password,
    ssl: block.ssl || undefined,
    connectTimeoutMs: block.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  switch (type) {
    case 'sqlite':
      return createSqliteDriver({ ...base, port: 0 });
    case 'postgresql':
    case 'postgres':
      return createPostgresDriver({ ...base, port: Number(block.port ?? 5432) });
    case 'mysql':
    case 'mariadb':
      return createMysqlDriver({ ...base, port: Number(block.port ?? 3306) }, type === 'mariadb' ? 'MariaDB' : 'MySQL');
    default:
      throw new Error(`rdbms.type "${block.type}" is not supported (sqlite, postgresql, mysql, mariadb)`);
  }
}

/** `SELECT 1`; throws "connecting to PostgreSQL at host:port: …" when the database does not answer. */
export async function pingDriver(driver: RdbmsDriver, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS + 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      driver.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connecting to ${driver.description}: no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('connecting to ')) throw err;
    throw new Error(`connecting to ${driver.description}: ${message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
