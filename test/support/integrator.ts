import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIntegrator, type Integrator } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPostgresDatabase, postgresServer, probePostgres, requireService, type TempDatabase } from './services.js';

export type StorageDialect = 'sqlite' | 'postgres';

/** The storage dialects a suite runs on: SQLite always, PostgreSQL when it answers (always in CI). */
export async function storageDialects(): Promise<StorageDialect[]> {
  return (await requireService('PostgreSQL', probePostgres)) ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestIntegrator {
  app: Integrator;
  token: string;
  dataDir: string;
  /** A JSON request with the owner's token; `body` is sent as JSON unless it is a string. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Stops the server; with `keepData` the data directory (and PostgreSQL database) stay for a restart. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Stops and starts again on the same data; `overrides` change start options (e.g. worker). */
  restart(overrides?: { worker?: boolean }): Promise<TestIntegrator>;
}

/**
 * Starts a real server on a free loopback port with its own data directory and database. SQLite
 * connections may use files under the system temp directory unless `sqliteRoots` says otherwise
 * (`[]`: the data directory only, the production default).
 */
export async function startTestIntegrator(options: { dialect: StorageDialect; demo?: boolean; worker?: boolean; dataDir?: string; database?: TempDatabase; sqliteRoots?: string[] }): Promise<TestIntegrator> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'integrator-test-'));
  const database = options.dialect === 'postgres' ? (options.database ?? (await createPostgresDatabase('integrator'))) : undefined;
  const token = 'test-token-0123456789abcdef0123';
  const config = loadConfig({}, {
    port: 0,
    dataDir,
    demo: options.demo ?? false,
    worker: options.worker ?? true,
    initialApiToken: token,
    encryptionKey: 'test-encryption-key',
    logLevel: 'silent',
    sqliteRoots: options.sqliteRoots ?? [tmpdir()],
    ...(database ? { databaseUrl: `postgres://${postgresServer.user}@${postgresServer.host}:${postgresServer.port}/${database.name}` } : {}),
  });
  const app = await startIntegrator(config);
  const self: TestIntegrator = {
    app,
    token,
    dataDir,
    async api(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await fetch(app.url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop(stopOptions = {}) {
      await app.close();
      if (!stopOptions.keepData) {
        await database?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    async restart(overrides = {}) {
      await app.close();
      return startTestIntegrator({ ...options, ...overrides, dataDir, ...(database ? { database } : {}) });
    },
  };
  return self;
}

/** Polls a job until it ends. */
export async function waitForJob(t: TestIntegrator, jobId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await t.api('GET', `/v1/jobs/${jobId}`);
    if (['completed', 'failed', 'canceled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
