import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';
import { storageDialects } from './support/integrator.js';
import { createPostgresDatabase, postgresServer, type TempDatabase } from './support/services.js';

const dialects = await storageDialects();
const TOKEN = 'crash-test-token-0123456789abcdef';

interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the real server process (`integrator serve`) and waits until it listens. */
async function serve(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', INTEGRATOR_DEMO: '0', INTEGRATOR_API_TOKEN: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/API docs:/.test(out)) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: /listening on (http:\/\/\S+)/.exec(out)![1]!, output: () => out };
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

describe.each(dialects)('a run killed with SIGKILL on %s', (dialect) => {
  let source: LocalServer;
  let destination: LocalServer;
  const stored = new Map<number, unknown>();
  let writes = 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'integrator-crash-'));
  let database: TempDatabase | undefined;
  let server: Served | undefined;

  beforeAll(async () => {
    const pages = pagedSource(500, 10);
    // 50 pages, each a little slow, so the kill lands mid-run.
    source = await startHttpServer((req, body, res) => void setTimeout(() => pages(req, body, res), 40));
    // An upsert destination: PUT /items/:id replaces the record.
    destination = await startHttpServer((req, body, res) => {
      const id = Number(/\/items\/(\d+)/.exec(req.url ?? '')?.[1]);
      writes++;
      stored.set(id, JSON.parse(body));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id }));
    });
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await source?.close();
    await destination?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes after a restart: the job completes and every record is counted once and written once', async () => {
    const env: Record<string, string> = { INTEGRATOR_DATA_DIR: dataDir, INTEGRATOR_WORK_LEASE_MS: '3000' };
    if (dialect === 'postgres') {
      database = await createPostgresDatabase('integrator_crash');
      env.DATABASE_URL = `postgres://${postgresServer.user}@${postgresServer.host}:${postgresServer.port}/${database.name}`;
    }
    server = await serve(env);
    const base = server.url;
    const src = await api(base, 'POST', '/v1/connections', { name: 'Source', type: 'http', http: { baseURI: source.url } });
    const dst = await api(base, 'POST', '/v1/connections', { name: 'Destination', type: 'http', http: { baseURI: destination.url } });
    const exp = await api(base, 'POST', '/v1/exports', { name: 'Items', adaptorType: 'HTTPExport', _connectionId: src._id, pageSize: 10, http: { relativeURI: '/items?page=1', paging: { method: 'linkheader' }, response: { resourcePath: 'items' } } });
    const imp = await api(base, 'POST', '/v1/imports', { name: 'Upsert', adaptorType: 'HTTPImport', _connectionId: dst._id, http: { method: ['PUT'], relativeURI: ['/items/{{record.id}}'] } });
    const flow = await api(base, 'POST', '/v1/flows', { name: 'Fifty pages', pageGenerators: [{ _exportId: exp._id }], pageProcessors: [{ type: 'import', _importId: imp._id }] });
    const { _jobId: jobId } = await api(base, 'POST', `/v1/flows/${flow._id}/run`);

    // Kill -9 somewhere in the middle.
    const deadline = Date.now() + 30_000;
    let progress: any;
    do {
      await new Promise((r) => setTimeout(r, 25));
      progress = await api(base, 'GET', `/v1/jobs/${jobId}`);
      if (Date.now() > deadline) throw new Error(`no progress: ${JSON.stringify(progress)}`);
    } while (progress.numPagesGenerated < 12);
    server.child.kill('SIGKILL');
    await new Promise((r) => server!.child.once('exit', r));
    const atKill = await new Promise<number>((r) => setTimeout(() => r(stored.size), 100));
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(500);

    server = await serve(env);
    let job: any;
    const finish = Date.now() + 90_000;
    do {
      await new Promise((r) => setTimeout(r, 100));
      job = await api(server.url, 'GET', `/v1/jobs/${jobId}`);
      if (Date.now() > finish) throw new Error(`job did not finish after the restart: ${JSON.stringify(job)}\n${server.output()}`);
    } while (!['completed', 'failed', 'canceled'].includes(job.status));

    expect(job).toMatchObject({ status: 'completed', numExport: 500, numPagesGenerated: 50, numError: 0 });
    const children = await api(server.url, 'GET', `/v1/jobs?_flowJobId=${jobId}&type=export&type=import`);
    expect(children.find((c: any) => c.type === 'export')).toMatchObject({ numSuccess: 500, numPagesGenerated: 50, status: 'completed' });
    expect(children.find((c: any) => c.type === 'import')).toMatchObject({ numSuccess: 500, numPagesProcessed: 50, numError: 0, status: 'completed' });
    // Every record is in the destination once; at most the page in flight at the kill was written twice.
    expect(stored.size).toBe(500);
    expect(writes).toBeLessThanOrEqual(510);

    server.child.kill('SIGTERM');
    await new Promise((r) => server!.child.once('exit', r));
  });
});
