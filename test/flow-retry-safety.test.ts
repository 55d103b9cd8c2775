import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(dialects)('a retry that does not finish keeps its errors on %s', (dialect) => {
  let t: TestIntegrator;
  let source: LocalServer;
  let destination: LocalServer;
  /** reject: 422 for every record; slow: 201 after 150 ms; ok: 201 at once. */
  let mode: 'reject' | 'slow' | 'ok' = 'reject';
  const delivered = new Set<number>();

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    source = await startHttpServer(pagedSource(45, 45));
    destination = await startHttpServer((_req, body, res) => {
      const r = JSON.parse(body) as { sku: number };
      res.setHeader('content-type', 'application/json');
      if (mode === 'reject') {
        res.statusCode = 422;
        res.end(JSON.stringify({ message: `sku ${r.sku} refused` }));
        return;
      }
      const answer = () => {
        delivered.add(r.sku);
        res.statusCode = 201;
        res.end(JSON.stringify({ id: `P-${r.sku}` }));
      };
      if (mode === 'slow') setTimeout(answer, 150);
      else answer();
    });
  });
  afterAll(async () => {
    await t?.stop();
    await source?.close();
    await destination?.close();
  });

  async function failingFlow(total: number) {
    const src = await t.api('POST', '/v1/connections', { name: 'Source', type: 'http', http: { baseURI: source.url } });
    const dst = await t.api('POST', '/v1/connections', { name: 'Destination', type: 'http', http: { baseURI: destination.url, concurrencyLevel: 1 } });
    const exp = await t.api('POST', '/v1/exports', { name: 'Items', adaptorType: 'HTTPExport', _connectionId: src.body._id, pageSize: 45, http: { relativeURI: '/items?page=1', response: { resourcePath: 'items' } } });
    const imp = await t.api('POST', '/v1/imports', { name: 'Products', adaptorType: 'HTTPImport', _connectionId: dst.body._id, http: { method: ['POST'], relativeURI: ['/products'] }, mapping: { fields: [{ extract: 'id', generate: 'sku' }] } });
    const flow = await t.api('POST', '/v1/flows', { name: 'Retry safety', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    const flowId = flow.body._id as string;
    const importId = imp.body._id as string;
    mode = 'reject';
    const run = await t.api('POST', `/v1/flows/${flowId}/run`);
    const job = await waitForJob(t, run.body._jobId);
    expect(job).toMatchObject({ status: 'completed', numError: total, numOpenError: total, numResolved: 0 });
    return { flowId, importId, flowJobId: job._id as string, connectionId: dst.body._id as string };
  }

  const openErrors = async (flowId: string, stepId: string) => (await t.api('GET', `/v1/flows/${flowId}/${stepId}/errors`)).body.errors as any[];
  const retriedSku = (e: any) => Number(e.traceKey);

  it('a canceled retry leaves the records it did not send open and retryable, with the counters matching', async () => {
    const { flowId, importId, flowJobId } = await failingFlow(45);
    delivered.clear();
    mode = 'slow';
    const retry = await t.api('POST', `/v1/flows/${flowId}/${importId}/retry`, {});
    expect(retry.status).toBe(201);
    const retryId = retry.body._id as string;
    // The first chunk of records went through; cancel while the next one is on its way.
    await until(async () => (await t.api('GET', `/v1/jobs/${retryId}`)).body.numSuccess >= 20, 'the retry to make progress');
    expect((await t.api('PUT', `/v1/jobs/${retryId}/cancel`)).status).toBe(204);
    const canceled = await waitForJob(t, retryId);
    expect(canceled.status).toBe('canceled');

    const open = await openErrors(flowId, importId);
    const original = (await t.api('GET', `/v1/jobs/${flowJobId}`)).body;
    expect(open.length).toBeGreaterThanOrEqual(5);
    expect(open.length).toBeLessThan(45);
    // Each record is consumed by the retry (delivered) or still open; the counters say the same.
    expect(original).toMatchObject({ numOpenError: open.length, numResolved: 45 - open.length });
    expect(canceled.numSuccess).toBe(45 - open.length);
    expect(canceled).toMatchObject({ numError: 0, numOpenError: 0 });
    const openSkus = new Set(open.map(retriedSku));
    for (let sku = 1; sku <= 45; sku++) expect(delivered.has(sku) || openSkus.has(sku), `sku ${sku} delivered or open`).toBe(true);
    expect(open.every((e) => e._flowJobId === flowJobId && e.retryDataKey)).toBe(true);

    // The rest can be retried, and then nothing is open.
    mode = 'ok';
    const again = await t.api('POST', `/v1/flows/${flowId}/${importId}/retry`, {});
    expect(again.status).toBe(201);
    expect(await waitForJob(t, again.body._id)).toMatchObject({ status: 'completed', numSuccess: open.length, numError: 0 });
    expect(await openErrors(flowId, importId)).toEqual([]);
    expect((await t.api('GET', `/v1/jobs/${flowJobId}`)).body).toMatchObject({ numOpenError: 0, numResolved: 45 });
    expect(delivered.size).toBe(45);
  });

  it('a retry that fails (connection offline) leaves every error open; retried once online, they are consumed', async () => {
    const { flowId, importId, flowJobId, connectionId } = await failingFlow(45);
    const before = await openErrors(flowId, importId);
    expect(before).toHaveLength(45);
    const keys = before.slice(0, 3).map((e) => e.retryDataKey as string);
    expect((await t.api('PATCH', `/v1/connections/${connectionId}`, [{ op: 'add', path: '/offline', value: true }])).status).toBe(204);
    delivered.clear();
    mode = 'ok';
    const retry = await t.api('POST', `/v1/flows/${flowId}/${importId}/retry`, { retryDataKeys: keys });
    expect(retry.status).toBe(201);
    const failed = await waitForJob(t, retry.body._id);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason ?? JSON.stringify(failed)).toMatch(/offline/);
    expect(failed).toMatchObject({ numSuccess: 0, numResolved: 0 });
    expect(delivered.size).toBe(0);
    expect((await openErrors(flowId, importId)).map((e) => e.errorId).sort()).toEqual(before.map((e) => e.errorId).sort());
    expect((await t.api('GET', `/v1/jobs/${flowJobId}`)).body).toMatchObject({ numOpenError: 45, numResolved: 0 });

    expect((await t.api('PATCH', `/v1/connections/${connectionId}`, [{ op: 'add', path: '/offline', value: false }])).status).toBe(204);
    const again = await t.api('POST', `/v1/flows/${flowId}/${importId}/retry`, { retryDataKeys: keys });
    expect(await waitForJob(t, again.body._id)).toMatchObject({ status: 'completed', numSuccess: 3 });
    expect(await openErrors(flowId, importId)).toHaveLength(42);
    expect((await t.api('GET', `/v1/jobs/${flowJobId}`)).body).toMatchObject({ numOpenError: 42, numResolved: 3 });
  });

  it('refuses retry data that is not an object and retry data keys that name no open error', async () => {
    const { flowId, importId } = await failingFlow(45);
    const [first, second] = await openErrors(flowId, importId);
    const key = first.retryDataKey as string;
    for (const data of ['a string', null, [1, 2], 7]) {
      const res = await t.api('PUT', `/v1/flows/${flowId}/${importId}/${key}/data`, { data });
      expect(res.status, JSON.stringify(data)).toBe(422);
      expect(res.body.errors[0].field).toBe('data');
    }
    expect((await t.api('PUT', `/v1/flows/${flowId}/${importId}/retryData/${key}`, { data: 'x' })).status).toBe(422);
    const kept = await t.api('GET', `/v1/flows/${flowId}/${importId}/${key}/data`);
    expect(kept.body.data).toMatchObject({ id: expect.any(Number) });

    const unknown = '0123456789abcdef01234567';
    const res = await t.api('POST', `/v1/flows/${flowId}/${importId}/retry`, { retryDataKeys: [key, unknown, second.retryDataKey] });
    expect(res.status).toBe(422);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_field', field: 'retryDataKeys[1]' });
    expect(res.body.errors[0].message).toContain(unknown);
    // Nothing was retried.
    expect((await t.api('GET', `/v1/jobs?_flowId=${flowId}&type=retry`)).body).toEqual([]);
    expect(await openErrors(flowId, importId)).toHaveLength(45);
  });

  it('PUT /jobs/:id/resolve resolves every open error of the job', async () => {
    const { flowId, importId, flowJobId } = await failingFlow(45);
    const res = await t.api('PUT', `/v1/jobs/${flowJobId}/resolve`);
    expect(res.status).toBe(204);
    expect(await openErrors(flowId, importId)).toEqual([]);
    expect((await t.api('GET', `/v1/jobs/${flowJobId}`)).body).toMatchObject({ numOpenError: 0, numResolved: 45 });
    const child = (await t.api('GET', `/v1/jobs?_flowJobId=${flowJobId}&type=import`)).body[0];
    expect(child).toMatchObject({ numOpenError: 0, numResolved: 45 });
    expect((await t.api('PUT', `/v1/jobs/${flowJobId}/resolve`)).status).toBe(204);
    expect((await t.api('GET', `/v1/jobs/${flowJobId}`)).body).toMatchObject({ numOpenError: 0, numResolved: 45 });
    expect((await t.api('PUT', '/v1/jobs/0123456789abcdef01234567/resolve')).status).toBe(404);
  });

  it('error lists page with every filter and the limit kept, on the open and the resolved list; a bad limit is 400', async () => {
    const { flowId, importId, flowJobId } = await failingFlow(45);
    const since = new Date(Date.now() - 3600_000).toISOString();
    const base = `/v1/flows/${flowId}/${importId}`;
    const query = `_flowJobId=${flowJobId}&source=application&occurredAt_gte=${encodeURIComponent(since)}&limit=20`;
    const seen: string[] = [];
    let url: string | undefined = `${base}/errors?${query}`;
    let pages = 0;
    while (url) {
      const res = await t.api('GET', url);
      expect(res.status, url).toBe(200);
      expect(res.body.errors.length).toBeLessThanOrEqual(20);
      seen.push(...res.body.errors.map((e: any) => e.errorId));
      const next = res.body.nextPageURL as string | undefined;
      if (next) {
        const params = new URL(next, 'http://x').searchParams;
        expect(params.get('startAtErrorId')).toMatch(/^[0-9a-f]{24}$/);
        expect(params.get('_flowJobId')).toBe(flowJobId);
        expect(params.getAll('source')).toEqual(['application']);
        expect(params.get('occurredAt_gte')).toBe(since);
        expect(params.get('limit')).toBe('20');
      }
      url = next?.replace(/^\/api\//, '/v1/');
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(45);
    // A filter that matches nothing stays applied on every page.
    expect((await t.api('GET', `${base}/errors?source=mapping&limit=1`)).body).toEqual({ errors: [] });

    expect((await t.api('PUT', `${base}/resolved`, {})).status).toBe(204);
    const first = await t.api('GET', `${base}/resolved?_flowJobId=${flowJobId}&resolvedAt_gte=${encodeURIComponent(since)}&limit=40`);
    expect(first.body.resolved).toHaveLength(40);
    const next = new URL(first.body.nextPageURL, 'http://x');
    expect(next.pathname).toBe(`/api/flows/${flowId}/${importId}/resolved`);
    expect(next.searchParams.get('limit')).toBe('40');
    expect(next.searchParams.get('_flowJobId')).toBe(flowJobId);
    expect(next.searchParams.get('resolvedAt_gte')).toBe(since);
    const rest = await t.api('GET', first.body.nextPageURL.replace(/^\/api\//, '/v1/'));
    expect(rest.body.resolved).toHaveLength(5);
    expect(rest.body.nextPageURL).toBeUndefined();

    for (const bad of ['0', 'abc', '-1', '1001', '2.5', '']) {
      for (const list of ['errors', 'resolved']) {
        const res = await t.api('GET', `${base}/${list}?limit=${bad}`);
        expect(res.status, `${list} limit=${bad}`).toBe(400);
        expect(res.body.errors[0].field).toBe('limit');
      }
    }
    expect((await t.api('GET', `${base}/errors?limit=1000`)).status).toBe(200);
  });

  it('a retry canceled after the retried step keeps the records waiting for a later step as open errors there', async () => {
    let firstOk = false;
    const firstSeen = new Set<number>();
    const secondSeen = new Set<number>();
    const first = await startHttpServer((_req, body, res) => {
      const r = JSON.parse(body) as { sku: number };
      res.setHeader('content-type', 'application/json');
      if (!firstOk) {
        res.statusCode = 422;
        res.end('{"message":"refused"}');
        return;
      }
      firstSeen.add(r.sku);
      res.statusCode = 201;
      res.end(JSON.stringify({ id: r.sku }));
    });
    let secondSlow = true;
    const second = await startHttpServer((_req, body, res) => {
      const r = JSON.parse(body) as { sku: number };
      setTimeout(() => {
        secondSeen.add(r.sku);
        res.setHeader('content-type', 'application/json');
        res.statusCode = 201;
        res.end(JSON.stringify({ id: r.sku }));
      }, secondSlow ? 200 : 0);
    });
    try {
      const src = await t.api('POST', '/v1/connections', { name: 'Source', type: 'http', http: { baseURI: source.url } });
      const c1 = await t.api('POST', '/v1/connections', { name: 'First', type: 'http', http: { baseURI: first.url } });
      const c2 = await t.api('POST', '/v1/connections', { name: 'Second', type: 'http', http: { baseURI: second.url, concurrencyLevel: 1 } });
      const exp = await t.api('POST', '/v1/exports', { name: 'Items', adaptorType: 'HTTPExport', _connectionId: src.body._id, pageSize: 45, http: { relativeURI: '/items?page=1', response: { resourcePath: 'items' } } });
      const imp = (conn: string) => t.api('POST', '/v1/imports', { name: 'I', adaptorType: 'HTTPImport', _connectionId: conn, http: { method: ['POST'], relativeURI: ['/in'] }, mapping: { fields: [{ extract: 'id', generate: 'sku' }] } });
      const i1 = (await imp(c1.body._id)).body._id as string;
      const i2 = (await imp(c2.body._id)).body._id as string;
      const flow = await t.api('POST', '/v1/flows', { name: 'Two steps', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: i1 }, { type: 'import', _importId: i2 }] });
      const flowId = flow.body._id as string;
      const run = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
      expect(run).toMatchObject({ status: 'completed', numOpenError: 45 });
      expect(secondSeen.size).toBe(0);

      firstOk = true;
      const retry = (await t.api('POST', `/v1/flows/${flowId}/${i1}/retry`, {})).body._id as string;
      await until(async () => firstSeen.size >= 20 && secondSeen.size >= 1, 'the first chunk to reach the second step');
      expect((await t.api('PUT', `/v1/jobs/${retry}/cancel`)).status).toBe(204);
      const canceled = await waitForJob(t, retry);
      expect(canceled.status).toBe('canceled');

      const openAtFirst = await openErrors(flowId, i1);
      const openAtSecond = await openErrors(flowId, i2);
      const passedFirst = 45 - openAtFirst.length;
      expect(passedFirst).toBeGreaterThanOrEqual(20);
      expect((await t.api('GET', `/v1/jobs/${run._id}`)).body).toMatchObject({ numOpenError: openAtFirst.length, numResolved: passedFirst });
      // Past the first step: delivered to the second, or open there under the retry job.
      expect(openAtSecond.length).toBeGreaterThan(0);
      expect(openAtSecond.every((e) => e.code === 'retry_not_finished' && e._flowJobId === retry && e.retryDataKey)).toBe(true);
      expect(canceled.numOpenError).toBe(openAtSecond.length);
      const waiting = new Set(openAtSecond.map(retriedSku));
      for (const sku of firstSeen) expect(secondSeen.has(sku) || waiting.has(sku), `sku ${sku}`).toBe(true);

      // Retried at the second step, they get there.
      secondSlow = false;
      const again = await t.api('POST', `/v1/flows/${flowId}/${i2}/retry`, {});
      expect(await waitForJob(t, again.body._id)).toMatchObject({ status: 'completed', numSuccess: openAtSecond.length });
      expect(await openErrors(flowId, i2)).toEqual([]);
      expect((await t.api('GET', `/v1/jobs/${retry}`)).body).toMatchObject({ numOpenError: 0, numResolved: openAtSecond.length });
      for (const sku of firstSeen) expect(secondSeen.has(sku)).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
