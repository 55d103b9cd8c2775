/**
 * The platform as a benchmark sees it: a real server (embedded SQLite for jobs and stored pages, the real
 * worker and engine, no HTTP listener), a flow built through the same services the API uses, and a run
 * timed from queued to completed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from '../../src/domain/services.js';

type Doc = Record<string, unknown>;

export interface FlowParts {
  source: Doc;
  target: Doc;
  /** The export, without `_connectionId` (filled in). */
  export: Doc;
  /** The import, without `_connectionId` (filled in). */
  import: Doc;
}

/** Builds a one-export, one-import flow, runs it once, and checks it completed with `expected` records exported. */
export async function timeFlowRun(parts: FlowParts, expected: number): Promise<{ records: number; seconds: number }> {
  const { startIntegrator } = await import('../../src/app.js');
  const { loadConfig } = await import('../../src/config.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-platform-'));
  const app = await startIntegrator(
    loadConfig({}, { port: 0, dataDir, demo: false, worker: true, logLevel: 'silent', encryptionKey: 'bench', initialApiToken: 'bench-token-0123456789abcdef01234' }),
    { listen: false },
  );
  try {
    const { services, owner } = app;
    const account = owner.accountId;
    const src = await services.connections.create(account, parts.source);
    const dst = await services.connections.create(account, parts.target);
    const exp = await services.exports.create(account, { ...parts.export, _connectionId: src._id });
    const imp = await services.imports.create(account, { ...parts.import, _connectionId: dst._id });
    const flow = await services.flows.create(account, { name: 'Bench', pageGenerators: [{ _exportId: exp._id }], pageProcessors: [{ type: 'import', _importId: imp._id }] });
    return await runToEnd(services, account, flow._id, expected);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runToEnd(services: Services, account: string, flowId: string, expected: number) {
  const { requestFlowRun } = await import('../../src/engine/flow-runs.js');
  const { findJobById } = await import('../../src/store/jobs.js');
  const started = performance.now();
  const jobId = await requestFlowRun(services, account, flowId);
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const job = await findJobById(services.store.db, jobId);
    if (job && ['completed', 'failed', 'canceled'].includes(job.status)) {
      if (job.status !== 'completed' || job.num_error > 0) throw new Error(`bench run ${job.status}: ${job.extra} errors ${job.num_error}`);
      if (job.num_export !== expected) throw new Error(`exported ${job.num_export}, expected ${expected}`);
      // A flow job's numSuccess sums its export and import jobs; the imported records are the difference.
      return { records: job.num_success - job.num_export, seconds: (performance.now() - started) / 1000 };
    }
  }
}
