import { randomBytes } from 'node:crypto';

/**
 * Shared checks for tests that need a real server (PostgreSQL, MariaDB, …).
 *
 * A test file asks once, at module level, whether the service answers, and skips its suites when it does not:
 *
 * ```ts
 * const hasPostgres = await requireService('PostgreSQL', probePostgres);
 * describe.skipIf(!hasPostgres)('orders on PostgreSQL', () => { … });
 * ```
 *
 * With `INTEGRATOR_REQUIRE_SERVICES=1` (CI) an absent service is a failure, not a skip: `requireService` throws,
 * which fails the test file.
 */
export async function requireService(name: string, probe: () => Promise<unknown>, timeoutMs = 5_000): Promise<boolean> {
  const cached = answers.get(name);
  if (cached) return cached;
  const answer = check(name, probe, timeoutMs);
  answers.set(name, answer);
  return answer;
}

const answers = new Map<string, Promise<boolean>>();

async function check(name: string, probe: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (servicesRequired()) {
      throw new Error(`${name} is required (INTEGRATOR_REQUIRE_SERVICES=1) but is not reachable: ${reason}`, { cause: err });
    }
    console.warn(`[tests] skipping tests that need ${name}: not reachable (${reason}); set INTEGRATOR_REQUIRE_SERVICES=1 to fail instead`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function servicesRequired(): boolean {
  return process.env.INTEGRATOR_REQUIRE_SERVICES === '1';
}

/** Where the shared test servers listen; override with the usual environment variables. */
export const postgresServer = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD ?? '',
  database: process.env.PGDATABASE ?? 'test',
};

export const mariadbServer = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
  database: process.env.MYSQL_DATABASE ?? 'test',
};

export async function probePostgres(): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...postgresServer, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeMariadb(): Promise<void> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ ...mariadbServer, connectTimeout: 3_000 });
  try {
    await conn.query('SELECT 1');
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** A database created for one test run on a shared server; `drop()` removes it. */
export interface TempDatabase {
  name: string;
  host: string;
  port: number;
  user: string;
  password: string;
  drop(): Promise<void>;
}

/** Creates a fresh PostgreSQL database with a random name (runs share the server). */
export async function createPostgresDatabase(prefix = 'it'): Promise<TempDatabase> {
  const { default: pg } = await import('pg');
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ ...postgresServer });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    host: postgresServer.host,
    port: postgresServer.port,
    user: postgresServer.user,
    password: postgresServer.password,
    async drop() {
      const c = new pg.Client({ ...postgresServer });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Creates a fresh MariaDB/MySQL database with a random name (runs share the server). */
export async function createMariadbDatabase(prefix = 'it'): Promise<TempDatabase> {
  const mysql = await import('mysql2/promise');
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ ...mariadbServer });
  try {
    await admin.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.end();
  }
  return {
    name,
    host: mariadbServer.host,
    port: mariadbServer.port,
    user: mariadbServer.user,
    password: mariadbServer.password,
    async drop() {
      const c = await mysql.createConnection({ ...mariadbServer });
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}
