import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('flow shapes, chaining, delta and test mode on %s', (dialect) => {
  let t: TestIntegrator;
  let source: LocalServer;
  let destination: LocalServer;
  let failSource = false;
  const received: { path: string; body: any }[] = [];

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    const pages = pagedSource(30, 10);
    source = await startHttpServer((req, body, res) => {
      if (failSource) {
        res.statusCode = 500;
        res.end('down for maintenance');
        return;
      }
      pages(req, body, res);
    });
    // Rejects odd ids on /strict; everything else is accepted.
    destination = await startHttpServer((req, body, res) => {
      const record = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/strict' && record.id % 2 === 1) {
        res.statusCode = 422;
        res.end(JSON.stringify({ message: 'odd ids refused' }));
        return;
      }
      received.push({ path: req.url ?? '', body: record });
      res.end(JSON.stringify({ id: `D-${record.id}` }));
    });
  });
  afterAll(async () => {
    await t?.stop();
    await source?.close();
    await destination?.close();
  });

  async function create(path: string, body: unknown) {
    const res = await t.api('POST', path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body._id as string;
  }
  async function resources(relativeURI = '/items?page=1') {
    const src = await create('/v1/connections', { name: 'Source', type: 'http', http: { baseURI: source.url } });
    const dst = await create('/v1/connections', { name: 'Destination', type: 'http', http: { baseURI: destination.url } });
    const exp = await create('/v1/exports', { name: 'Items', adaptorType: 'HTTPExport', _connectionId: src, pageSize: 10, http: { relativeURI, paging: { method: 'linkheader' }, response: { resourcePath: 'items' } } });
    const imp = (path: string) => create('/v1/imports', { name: `To ${path}`, adaptorType: 'HTTPImport', _connectionId: dst, http: { method: ['POST'], relativeURI: [path] } });
    return { exp, imp };
  }

  it('runs the legacy _exportId/_importId shape', async () => {
    const { exp, imp } = await resources();
    const flowId = await create('/v1/flows', { name: 'Legacy', _exportId: exp, _importId: await imp('/legacy') });
    const job = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 30, numSuccess: 60, numError: 0 });
    expect(received.filter((r) => r.path === '/legacy')).toHaveLength(30);
  });

  it('refuses to run a disabled flow with 422 flow_disabled', async () => {
    const { exp, imp } = await resources();
    const flowId = await create('/v1/flows', { name: 'Off', disabled: true, pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: await imp('/off') }] });
    const run = await t.api('POST', `/v1/flows/${flowId}/run`);
    expect(run.status).toBe(422);
    expect(run.body.errors[0].code).toBe('flow_disabled');
  });

  it('stops failed records at a step unless proceedOnFailure, and chains _runNextFlowIds', async () => {
    const { exp, imp } = await resources();
    const strict = await imp('/strict');
    const after = await imp('/after');
    const next = await create('/v1/flows', { name: 'Next', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: await imp('/next') }] });
    const stopping = await create('/v1/flows', { name: 'Stops', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: strict }, { type: 'import', _importId: after }], _runNextFlowIds: [next] });
    const job = await waitForJob(t, (await t.api('POST', `/v1/flows/${stopping}/run`)).body._jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 30, numError: 15 });
    expect((await t.api('GET', `/v1/jobs?_flowJobId=${job._id}&type=import&_importId=${after}`)).body[0]).toMatchObject({ numSuccess: 15 });

    // The next flow was queued when the first one completed.
    const chained = (await t.api('GET', `/v1/jobs?_flowId=${next}`)).body;
    expect(chained).toHaveLength(1);
    expect(chained[0].trigger).toBe('chain');
    expect((await waitForJob(t, chained[0]._id)).status).toBe('completed');

    const proceeding = await create('/v1/flows', { name: 'Proceeds', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: strict, proceedOnFailure: true }, { type: 'import', _importId: after }] });
    const job2 = await waitForJob(t, (await t.api('POST', `/v1/flows/${proceeding}/run`)).body._jobId);
    expect((await t.api('GET', `/v1/jobs?_flowJobId=${job2._id}&type=import&_importId=${after}`)).body[0]).toMatchObject({ numSuccess: 30 });
  });

  it('runs a cycle of _runNextFlowIds (A → B → A, and A → A) once round, never for ever', async () => {
    const { exp, imp } = await resources();
    const a = await create('/v1/flows', { name: 'Cycle A', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: await imp('/cycle-a') }] });
    const b = await create('/v1/flows', { name: 'Cycle B', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: await imp('/cycle-b') }], _runNextFlowIds: [a] });
    const docA = (await t.api('GET', `/v1/flows/${a}`)).body;
    expect((await t.api('PUT', `/v1/flows/${a}`, { ...docA, _runNextFlowIds: [b, a] })).status).toBe(200);
    const first = await waitForJob(t, (await t.api('POST', `/v1/flows/${a}/run`)).body._jobId);
    expect(first.status).toBe('completed');
    const ofB = (await t.api('GET', `/v1/jobs?_flowId=${b}`)).body;
    expect(ofB).toHaveLength(1);
    expect((await waitForJob(t, ofB[0]._id)).status).toBe('completed');
    // B's completion would start A again, which already ran in this chain: nothing more is queued.
    await new Promise((r) => setTimeout(r, 500));
    expect((await t.api('GET', `/v1/jobs?_flowId=${a}`)).body).toHaveLength(1);
    expect((await t.api('GET', `/v1/jobs?_flowId=${b}`)).body).toHaveLength(1);
  });

  it('offers the delta window to exports and advances it only after a committed run', async () => {
    const { exp, imp } = await resources('/items?page=1&since={{lastExportDateTime}}&until={{currentExportDateTime}}');
    const flowId = await create('/v1/flows', { name: 'Delta', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: await imp('/delta') }] });
    const sinceOf = (n: number) => new URL(source.requests.filter((r) => r.url.includes('since='))[n]!.url, 'http://x').searchParams;
    expect((await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body).toEqual({ lastExportDateTime: null, pageGenerators: [{ _exportId: exp, lastExportDateTime: null }] });

    const before = source.requests.filter((r) => r.url.includes('since=')).length;
    const first = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
    expect(first.status).toBe('completed');
    expect(sinceOf(before).get('since')).toBe('');
    const checkpoint = (await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime;
    expect(checkpoint).toBe(sinceOf(before).get('until'));
    expect(Date.parse(checkpoint)).toBeLessThanOrEqual(Date.parse(first.startedAt) + 1000);

    // A failed run reads from the checkpoint and leaves it where it was.
    failSource = true;
    const n2 = source.requests.filter((r) => r.url.includes('since=')).length;
    const failed = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId, 60_000);
    failSource = false;
    expect(failed.status).toBe('failed');
    expect(sinceOf(n2).get('since')).toBe(checkpoint);
    expect((await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime).toBe(checkpoint);

    // Users may set it; a run body may override the window.
    const set = await t.api('PUT', `/v1/flows/${flowId}/lastExportDateTime`, { lastExportDateTime: '2024-01-02T03:04:05.000Z' });
    expect(set.body).toEqual({ _exportId: exp, lastExportDateTime: '2024-01-02T03:04:05.000Z' });
    const n3 = source.requests.filter((r) => r.url.includes('since=')).length;
    await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
    expect(sinceOf(n3).get('since')).toBe('2024-01-02T03:04:05.000Z');
    const n4 = source.requests.filter((r) => r.url.includes('since=')).length;
    await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`, { export: { startDate: '2020-01-01T00:00:00.000Z', endDate: '2020-02-01T00:00:00.000Z' } })).body._jobId);
    expect(sinceOf(n4).get('since')).toBe('2020-01-01T00:00:00.000Z');
    expect(sinceOf(n4).get('until')).toBe('2020-02-01T00:00:00.000Z');
    // A custom window is a back-fill: the checkpoint stays at the last regular run's start.
    const regular = (await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime;
    expect(regular).toBe(sinceOf(n3).get('until'));
    // Even one reaching into the future runs, and is not stored either.
    const future = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    const n5 = source.requests.filter((r) => r.url.includes('since=')).length;
    const back = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`, { export: { startDate: '2021-01-01T00:00:00.000Z', endDate: future } })).body._jobId);
    expect(back.status).toBe('completed');
    expect(sinceOf(n5).get('until')).toBe(future);
    expect((await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime).toBe(regular);
    // The next regular run reads from the regular checkpoint.
    const n6 = source.requests.filter((r) => r.url.includes('since=')).length;
    await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
    expect(sinceOf(n6).get('since')).toBe(regular);
    expect(Date.parse((await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime)).toBeGreaterThan(Date.parse(regular));

    // Bad windows are refused, naming the field.
    const jobsBefore = (await t.api('GET', `/v1/jobs?_flowId=${flowId}`)).body.length;
    const refused = async (body: unknown, field: string) => {
      const res = await t.api('POST', `/v1/flows/${flowId}/run`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.errors[0].field).toBe(field);
    };
    await refused({ export: { startDate: '2020-02-01T00:00:00.000Z', endDate: '2020-01-01T00:00:00.000Z' } }, 'export.endDate');
    await refused({ export: 'x' }, 'export');
    await refused({ export: [1] }, 'export');
    await refused({ export: { startDate: 'yesterday' } }, 'export.startDate');
    await refused({ export: { endDate: '2020-01-01T00:00:00.000Z' } }, 'export.startDate');
    expect((await t.api('GET', `/v1/jobs?_flowId=${flowId}`)).body.length).toBe(jobsBefore);

    // Test mode reads from the stored checkpoint and leaves it alone.
    const checkpointNow = (await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime;
    const n7 = source.requests.filter((r) => r.url.includes('since=')).length;
    const test = await t.api('POST', `/v1/flows/${flowId}/test`, { limit: 2 });
    expect(test.status).toBe(200);
    expect(sinceOf(n7).get('since')).toBe(checkpointNow);
    expect((await t.api('GET', `/v1/flows/${flowId}/lastExportDateTime`)).body.lastExportDateTime).toBe(checkpointNow);
  });

  it('test mode runs a few records through the flow and writes nothing', async () => {
    const { exp, imp } = await resources();
    const importId = await imp('/preview');
    const flowId = await create('/v1/flows', { name: 'Preview', pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: importId }] });
    const before = destination.requests.length;
    const res = await t.api('POST', `/v1/flows/${flowId}/test`, { limit: 3 });
    expect(res.status).toBe(200);
    expect(destination.requests.length).toBe(before);
    expect(res.body.exported[0].records).toHaveLength(3);
    expect(res.body.steps[0]).toMatchObject({ type: 'import', _importId: importId });
    expect(res.body.steps[0].mapped).toHaveLength(3);
    expect(res.body.steps[0].results[0].response._json).toMatchObject({ testMode: true, method: 'POST', url: `${destination.url}/preview` });
    expect((await t.api('GET', `/v1/jobs?_flowId=${flowId}`)).body).toEqual([]);
  });

  it('keeps state values globally and per resource', async () => {
    expect((await t.api('PUT', '/v1/state/cursor', { at: 5 })).status).toBe(201);
    const replaced = await t.api('PUT', '/v1/state/cursor', { at: 6 });
    expect([replaced.status, replaced.body]).toEqual([200, 'OK']);
    expect((await t.api('GET', '/v1/state/cursor')).body).toEqual({ at: 6 });
    expect((await t.api('GET', '/v1/state')).body).toEqual({ keys: ['cursor'] });
    const { exp } = await resources();
    expect((await t.api('PUT', `/v1/exports/${exp}/state/page`, 7)).status).toBe(201);
    expect((await t.api('GET', `/v1/exports/${exp}/state/page`)).body).toBe(7);
    expect((await t.api('GET', `/v1/exports/${exp}/state`)).body).toEqual({ keys: ['page'] });
    expect((await t.api('GET', '/v1/state')).body).toEqual({ keys: ['cursor'] });
    expect((await t.api('DELETE', `/v1/exports/${exp}/state/page`)).status).toBe(200);
    expect((await t.api('GET', `/v1/exports/${exp}/state/page`)).status).toBe(404);
    expect((await t.api('GET', '/v1/exports/0123456789abcdef01234567/state')).status).toBe(404);
    expect((await t.api('DELETE', '/v1/state')).status).toBe(204);
    expect((await t.api('GET', '/v1/state')).body).toEqual({ keys: [] });
  });
});
