import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';

const dialects = await storageDialects();

describe.each(dialects)('a flow created through the API runs end to end on %s', (dialect) => {
  let t: TestIntegrator;
  let source: LocalServer;
  let destination: LocalServer;
  const received: Record<string, unknown>[] = [];

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    source = await startHttpServer(pagedSource(120, 25));
    // Rejects every record whose sku ends in 0, as a real API rejects bad data.
    destination = await startHttpServer((_req, body, res) => {
      const record = JSON.parse(body) as { sku: number };
      res.setHeader('content-type', 'application/json');
      if (record.sku % 10 === 0) {
        res.statusCode = 422;
        res.end(JSON.stringify({ message: `sku ${record.sku} is discontinued` }));
        return;
      }
      received.push(record);
      res.statusCode = 201;
      res.end(JSON.stringify({ id: `P-${record.sku}` }));
    });
  });
  afterAll(async () => {
    await t?.stop();
    await source?.close();
    await destination?.close();
  });

  async function createFlow() {
    const src = await t.api('POST', '/v1/connections', { name: 'Source', type: 'http', http: { baseURI: source.url } });
    const dst = await t.api('POST', '/v1/connections', { name: 'Destination', type: 'http', http: { baseURI: destination.url } });
    const exp = await t.api('POST', '/v1/exports', {
      name: 'Items',
      adaptorType: 'HTTPExport',
      _connectionId: src.body._id,
      pageSize: 20,
      http: { method: 'GET', relativeURI: '/items?page=1', paging: { method: 'linkheader' }, response: { resourcePath: 'items' } },
    });
    const imp = await t.api('POST', '/v1/imports', {
      name: 'Products',
      adaptorType: 'HTTPImport',
      _connectionId: dst.body._id,
      http: { method: ['POST'], relativeURI: ['/products'] },
      mapping: {
        fields: [
          { extract: 'id', generate: 'sku' },
          { extract: 'name', generate: 'title' },
          { extract: 'price', generate: 'pricing.amount', dataType: 'number' },
          { generate: 'pricing.currency', hardCodedValue: 'EUR' },
        ],
      },
    });
    expect([src.status, dst.status, exp.status, imp.status]).toEqual([201, 201, 201, 201]);
    const flow = await t.api('POST', '/v1/flows', {
      name: 'Items to products',
      pageGenerators: [{ _exportId: exp.body._id }],
      pageProcessors: [{ type: 'import', _importId: imp.body._id }],
    });
    expect(flow.status).toBe(201);
    return { flowId: flow.body._id as string, exportId: exp.body._id as string, importId: imp.body._id as string };
  }

  it('exports every page, maps, imports, and counts rejected records as job errors', async () => {
    const { flowId, importId } = await createFlow();
    const run = await t.api('POST', `/v1/flows/${flowId}/run`);
    expect(run.status).toBe(201);
    expect(run.body._jobId).toMatch(/^[0-9a-f]{24}$/);

    const job = await waitForJob(t, run.body._jobId);
    expect(job).toMatchObject({ type: 'flow', status: 'completed', numExport: 120, numError: 12, numPagesGenerated: 6 });
    expect(job.startedAt).toBeDefined();
    expect(job.endedAt).toBeDefined();

    const children = await t.api('GET', `/v1/jobs?_flowJobId=${run.body._jobId}&type=import`);
    expect(children.body).toHaveLength(1);
    expect(children.body[0]).toMatchObject({ _importId: importId, numSuccess: 108, numError: 12, numPagesProcessed: 6, status: 'completed' });

    expect(received).toHaveLength(108);
    expect(received[0]).toEqual({ sku: 1, title: 'Item 1', pricing: { amount: 1.5, currency: 'EUR' } });

    const errors = await t.api('GET', `/v1/jobs/${run.body._jobId}/joberrors`);
    expect(errors.status).toBe(200);
    expect(errors.body).toHaveLength(12);
    expect(errors.body[0]).toMatchObject({ code: '422', source: 'application', retry: true });
    expect(errors.body.map((e: { message: string }) => e.message).join('\n')).toContain('sku 10 is discontinued');

    const listed = await t.api('GET', `/v1/jobs?_flowId=${flowId}`);
    expect(listed.body.map((j: { _id: string }) => j._id)).toContain(run.body._jobId);
  });

  it('fails the job with a readable reason when the source is unreachable', async () => {
    const conn = await t.api('POST', '/v1/connections', { name: 'Gone', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
    const dst = await t.api('POST', '/v1/connections', { name: 'D', type: 'http', http: { baseURI: destination.url } });
    const exp = await t.api('POST', '/v1/exports', { name: 'E', adaptorType: 'HTTPExport', _connectionId: conn.body._id, http: { relativeURI: '/x' } });
    const imp = await t.api('POST', '/v1/imports', { name: 'I', adaptorType: 'HTTPImport', _connectionId: dst.body._id, http: { method: ['POST'], relativeURI: ['/p'] } });
    const flow = await t.api('POST', '/v1/flows', { name: 'F', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    const run = await t.api('POST', `/v1/flows/${flow.body._id}/run`);
    const job = await waitForJob(t, run.body._jobId, 60_000);
    expect(job.status).toBe('failed');
    expect(job.failureReason).toMatch(/export .* \(E\)/);
    const errors = await t.api('GET', `/v1/jobs/${run.body._jobId}/joberrors`);
    expect(errors.body[0].code).toBe('export_failed');
  });
});
