import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('scheduled flows on %s', (dialect) => {
  let t: TestIntegrator;
  // No worker: scheduled jobs stay queued where the test can count them (and no real-clock scheduler runs).
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
  });
  afterAll(async () => t?.stop());

  async function flow(body: Record<string, unknown>) {
    const conn = await t.api('POST', '/v1/connections', { name: 'C', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
    const exp = await t.api('POST', '/v1/exports', { name: 'E', adaptorType: 'HTTPExport', _connectionId: conn.body._id, http: { relativeURI: '/x' } });
    const res = await t.api('POST', '/v1/flows', { name: 'Scheduled', pageGenerators: [{ _exportId: exp.body._id }], ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { flowId: res.body._id as string, exportId: exp.body._id as string };
  }
  const jobsOf = async (flowId: string) => (await t.api('GET', `/v1/jobs?_flowId=${flowId}`)).body as any[];

  it('queues one run per due slot with a controlled clock, once across two schedulers, never for disabled flows', async () => {
    const every5 = await flow({ schedule: '? */5 * * * *', timezone: 'America/Los_Angeles' });
    const disabled = await flow({ schedule: '? */5 * * * *', disabled: true });
    const perGenerator = await flow({});
    await t.api('PUT', `/v1/flows/${perGenerator.flowId}`, { name: 'Per generator', pageGenerators: [{ _exportId: perGenerator.exportId, schedule: '? 0 * * * *' }] });

    let now = Date.parse('2030-01-01T10:02:30.000Z');
    const clock = () => now;
    const log = t.app.log;
    const a = new Scheduler(t.app.services, log, { now: clock });
    const b = new Scheduler(t.app.services, log, { now: clock }); // stands for a second process on the same database

    expect(await a.tick()).toEqual([]);
    now = Date.parse('2030-01-01T10:04:59.999Z');
    expect(await a.tick()).toEqual([]);

    // 10:05:00 — the leading ? means second 0, not every second: exactly one run.
    now = Date.parse('2030-01-01T10:05:00.000Z');
    const first = await a.tick();
    expect(await b.tick()).toEqual([]);
    expect(await a.tick()).toEqual([]);
    now = Date.parse('2030-01-01T10:05:30.000Z');
    expect(await a.tick()).toEqual([]);
    let jobs = await jobsOf(every5.flowId);
    expect(jobs).toHaveLength(1);
    expect(first).toEqual([jobs[0]._id]);
    expect(jobs[0]).toMatchObject({ status: 'queued', trigger: 'schedule', type: 'flow' });

    // Missed slots (10:10 … 10:25) collapse into one run.
    now = Date.parse('2030-01-01T10:26:00.000Z');
    await a.tick();
    expect(await jobsOf(every5.flowId)).toHaveLength(2);

    // Both schedulers tick the same slot at once: one run.
    now = Date.parse('2030-01-01T10:30:00.000Z');
    const [fromA, fromB] = await Promise.all([a.tick(), b.tick()]);
    expect(fromA.length + fromB.length).toBe(1);
    jobs = await jobsOf(every5.flowId);
    expect(jobs).toHaveLength(3);

    expect(await jobsOf(disabled.flowId)).toEqual([]);

    // A page generator's own schedule runs only that generator, on the hour.
    now = Date.parse('2030-01-01T11:00:00.000Z');
    await a.tick();
    const hourly = await jobsOf(perGenerator.flowId);
    expect(hourly).toHaveLength(1);
    expect(await jobsOf(every5.flowId)).toHaveLength(4);
  });

  it('shows the next run times in the flow timezone', async () => {
    const { flowId } = await flow({ schedule: '? 0 2 ? * *', timezone: 'Europe/Paris' });
    const res = await t.api('GET', `/v1/flows/${flowId}/schedule?count=3`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ schedule: '? 0 2 ? * *', timezone: 'Europe/Paris', disabled: false });
    expect(res.body.nextRuns).toHaveLength(3);
    expect(res.body.nextRunAt).toBe(res.body.nextRuns[0]);
    for (const at of res.body.nextRuns) {
      expect(new Date(at).toLocaleTimeString('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', second: '2-digit' })).toBe('02:00:00');
    }
    const gaps = res.body.nextRuns.slice(1).map((at: string, i: number) => Date.parse(at) - Date.parse(res.body.nextRuns[i]));
    for (const gap of gaps) expect(Math.abs(gap - 24 * 3600_000)).toBeLessThanOrEqual(3600_000);

    const bad = await flow({ schedule: 'every minute' });
    expect((await t.api('GET', `/v1/flows/${bad.flowId}/schedule`)).status).toBe(422);
  });
});
