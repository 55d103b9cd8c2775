import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

/** Polls until `check` holds. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(dialects)('canceling jobs on %s', (dialect) => {
  let t: TestIntegrator;
  let source: LocalServer;
  let destination: LocalServer;

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    const pages = pagedSource(400, 10);
    // Slow pages keep a run going long enough to cancel it mid-way.
    source = await startHttpServer((req, body, res) => void setTimeout(() => pages(req, body, res), 150));
    destination = await startHttpServer((_req, _body, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  afterAll(async () => {
    await t?.stop();
    await source?.close();
    await destination?.close();
  });

  async function slowFlow() {
    const src = await t.api('POST', '/v1/connections', { name: 'Slow', type: 'http', http: { baseURI: source.url } });
    const dst = await t.api('POST', '/v1/connections', { name: 'Sink', type: 'http', http: { baseURI: destination.url } });
    const exp = await t.api('POST', '/v1/exports', { name: 'Slow items', adaptorType: 'HTTPExport', _connectionId: src.body._id, pageSize: 10, http: { relativeURI: '/items?page=1', paging: { method: 'linkheader' }, response: { resourcePath: 'items' } } });
    const imp = await t.api('POST', '/v1/imports', { name: 'Sink', adaptorType: 'HTTPImport', _connectionId: dst.body._id, http: { method: ['POST'], relativeURI: ['/in'] } });
    const flow = await t.api('POST', '/v1/flows', { name: 'Slow flow', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    return flow.body._id as string;
  }

  it('cancels a queued job at once and a running one between pages; the flow then runs again', async () => {
    const flowId = await slowFlow();
    const first = (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId as string;
    await until(async () => (await t.api('GET', `/v1/jobs/${first}`)).body.numPagesGenerated >= 1, 'the first run to make progress');
    const running = await t.api('GET', `/v1/jobs/${first}`);
    expect(running.body.status).toBe('running');
    expect(running.body.startedAt).toBeDefined();

    // One running job per flow: the second run waits queued.
    const second = (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId as string;
    await new Promise((r) => setTimeout(r, 700));
    expect((await t.api('GET', `/v1/jobs/${second}`)).body.status).toBe('queued');

    // Queued → canceled immediately.
    expect((await t.api('PUT', `/v1/jobs/${second}/cancel`)).status).toBe(204);
    const canceledQueued = (await t.api('GET', `/v1/jobs/${second}`)).body;
    expect(canceledQueued).toMatchObject({ status: 'canceled', canceledBy: expect.any(String), numExport: 0 });
    expect(canceledQueued.startedAt).toBeUndefined();

    // Running → canceling → canceled, with its children.
    expect((await t.api('PUT', `/v1/jobs/${first}/cancel`)).status).toBe(204);
    expect(['canceling', 'canceled']).toContain((await t.api('GET', `/v1/jobs/${first}`)).body.status);
    // A second cancel while canceling is accepted and changes nothing.
    expect((await t.api('PUT', `/v1/jobs/${first}/cancel`)).status).toBeOneOf([204, 422]);
    const canceled = await waitForJob(t, first);
    expect(canceled.status).toBe('canceled');
    expect(canceled.endedAt).toBeDefined();
    expect(canceled.numExport).toBeGreaterThan(0);
    expect(canceled.numExport).toBeLessThan(400);
    const children = (await t.api('GET', `/v1/jobs?_flowJobId=${first}&type=export&type=import`)).body;
    expect(children.map((c: any) => c.status)).toEqual(['canceled', 'canceled']);
    // Counts stay consistent: every exported record reached the import before the run stopped.
    const imported = children.find((c: any) => c.type === 'import');
    expect(imported.numSuccess).toBe(canceled.numExport);

    // Ended jobs cannot be canceled.
    const again = await t.api('PUT', `/v1/jobs/${first}/cancel`);
    expect(again.status).toBe(422);
    expect(again.body.errors[0].code).toBe('invalid_field');

    // The flow is free again: a new run starts (and is canceled to keep the test short).
    const third = (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId as string;
    await until(async () => (await t.api('GET', `/v1/jobs/${third}`)).body.status === 'running', 'the third run to start');
    await t.api('PUT', `/v1/jobs/${third}/cancel`);
    expect((await waitForJob(t, third)).status).toBe('canceled');
  });
});
