import { describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { enqueue } from '../src/queue/work-queue.js';
import { insertJob, newJobRow } from '../src/store/jobs.js';
import { startTestIntegrator, storageDialects } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('a job interrupted by a crash on %s', (dialect) => {
  it('is marked failed at the next start instead of staying running for ever', async () => {
    let t = await startTestIntegrator({ dialect, worker: false });
    const db = t.app.services.store.db;
    const accountId = t.app.owner.accountId;
    const jobId = newId();
    // What a killed process leaves behind: a running job whose work item's lease has run out.
    await insertJob(db, newJobRow({ _id: jobId, account_id: accountId, type: 'flow', status: 'running', started_at: Date.now() - 60_000 }));
    const item = await enqueue(db, { accountId, jobId, kind: 'flow_run', payload: { flowId: newId() } });
    await db.updateTable('work_items').set({ status: 'running', locked_by: 'gone:1', locked_until: Date.now() - 1000 }).where('_id', '=', item._id).execute();

    t = await t.restart({ worker: true });
    try {
      const { body } = await t.api('GET', `/v1/jobs/${jobId}`);
      expect(body.status).toBe('failed');
      expect(body.failureReason).toMatch(/stopped before it finished/);
      expect(body.endedAt).toBeDefined();
    } finally {
      await t.stop();
    }
  });
});
