import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { useSharedGovernors } from './adaptors/common/shared-governor.js';
import { useRdbmsPolicy } from './adaptors/rdbms/policy.js';
import { buildServer } from './api/server.js';
import type { Config } from './config.js';
import { ensureOwner, type Owner } from './domain/owner.js';
import { assertSameSecretKey } from './domain/secret-key-check.js';
import { loadSecretBox } from './domain/secrets.js';
import { createServices, type Services } from './domain/services.js';
import { Worker } from './engine/worker.js';
import { createLogger, type Logger } from './logger.js';
import { Scheduler } from './scheduler/scheduler.js';
import { migrateToLatest, openStore, sqliteFileIn } from './store/database.js';

export interface Integrator {
  config: Config;
  services: Services;
  server: FastifyInstance;
  worker: Worker | undefined;
  /** Queues scheduled flow runs; runs wherever a worker runs. */
  scheduler: Scheduler | undefined;
  owner: Owner;
  log: Logger;
  /** The URL the server listens on (after `listen`). */
  url: string;
  close(): Promise<void>;
}

/** Opens storage, migrates, ensures the owner, starts the API (and a worker unless disabled). */
export async function startIntegrator(config: Config, options: { listen?: boolean } = {}): Promise<Integrator> {
  const log = createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqliteFile: sqliteFileIn(config.dataDir) });
  try {
    await migrateToLatest(store.db);
  } catch (err) {
    await store.close();
    throw err;
  }
  // On PostgreSQL, connection limits (rate, concurrency) hold across every process sharing the database.
  const closeGovernors = store.dialect === 'postgres' && store.url ? useSharedGovernors(store.url) : undefined;
  // RDBMS connections may not open this server's own store or key file, nor SQLite files outside the roots.
  const removePolicy = useRdbmsPolicy({
    dataDir: config.dataDir,
    sqliteRoots: config.sqliteRoots,
    protectedFiles: [sqliteFileIn(config.dataDir), join(config.dataDir, 'encryption.key')],
    storeDatabaseUrl: config.databaseUrl,
  });
  const box = loadSecretBox({ key: config.encryptionKey, dataDir: config.dataDir });
  try {
    await assertSameSecretKey(store, box, config.encryptionKey ? 'INTEGRATOR_ENCRYPTION_KEY' : `${config.dataDir}/encryption.key`);
  } catch (err) {
    removePolicy();
    await closeGovernors?.();
    await store.close();
    throw err;
  }
  const services = createServices(store, box);
  const owner = await ensureOwner(store, { dataDir: config.dataDir, initialToken: config.initialApiToken });
  const server = await buildServer({
    services,
    logger: log,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit: { capacity: config.rateLimitCapacity, perSecond: config.rateLimitPerSecond },
  });

  let url = config.publicUrl;
  if (options.listen !== false) {
    await server.listen({ port: config.port, host: config.host });
    const address = server.server.address() as AddressInfo;
    // Port 0 (tests) means "any free port": the public URL is only known now.
    if (config.port === 0) url = `http://127.0.0.1:${address.port}`;
  }

  let worker: Worker | undefined;
  if (config.worker) {
    // Embedded SQLite means this is the only process: anything left running was interrupted.
    worker = new Worker(services, log, { embedded: store.dialect === 'sqlite', leaseMs: config.workLeaseMs });
    await worker.start();
  }
  const scheduler = config.worker ? new Scheduler(services, log) : undefined;
  scheduler?.start();

  let closed = false;
  return {
    config,
    services,
    server,
    worker,
    scheduler,
    owner,
    log,
    url,
    async close() {
      if (closed) return;
      closed = true;
      scheduler?.stop();
      await worker?.stop();
      await server.close();
      await closeGovernors?.();
      removePolicy();
      await store.close();
    },
  };
}
