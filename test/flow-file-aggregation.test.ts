import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolPath } from '../src/adaptors/common/files/file-import.js';
import { startFakeS3, type FakeS3 } from './support/fake-s3.js';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('file imports: one file per run (file.skipAggregation false) on %s', (dialect) => {
  let t: TestIntegrator;
  let s3: FakeS3;
  let conn: string;
  let source: string;

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    s3 = await startFakeS3();
    s3.createBucket('inbox');
    // Six records read two at a time: three pages.
    s3.putObject('inbox', 'orders.json', JSON.stringify([1, 2, 3, 4, 5, 6].map((id) => ({ id, name: `n${id}` }))));
    conn = (await t.api('POST', '/v1/connections', { name: 'Files', type: 's3', s3: { region: 'us-east-1', ...s3.credentials, endpoint: s3.endpoint } })).body._id;
    const exp = await t.api('POST', '/v1/exports', { name: 'Orders', adaptorType: 'S3Export', _connectionId: conn, pageSize: 2, s3: { bucket: 'inbox' }, file: { type: 'json', skipDelete: true } });
    expect(exp.status, JSON.stringify(exp.body)).toBe(201);
    source = exp.body._id;
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.close();
  });

  async function flowInto(bucket: string, file: Record<string, unknown>) {
    const imp = await t.api('POST', '/v1/imports', { name: `To ${bucket}`, adaptorType: 'S3Import', _connectionId: conn, s3: { bucket, fileKey: 'out/orders-{{timestamp}}.csv' }, file: { type: 'csv', ...file } });
    expect(imp.status, JSON.stringify(imp.body)).toBe(201);
    const flow = await t.api('POST', '/v1/flows', { name: `Orders to ${bucket}`, pageGenerators: [{ _exportId: source }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    return { flowId: flow.body._id as string, importId: imp.body._id as string };
  }

  it('writes a 3-page run as exactly one CSV file with one header and every row', async () => {
    s3.createBucket('one');
    const { flowId, importId } = await flowInto('one', { skipAggregation: false });
    const jobId = (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId;
    const job = await waitForJob(t, jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 6, numError: 0, numPagesGenerated: 3 });
    const keys = s3.keys('one');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^out\/orders-.*\.csv$/);
    expect(s3.getObject('one', keys[0]!)!.toString('utf8')).toBe('id,name\r\n1,n1\r\n2,n2\r\n3,n3\r\n4,n4\r\n5,n5\r\n6,n6\r\n');
    const family = await t.api('GET', `/v1/jobs/${jobId}/family`);
    expect(family.body.children.find((c: any) => c._importId === importId)).toMatchObject({ numSuccess: 6, numError: 0, numPagesProcessed: 3 });
    expect(existsSync(spoolPath(jobId, importId))).toBe(false);
  });

  it('writes one file per page when skipAggregation is absent, as before', async () => {
    s3.createBucket('pages');
    const { flowId } = await flowInto('pages', {});
    const job = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 6, numError: 0 });
    const bodies = s3.keys('pages').map((k) => s3.getObject('pages', k)!.toString('utf8'));
    expect(bodies).toHaveLength(3);
    expect(bodies.sort()).toEqual(['id,name\r\n1,n1\r\n2,n2\r\n', 'id,name\r\n3,n3\r\n4,n4\r\n', 'id,name\r\n5,n5\r\n6,n6\r\n']);
  });

  it('a failing upload at the end of the run is a commit_failed error on the import job and the flow job', async () => {
    // The bucket does not exist: the pages spool fine, the upload at commit fails.
    const { flowId, importId } = await flowInto('missing-bucket', { skipAggregation: false });
    const jobId = (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId;
    const job = await waitForJob(t, jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 6, numError: 1, numOpenError: 1 });
    const family = await t.api('GET', `/v1/jobs/${jobId}/family`);
    expect(family.body.children.find((c: any) => c._importId === importId)).toMatchObject({ numSuccess: 6, numError: 1, numOpenError: 1 });
    const errors = (await t.api('GET', `/v1/flows/${flowId}/${importId}/errors`)).body.errors as any[];
    expect(errors).toEqual([expect.objectContaining({ code: 'commit_failed', source: 'connection', message: expect.stringMatching(/^import .*: delivering the run's records: uploading s3:\/\/missing-bucket\/out\/orders-/) })]);
    // The records are kept on the server, not dropped.
    expect(existsSync(spoolPath(jobId, importId))).toBe(true);
    rmSync(spoolPath(jobId, importId));
  });

  it('a record the format refuses is an error of its own; its retry, once fixed, is one more file written when the retry job ends', async () => {
    s3.createBucket('fw-in');
    s3.createBucket('fw');
    s3.putObject('fw-in', 'rows.json', JSON.stringify([{ id: 1, name: 'ok' }, { id: 2, name: 'too long' }, { id: 3, name: 'go' }]));
    const exp = await t.api('POST', '/v1/exports', { name: 'Rows', adaptorType: 'S3Export', _connectionId: conn, pageSize: 1, s3: { bucket: 'fw-in' }, file: { type: 'json', skipDelete: true } });
    const imp = await t.api('POST', '/v1/imports', {
      name: 'Fixed', adaptorType: 'S3Import', _connectionId: conn, s3: { bucket: 'fw', fileKey: 'rows-{{timestamp}}.txt' },
      file: { type: 'fixedwidth', skipAggregation: false, fixedWidth: { columns: [{ name: 'id', length: 1 }, { name: 'name', length: 2 }] } },
    });
    expect(imp.status, JSON.stringify(imp.body)).toBe(201);
    const flow = await t.api('POST', '/v1/flows', { name: 'Rows', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });
    const flowId = flow.body._id as string;
    const importId = imp.body._id as string;
    const job = await waitForJob(t, (await t.api('POST', `/v1/flows/${flowId}/run`)).body._jobId);
    expect(job).toMatchObject({ status: 'completed', numExport: 3, numError: 1 });
    expect(s3.keys('fw').map((k) => s3.getObject('fw', k)!.toString('utf8'))).toEqual(['1ok\r\n3go\r\n']);
    const [error] = (await t.api('GET', `/v1/flows/${flowId}/${importId}/errors`)).body.errors as any[];
    expect(error).toMatchObject({ code: 'invalid_record' });
    const current = await t.api('GET', `/v1/flows/${flowId}/${importId}/${error.retryDataKey}/data`);
    await t.api('PUT', `/v1/flows/${flowId}/${importId}/${error.retryDataKey}/data`, { ...current.body, data: { ...current.body.data, name: 'ab' } });
    const retry = await t.api('POST', `/v1/flows/${flowId}/${importId}/retry`, { retryDataKeys: [error.retryDataKey] });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(await waitForJob(t, retry.body._id)).toMatchObject({ status: 'completed', numSuccess: 1, numError: 0 });
    expect(s3.keys('fw').map((k) => s3.getObject('fw', k)!.toString('utf8')).sort()).toEqual(['1ok\r\n3go\r\n', '2ab\r\n']);
  });

  it('test mode writes nothing', async () => {
    s3.createBucket('preview');
    const { flowId } = await flowInto('preview', { skipAggregation: false });
    const res = await t.api('POST', `/v1/flows/${flowId}/test`, { limit: 5 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(s3.keys('preview')).toEqual([]);
  });
});
