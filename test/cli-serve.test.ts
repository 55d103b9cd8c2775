import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { storageDialects } from './support/integrator.js';
import { createPostgresDatabase, postgresServer, type TempDatabase } from './support/services.js';

const dialects = await storageDialects();

interface Served {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** Starts `integrator serve` exactly as `npm start` does, and waits for the demo's account of itself. */
async function serve(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/API docs:/.test(out)) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`serve did not finish starting:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
  return { child, output: () => out, url };
}

async function stop(s: Served): Promise<number | null> {
  s.child.kill('SIGTERM');
  return new Promise((resolve) => s.child.once('exit', (code) => resolve(code)));
}

describe.each(dialects)('npm start on %s', (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'integrator-cli-'));
  let database: TempDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the owner, runs the demo (250 countries into demo.db), and a restart duplicates nothing', async () => {
    const env: Record<string, string> = { INTEGRATOR_DATA_DIR: dataDir };
    if (dialect === 'postgres') {
      database = await createPostgresDatabase('integrator_cli');
      env.DATABASE_URL = `postgres://${postgresServer.user}@${postgresServer.host}:${postgresServer.port}/${database.name}`;
    }
    const first = await serve(env);
    const out = first.output();
    expect(out).toMatch(/completed: 250 records exported, 250 imported, 0 ignored, 0 errors/);
    const token = readFileSync(join(dataDir, 'initial-token'), 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(out).toContain(token);
    expect(statSync(join(dataDir, 'initial-token')).mode & 0o777).toBe(0o600);

    const flows: any = await (await fetch(`${first.url}/v1/flows`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(flows.map((f: { name: string }) => f.name)).toEqual(['World countries to database']);
    expect(await stop(first)).toBe(0);
    expect(first.output()).toContain('Integrator stopped.');

    const countRows = () => {
      const db = new SQLite(join(dataDir, 'demo.db'), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM countries').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(countRows()).toBe(250);

    const second = await serve(env);
    expect(second.output()).toContain('Demo flow already set up');
    expect(second.output()).not.toContain('Your API token');
    const integrations: any = await (await fetch(`${second.url}/v1/integrations`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(integrations.filter((i: { name: string }) => i.name === 'Getting started')).toHaveLength(1);

    // Running the demo flow again through the API upserts: still 250 rows.
    const run: any = await (await fetch(`${second.url}/v1/flows/${flows[0]._id}/run`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json();
    for (;;) {
      const job: any = await (await fetch(`${second.url}/v1/jobs/${run._jobId}`, { headers: { authorization: `Bearer ${token}` } })).json();
      if (job.status === 'completed') {
        expect(job.numExport).toBe(250);
        expect(job.numError).toBe(0);
        break;
      }
      expect(job.status).not.toBe('failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(countRows()).toBe(250);
    expect(await stop(second)).toBe(0);
  });
});
