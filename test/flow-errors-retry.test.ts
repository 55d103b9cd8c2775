import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagedSource, startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('a flow with a lookup, two imports and a failing destination on %s', (dialect) => {
  let t: TestIntegrator;
  let source: LocalServer;
  let prices: LocalServer;
  let crm: LocalServer;
  let shop: LocalServer;
  const shopReceived: Record<string, any>[] = [];

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    source = await startHttpServer(pagedSource(60, 20));
    prices = await startHttpServer((req, _body, res) => {
      const id = Number(/\/prices\/(\d+)/.exec(req.url ?? '')?.[1]);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([{ id, price: id * 2 }]));
    });
    crm = await startHttpServer((_req, body, res) => {
      const r = JSON.parse(body) as { sku: number };
      res.setHeader('content-type', 'application/json');
      res.statusCode = 201;
      res.end(JSON.stringify({ id: `C-${r.sku}` }));
    });
    // The shop refuses every tenth sku unless the record was fixed.
    shop = await startHttpServer((_req, body, res) => {
      const r = JSON.parse(body) as { sku: number; fixed?: boolean };
      res.setHeader('content-type', 'application/json');
      if (r.sku % 10 === 0 && !r.fixed) {
        res.statusCode = 422;
        res.end(JSON.stringify({ message: `sku ${r.sku} needs a category` }));
        return;
      }
      shopReceived.push(r);
      res.statusCode = 201;
      res.end(JSON.stringify({ id: `S-${r.sku}` }));
    });
  });
  afterAll(async () => {
    await t?.stop();
    for (const s of [source, prices, crm, shop]) await s?.close();
  });

  async function create(path: string, body: unknown) {
    const res = await t.api('POST', path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body._id as string;
  }

  it('counts every step, lists errors, edits retry data, retries and resolves with the counts right', async () => {
    const src = await create('/v1/connections', { name: 'Source', type: 'http', http: { baseURI: source.url } });
    const priceConn = await create('/v1/connections', { name: 'Prices', type: 'http', http: { baseURI: prices.url } });
    const crmConn = await create('/v1/connections', { name: 'CRM', type: 'http', http: { baseURI: crm.url } });
    const shopConn = await create('/v1/connections', { name: 'Shop', type: 'http', http: { baseURI: shop.url } });
    const items = await create('/v1/exports', {
      name: 'Items', adaptorType: 'HTTPExport', _connectionId: src, pageSize: 20,
      http: { method: 'GET', relativeURI: '/items?page=1', paging: { method: 'linkheader' }, response: { resourcePath: 'items' } },
    });
    const priceLookup = await create('/v1/exports', { name: 'Price', adaptorType: 'HTTPExport', _connectionId: priceConn, isLookup: true, http: { method: 'GET', relativeURI: '/prices/{{data.id}}' } });
    const toCrm = await create('/v1/imports', {
      name: 'CRM contacts', adaptorType: 'HTTPImport', _connectionId: crmConn, http: { method: ['POST'], relativeURI: ['/contacts'] },
      mapping: { fields: [{ extract: 'id', generate: 'sku' }] },
    });
    const toShop = await create('/v1/imports', {
      name: 'Shop products', adaptorType: 'HTTPImport', _connectionId: shopConn, http: { method: ['POST'], relativeURI: ['/products'] },
      mapping: { fields: [{ extract: 'id', generate: 'sku' }, { extract: 'price', generate: 'price', dataType: 'number' }, { extract: 'crmId', generate: 'crmId' }, { extract: 'fixed', generate: 'fixed' }] },
    });
    const flowId = await create('/v1/flows', {
      name: 'Items everywhere',
      pageGenerators: [{ _exportId: items }],
      pageProcessors: [
        { type: 'export', _exportId: priceLookup, responseMapping: { fields: [{ extract: 'data[0].price', generate: 'price' }] } },
        { type: 'import', _importId: toCrm, responseMapping: { fields: [{ extract: 'id', generate: 'crmId' }] } },
        { type: 'import', _importId: toShop },
      ],
    });

    const run = await t.api('POST', `/v1/flows/${flowId}/run`);
    expect(run.status).toBe(201);
    const jobId = run.body._jobId as string;
    const job = await waitForJob(t, jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 60, numError: 6, numOpenError: 6, numResolved: 0, numPagesGenerated: 3 });
    // Sums of the children: export 60 + lookup 60 + CRM 60 + shop 54.
    expect(job.numSuccess).toBe(234);

    const family = await t.api('GET', `/v1/jobs/${jobId}/family`);
    const child = (id: string) => family.body.children.find((c: any) => c._exportId === id && c.type === 'export' || c._importId === id);
    expect(child(items)).toMatchObject({ type: 'export', oIndex: 0, numSuccess: 60, numPagesGenerated: 3, status: 'completed' });
    expect(child(priceLookup)).toMatchObject({ type: 'export', oIndex: 1, numSuccess: 60, numPagesProcessed: 3 });
    expect(child(toCrm)).toMatchObject({ type: 'import', oIndex: 2, numSuccess: 60, numError: 0 });
    expect(child(toShop)).toMatchObject({ type: 'import', oIndex: 3, numSuccess: 54, numError: 6, numOpenError: 6, status: 'completed' });
    expect(shopReceived).toHaveLength(54);
    // The lookup's price (id × 2, not the source's id × 1.5) and the CRM id reached the last import.
    expect(shopReceived.find((r) => r.sku === 7)).toEqual({ sku: 7, price: 14, crmId: 'C-7' });

    const summary = await t.api('GET', `/v1/flows/${flowId}/errors`);
    expect(summary.body.flowErrors).toEqual([{ _expOrImpId: toShop, numError: 6, lastErrorAt: expect.any(String) }]);

    const listed = await t.api('GET', `/v1/flows/${flowId}/${toShop}/errors`);
    expect(listed.status).toBe(200);
    expect(listed.body.errors).toHaveLength(6);
    expect(listed.body.errors[0]).toMatchObject({ code: '422', source: 'application', oIndex: 3, retryDataKey: expect.stringMatching(/^[0-9a-f]{24}$/), _flowJobId: jobId });
    expect(listed.body.errors.map((e: any) => e.message).join()).toContain('sku 10 needs a category');
    const alias = await t.api('GET', `/v1/flows/${flowId}/imports/${toShop}/errors?limit=2`);
    expect(alias.body.errors).toHaveLength(2);
    expect(alias.body.nextPageURL).toMatch(new RegExp(`^/api/flows/${flowId}/${toShop}/errors\\?startAtErrorId=`));
    expect(alias.body.nextPageURL).toContain('limit=2');
    const secondPage = await t.api('GET', alias.body.nextPageURL.replace('/api', '/v1'));
    expect(secondPage.body.errors).toHaveLength(2);
    expect(secondPage.body.errors[0].errorId).toBe(listed.body.errors[2].errorId);

    // Retry data is the record as it entered the shop step: after the lookup and the CRM import.
    const keys = listed.body.errors.map((e: any) => e.retryDataKey as string);
    const data = await t.api('GET', `/v1/flows/${flowId}/${toShop}/retryData/${keys[0]}`);
    expect(data.status).toBe(200);
    expect(data.body).toMatchObject({ data: { id: 10, name: 'Item 10', price: 20, crmId: 'C-10' }, stage: toShop, traceKey: '10' });

    // Fix three records, retry those three.
    for (const key of keys.slice(0, 3)) {
      const current = await t.api('GET', `/v1/flows/${flowId}/${toShop}/${key}/data`);
      const put = await t.api('PUT', `/v1/flows/${flowId}/${toShop}/${key}/data`, { ...current.body, data: { ...current.body.data, fixed: true } });
      expect(put.status).toBe(200);
      expect(put.body.data.fixed).toBe(true);
    }
    const crmBefore = crm.requests.length;
    const retry = await t.api('POST', `/v1/flows/${flowId}/${toShop}/retry`, { retryDataKeys: keys.slice(0, 3) });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ type: 'retry', _flowId: flowId, _importId: toShop, _flowJobId: jobId, _jobId: retry.body._id });
    const retried = await waitForJob(t, retry.body._id);
    expect(retried).toMatchObject({ status: 'completed', numSuccess: 3, numError: 0 });
    // Only the failing step ran again.
    expect(crm.requests.length).toBe(crmBefore);
    expect(shopReceived.filter((r) => r.fixed)).toHaveLength(3);

    expect((await t.api('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ numOpenError: 3, numResolved: 3 });
    expect((await t.api('GET', `/v1/flows/${flowId}/${toShop}/errors`)).body.errors).toHaveLength(3);
    expect((await t.api('GET', `/v1/flows/${flowId}/errors`)).body.flowErrors[0].numError).toBe(3);
    const progress = await t.api('GET', `/v1/jobs?_flowId=${flowId}&type=retry`);
    expect(progress.body.map((j: any) => j._id)).toEqual([retry.body._id]);

    // Retrying an unfixed record fails again: a new error under the retry job, the old one consumed.
    const again = await t.api('POST', `/v1/flows/${flowId}/${toShop}/retry`, { retryDataKeys: [keys[3]] });
    const failedAgain = await waitForJob(t, again.body._id);
    expect(failedAgain).toMatchObject({ status: 'completed', numSuccess: 0, numError: 1, numOpenError: 1 });
    const open = (await t.api('GET', `/v1/flows/${flowId}/${toShop}/errors`)).body.errors;
    expect(open).toHaveLength(3);
    expect(open.filter((e: any) => e._flowJobId === again.body._id)).toHaveLength(1);

    // Resolve everything left.
    const resolve = await t.api('PUT', `/v1/flows/${flowId}/${toShop}/resolved`, {});
    expect(resolve.status).toBe(204);
    expect((await t.api('GET', `/v1/flows/${flowId}/${toShop}/errors`)).body.errors).toEqual([]);
    expect((await t.api('GET', `/v1/flows/${flowId}/errors`)).body.flowErrors).toEqual([]);
    const resolved = await t.api('GET', `/v1/flows/${flowId}/${toShop}/resolved`);
    expect(resolved.body.resolved).toHaveLength(7);
    expect((await t.api('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ numError: 6, numOpenError: 0, numResolved: 6 });
    expect((await t.api('GET', `/v1/jobs/${again.body._id}`)).body).toMatchObject({ numOpenError: 0, numResolved: 1 });
    const shopChild = (await t.api('GET', `/v1/jobs?_flowJobId=${jobId}&type=import&_importId=${toShop}`)).body[0];
    expect(shopChild).toMatchObject({ numOpenError: 0, numResolved: 6 });

    // Resolved errors cannot be retried.
    const late = await t.api('POST', `/v1/flows/${flowId}/${toShop}/retry`, { retryDataKeys: [keys[5]] });
    expect(late.status).toBe(422);
    // A misspelt option is refused rather than read as "retry every open error".
    const typo = await t.api('POST', `/v1/flows/${flowId}/${toShop}/retry`, { retryDataKey: [keys[5]] });
    expect(typo.status).toBe(422);
    expect(typo.body.errors[0].field).toBe('retryDataKey');
  });
});
