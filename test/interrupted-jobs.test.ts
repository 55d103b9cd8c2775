import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_RUN } from '../src/engine/flow-runs.js';
import { newId } from '../src/ids.js';
import { enqueue } from '../src/queue/work-queue.js';
import { insertJob, newJobRow } from '../src/store/jobs.js';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, waitForJob } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('a job interrupted by a crash on %s', (dialect) => {
  let source: LocalServer;
  let destination: LocalServer;
  beforeAll(async () => {
    source = await startHttpServer(pagedSource(40, 10));
    destination = await startHttpServer((_req, _body, res) => res.end('{}'));
  });
  afterAll(async () => {
    await source?.close();
    await destination?.close();
  });

  /** What a killed process leaves behind: a running job whose work item is still claimed. */
  async function leftRunning(t: Awaited<ReturnType<typeof startTestIntegrator>>, flowId: string, attempts: number) {
    const db = t.app.services.store.db;
    const accountId = t.app.owner.accountId;
    const jobId = newId();
    await insertJob(db, newJobRow({ _id: jobId, account_id: accountId, type: 'flow', status: 'running', flow_id: flowId, started_at: Date.now() - 60_000 }));
    const item = await enqueue(db, { accountId, jobId, kind: FLOW_RUN, payload: { flowId }, maxAttempts: 3 });
    await db.updateTable('work_items').set({ status: 'running', attempts, locked_by: 'gone:1', locked_until: Date.now() + 3_600_000 }).where('_id', '=', item._id).execute();
    return jobId;
  }

  async function flowOf(t: Awaited<ReturnType<typeof startTestIntegrator>>) {
    const src = await t.api('POST', '/v1/connections', { name: 'S', type: 'http', http: { baseURI: source.url } });
    const dst = await t.api('POST', '/v1/connections', { name: 'D', type: 'http', http: { baseURI: destination.url } });
    const exp = await t.api('POST', '/v1/exports', { name: 'E', adaptorType: 'HTTPExport', _connectionId: src.body._id, pageSize: 10, http: { relativeURI: '/items?page=1', paging: { method: 'linkheader' }, response: { resourcePath: 'items' } } });
    const imp = await t.api('POST', '/v1/imports', { name: 'I', adaptorType: 'HTTPImport', _connectionId: dst.body._id, http: { method: ['POST'], relativeURI: ['/in'] } });
    const flow = await t.api('POST', '/v1/flows', { name: 'F', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    return flow.body._id as string;
  }

  it('resumes at the next start when it has attempts left (embedded SQLite at once; PostgreSQL once the lease runs out)', async () => {
    let t = await startTestIntegrator({ dialect, worker: false });
    const flowId = await flowOf(t);
    const jobId = await leftRunning(t, flowId, 1);
    if (dialect === 'postgres') {
      // Several processes may share PostgreSQL: only an expired lease tells a dead worker from a live one.
      await t.app.services.store.db.updateTable('work_items').set({ locked_until: Date.now() - 1000 }).where('job_id', '=', jobId).execute();
    }
    t = await t.restart({ worker: true });
    try {
      const job = await waitForJob(t, jobId);
      expect(job).toMatchObject({ status: 'completed', numExport: 40, numSuccess: 80 });
    } finally {
      await t.stop();
    }
  });

  it('is marked failed with a reason once its attempts are used up, instead of staying running for ever', async () => {
    let t = await startTestIntegrator({ dialect, worker: false });
    const flowId = await flowOf(t);
    const jobId = await leftRunning(t, flowId, 3);
    await t.app.services.store.db.updateTable('work_items').set({ locked_until: Date.now() - 1000 }).where('job_id', '=', jobId).execute();
    t = await t.restart({ worker: true });
    try {
      const { body } = await t.api('GET', `/v1/jobs/${jobId}`);
      expect(body.status).toBe('failed');
      expect(body.failureReason).toMatch(/stopped before it finished/);
      expect(body.endedAt).toBeDefined();
      // The flow is free for a new run.
      const run = await t.api('POST', `/v1/flows/${flowId}/run`);
      expect((await waitForJob(t, run.body._jobId)).status).toBe('completed');
    } finally {
      await t.stop();
    }
  });
});
