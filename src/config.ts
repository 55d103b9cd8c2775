import { delimiter, resolve } from 'node:path';

/** Everything the process reads from its environment, in one typed object. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `postgres://…` to use PostgreSQL; absent means the embedded SQLite file in `dataDir`. */
  databaseUrl: string | undefined;
  /** Value for the first API token instead of a random one (automation). */
  initialApiToken: string | undefined;
  /** Create and run the bundled demo integration on first start. */
  demo: boolean;
  /** Public base URL of this server, used in links and by the demo's own HTTP connection. */
  publicUrl: string;
  encryptionKey: string | undefined;
  bodyLimitBytes: number;
  /** API rate limit per account: bucket size (0 = off) and refill per second. */
  rateLimitCapacity: number;
  rateLimitPerSecond: number;
  logLevel: string;
  /** Run a worker inside `serve`. */
  worker: boolean;
  /** Work item lease in ms: how soon another process resumes the runs of a process that died. */
  workLeaseMs: number;
  /** Directories (besides the data directory) where SQLite connections may open files (INTEGRATOR_SQLITE_ROOTS). */
  sqliteRoots: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = overrides.port ?? intFrom(env.PORT, 3000, 'PORT');
  const host = overrides.host ?? env.HOST ?? '127.0.0.1';
  return {
    port,
    host,
    dataDir: resolve(overrides.dataDir ?? env.INTEGRATOR_DATA_DIR ?? '.integrator'),
    databaseUrl: overrides.databaseUrl ?? (env.DATABASE_URL || undefined),
    initialApiToken: overrides.initialApiToken ?? (env.INTEGRATOR_API_TOKEN || undefined),
    demo: overrides.demo ?? env.INTEGRATOR_DEMO !== '0',
    publicUrl: overrides.publicUrl ?? env.INTEGRATOR_PUBLIC_URL ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    encryptionKey: overrides.encryptionKey ?? (env.INTEGRATOR_ENCRYPTION_KEY || undefined),
    bodyLimitBytes: overrides.bodyLimitBytes ?? intFrom(env.INTEGRATOR_BODY_LIMIT, 5 * 1024 * 1024, 'INTEGRATOR_BODY_LIMIT'),
    rateLimitCapacity: overrides.rateLimitCapacity ?? intFrom(env.INTEGRATOR_RATE_LIMIT, 1000, 'INTEGRATOR_RATE_LIMIT'),
    rateLimitPerSecond: overrides.rateLimitPerSecond ?? intFrom(env.INTEGRATOR_RATE_LIMIT_PER_SECOND, 300, 'INTEGRATOR_RATE_LIMIT_PER_SECOND'),
    logLevel: overrides.logLevel ?? env.LOG_LEVEL ?? 'warn',
    worker: overrides.worker ?? env.INTEGRATOR_WORKER !== '0',
    workLeaseMs: overrides.workLeaseMs ?? intFrom(env.INTEGRATOR_WORK_LEASE_MS, 30_000, 'INTEGRATOR_WORK_LEASE_MS'),
    sqliteRoots: (overrides.sqliteRoots ?? (env.INTEGRATOR_SQLITE_ROOTS ?? '').split(delimiter)).filter(Boolean).map((p) => resolve(p)),
  };
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}
