import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startIntegrator } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createPostgresDatabase, postgresServer, type TempDatabase } from './support/services.js';
import { storageDialects } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('one encryption key per database on %s', (dialect) => {
  const dirs: string[] = [];
  let database: TempDatabase | undefined;
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await database?.drop();
  });

  it('refuses to start a second process whose key differs, naming the way to fix it; the same key starts', async () => {
    if (dialect === 'postgres') database = await createPostgresDatabase('secretkey');
    const databaseUrl = database ? `postgres://${postgresServer.user}@${postgresServer.host}:${postgresServer.port}/${database.name}` : undefined;
    const first = mkdtempSync(join(tmpdir(), 'integrator-key-'));
    dirs.push(first);
    // PostgreSQL: a second server with its own data directory; SQLite: the same data directory, another key.
    const second = dialect === 'postgres' ? mkdtempSync(join(tmpdir(), 'integrator-key-')) : first;
    dirs.push(second);
    const config = (dataDir: string, encryptionKey?: string) =>
      loadConfig({}, { port: 0, dataDir, demo: false, worker: false, logLevel: 'silent', initialApiToken: 'key-test-token-0123456789abcdef', ...(encryptionKey ? { encryptionKey } : {}), ...(databaseUrl ? { databaseUrl } : {}) });

    const a = await startIntegrator(config(first), { listen: false });
    const conn = await a.services.connections.create(a.owner.accountId, { name: 'S', type: 'http', http: { baseURI: 'http://127.0.0.1:9', auth: { type: 'token', token: { token: 'sealed-secret' } } } });
    await a.close();

    await expect(startIntegrator(config(second, 'another key'), { listen: false })).rejects.toThrow(/not the one this database's secrets were sealed with.*INTEGRATOR_ENCRYPTION_KEY/s);
    // The first key, read again from the data directory, still opens the secret.
    const again = await startIntegrator(config(first), { listen: false });
    try {
      const doc = await again.services.connections.getInternal(again.owner.accountId, conn._id);
      expect((doc.http as any).auth.token.token).toBe('sealed-secret');
    } finally {
      await again.close();
    }
  });
});
