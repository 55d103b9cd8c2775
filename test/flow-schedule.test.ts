import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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

  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a slot only if it falls after the schedule (and the enabled state) took effect', async () => {
    // The whole installation reads this clock: flows' lastModified and the scheduler agree.
    vi.useFakeTimers({ toFake: ['Date'] });
    const at = (iso: string) => vi.setSystemTime(new Date(iso));
    at('2031-03-01T23:30:00.000Z');
    const scheduler = new Scheduler(t.app.services, t.app.log, { now: () => Date.now() });
    // Flows of the other tests may be due too: count only this test's.
    const mine = new Set<string>();
    const s = {
      tick: async () => {
        const ids = await scheduler.tick();
        const own: string[] = [];
        for (const id of ids) if (mine.has((await t.api('GET', `/v1/jobs/${id}`)).body._flowId)) own.push(id);
        return own;
      },
    };

    // A schedule added at 23:36:21 does not run the 23:36:00 slot; 23:37:00 is its first.
    at('2031-03-01T23:35:10.000Z');
    const added = await flow({});
    mine.add(added.flowId);
    at('2031-03-01T23:36:21.000Z');
    expect((await t.api('PATCH', `/v1/flows/${added.flowId}`, [{ op: 'add', path: '/schedule', value: '? * * * * *' }])).status).toBe(204);
    at('2031-03-01T23:36:30.000Z');
    expect(await s.tick()).toEqual([]);
    at('2031-03-01T23:37:00.000Z');
    expect(await s.tick()).toHaveLength(1);
    expect(await jobsOf(added.flowId)).toHaveLength(1);
    // Switch it off again so it stays out of the counts below.
    expect((await t.api('PATCH', `/v1/flows/${added.flowId}`, [{ op: 'add', path: '/disabled', value: true }])).status).toBe(204);

    // A flow re-enabled at 00:12:40 does not make up the 00:10 slot it missed while disabled.
    at('2031-03-02T00:00:10.000Z');
    const every5 = await flow({ schedule: '? */5 * * * *' });
    mine.add(every5.flowId);
    at('2031-03-02T00:05:00.000Z');
    expect(await s.tick()).toHaveLength(1);
    at('2031-03-02T00:06:10.000Z');
    expect((await t.api('PATCH', `/v1/flows/${every5.flowId}`, [{ op: 'add', path: '/disabled', value: true }])).status).toBe(204);
    at('2031-03-02T00:10:00.000Z');
    expect(await s.tick()).toEqual([]);
    at('2031-03-02T00:12:40.000Z');
    expect((await t.api('PATCH', `/v1/flows/${every5.flowId}`, [{ op: 'add', path: '/disabled', value: false }])).status).toBe(204);
    at('2031-03-02T00:12:50.000Z');
    expect(await s.tick()).toEqual([]);
    at('2031-03-02T00:15:00.000Z');
    expect(await s.tick()).toHaveLength(1);
    expect(await jobsOf(every5.flowId)).toHaveLength(2);

    // A schedule changed after the last recorded slot counts from the change: 00:17 was before it.
    at('2031-03-02T00:17:30.000Z');
    expect((await t.api('PATCH', `/v1/flows/${every5.flowId}`, [{ op: 'replace', path: '/schedule', value: '? 17,18 * * * *' }])).status).toBe(204);
    at('2031-03-02T00:17:40.000Z');
    expect(await s.tick()).toEqual([]);
    at('2031-03-02T00:18:00.000Z');
    expect(await s.tick()).toHaveLength(1);

    // Missed slots while nothing ran still collapse into one run.
    at('2031-03-02T02:30:00.000Z');
    expect(await s.tick()).toHaveLength(1);
    expect(await jobsOf(every5.flowId)).toHaveLength(4);
    expect(await jobsOf(added.flowId)).toHaveLength(1);
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

  });

  it('refuses bad schedules and time zones when a flow is saved, naming the field', async () => {
    const { flowId, exportId } = await flow({ schedule: '? */5 * * * *', timezone: 'Europe/Paris' });
    const expect422 = async (res: { status: number; body: any }, field: string) => {
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    };
    for (const schedule of ['* * * * * *', '? * * * *', '? 61 * * * *', 'garbage', '? 0 25 * * *', '? */0 * * * *']) {
      await expect422(await t.api('PATCH', `/v1/flows/${flowId}`, [{ op: 'add', path: '/schedule', value: schedule }]), 'schedule');
      await expect422(await t.api('POST', '/v1/flows', { name: 'Bad', schedule, pageGenerators: [{ _exportId: exportId }] }), 'schedule');
      await expect422(await t.api('PUT', `/v1/flows/${flowId}`, { name: 'Bad', schedule, pageGenerators: [{ _exportId: exportId }] }), 'schedule');
      await expect422(await t.api('PATCH', `/v1/flows/${flowId}`, [{ op: 'add', path: '/pageGenerators/0/schedule', value: schedule }]), 'pageGenerators[0].schedule');
      await expect422(await t.api('POST', '/v1/flows', { name: 'Bad', pageGenerators: [{ _exportId: exportId, schedule }] }), 'pageGenerators[0].schedule');
    }
    await expect422(await t.api('POST', '/v1/flows', { name: 'Bad', schedule: 'nonsense', pageGenerators: [{ _exportId: exportId }] }), 'schedule');
    await expect422(await t.api('PATCH', `/v1/flows/${flowId}`, [{ op: 'replace', path: '/timezone', value: 'Mars/Olympus' }]), 'timezone');
    await expect422(await t.api('POST', '/v1/flows', { name: 'Bad', timezone: 'Mars/Olympus', pageGenerators: [{ _exportId: exportId }] }), 'timezone');
    // Nothing bad was stored: the flow is as it was.
    const stored = (await t.api('GET', `/v1/flows/${flowId}`)).body;
    expect(stored).toMatchObject({ schedule: '? */5 * * * *', timezone: 'Europe/Paris' });
    expect(stored.pageGenerators[0].schedule).toBeUndefined();
    // Good ones are saved.
    for (const schedule of ['? * * * * *', '? 0 2 ? * *', '? 10,40 0,1,2,23 ? * *', '0 */15 * * * 1-5']) {
      expect((await t.api('PATCH', `/v1/flows/${flowId}`, [{ op: 'replace', path: '/schedule', value: schedule }])).status, schedule).toBe(204);
    }
    expect((await t.api('PATCH', `/v1/flows/${flowId}`, [{ op: 'replace', path: '/timezone', value: 'America/Los_Angeles' }, { op: 'add', path: '/pageGenerators/0/schedule', value: '? 0 * * * *' }])).status).toBe(204);
    expect((await t.api('GET', `/v1/flows/${flowId}/schedule`)).status).toBe(200);
  });
});
