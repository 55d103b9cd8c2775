import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from './support/fake-s3.js';
import { startHttpServer, type LocalServer } from './support/http-servers.js';
import { startTestIntegrator, storageDialects, waitForJob, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('file exports are retired only after a committed run on %s', (dialect) => {
  let t: TestIntegrator;
  let s3: FakeS3;
  let destination: LocalServer;

  beforeAll(async () => {
    t = await startTestIntegrator({ dialect });
    s3 = await startFakeS3();
    s3.createBucket('inbox');
    s3.createBucket('archive');
    destination = await startHttpServer((_req, _body, res) => res.end('{}'));
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.close();
    await destination?.close();
  });

  it('keeps the files after a failed run and moves them to the backup bucket after a completed one', async () => {
    s3.putObject('inbox', 'in/orders-1.json', '[{"id":1},{"id":2}]');
    s3.putObject('inbox', 'in/orders-2.json', '[{"id":3}]');
    const s3Conn = await t.api('POST', '/v1/connections', { name: 'Files', type: 's3', s3: { region: 'us-east-1', ...s3.credentials, endpoint: s3.endpoint } });
    expect(s3Conn.status, JSON.stringify(s3Conn.body)).toBe(201);
    const files = await t.api('POST', '/v1/exports', { name: 'Orders files', adaptorType: 'S3Export', _connectionId: s3Conn.body._id, s3: { bucket: 'inbox', keyStartsWith: 'in/', backupBucket: 'archive' }, file: { type: 'json' } });
    expect(files.status, JSON.stringify(files.body)).toBe(201);
    const gone = await t.api('POST', '/v1/connections', { name: 'Gone', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
    const broken = await t.api('POST', '/v1/exports', { name: 'Broken', adaptorType: 'HTTPExport', _connectionId: gone.body._id, http: { relativeURI: '/x' } });
    const dst = await t.api('POST', '/v1/connections', { name: 'D', type: 'http', http: { baseURI: destination.url } });
    const imp = await t.api('POST', '/v1/imports', { name: 'I', adaptorType: 'HTTPImport', _connectionId: dst.body._id, http: { method: ['POST'], relativeURI: ['/orders'] } });
    const flow = await t.api('POST', '/v1/flows', {
      name: 'Files then broken',
      pageGenerators: [{ _exportId: files.body._id }, { _exportId: broken.body._id }],
      pageProcessors: [{ type: 'import', _importId: imp.body._id }],
    });

    const failed = await waitForJob(t, (await t.api('POST', `/v1/flows/${flow.body._id}/run`)).body._jobId, 60_000);
    expect(failed).toMatchObject({ status: 'failed', numExport: 3 });
    expect(s3.keys('inbox')).toEqual(['in/orders-1.json', 'in/orders-2.json']);
    expect(s3.keys('archive')).toEqual([]);

    const completed = await waitForJob(t, (await t.api('POST', `/v1/flows/${flow.body._id}/run`, { _exportIds: [files.body._id] })).body._jobId);
    expect(completed).toMatchObject({ status: 'completed', numExport: 3, numError: 0 });
    expect(s3.keys('inbox')).toEqual([]);
    expect(s3.keys('archive')).toEqual(['in/orders-1.json', 'in/orders-2.json']);
  });
  it('a file that cannot be read is one job error naming it; the other files go through and are retired, it stays', async () => {
    s3.createBucket('gz');
    s3.putObject('gz', 'a.csv.gz', gzipSync('id,name\n1,Ann\n2,Bob\n'));
    const long = gzipSync('id,name\n' + Array.from({ length: 30 }, (_, i) => `${100 + i},n`).join('\n') + '\n');
    s3.putObject('gz', 'b.csv.gz', long.subarray(0, long.length - 10));
    s3.putObject('gz', 'c.csv.gz', 'id,name\n9,plain\n');
    const conn = await t.api('POST', '/v1/connections', { name: 'Gz', type: 's3', s3: { region: 'us-east-1', ...s3.credentials, endpoint: s3.endpoint } });
    const exp = await t.api('POST', '/v1/exports', { name: 'Gz files', adaptorType: 'S3Export', _connectionId: conn.body._id, s3: { bucket: 'gz' }, file: { type: 'csv', compressionFormat: 'gzip' } });
    expect(exp.status, JSON.stringify(exp.body)).toBe(201);
    const dst = await t.api('POST', '/v1/connections', { name: 'D2', type: 'http', http: { baseURI: destination.url } });
    const imp = await t.api('POST', '/v1/imports', { name: 'I2', adaptorType: 'HTTPImport', _connectionId: dst.body._id, http: { method: ['POST'], relativeURI: ['/orders'] } });
    const flow = await t.api('POST', '/v1/flows', { name: 'Gz flow', pageGenerators: [{ _exportId: exp.body._id }], pageProcessors: [{ type: 'import', _importId: imp.body._id }] });

    const job = await waitForJob(t, (await t.api('POST', `/v1/flows/${flow.body._id}/run`)).body._jobId, 60_000);
    expect(job.status).toBe('completed');
    expect(job.numExport).toBeGreaterThanOrEqual(2);
    expect(job.numError).toBe(2);
    const errors = (await t.api('GET', `/v1/flows/${flow.body._id}/${exp.body._id}/errors`)).body.errors as { message: string }[];
    expect(errors.map((e) => e.message).sort()).toEqual([expect.stringMatching(/b\.csv\.gz: unexpected end of file/), expect.stringMatching(/c\.csv\.gz: incorrect header check/)]);
    expect(s3.keys('gz')).toEqual(['b.csv.gz', 'c.csv.gz']);
  });

  it('refuses an FTP connection without a password with a 422 naming ftp.password', async () => {
    const res = await t.api('POST', '/v1/connections', { name: 'No password', type: 'ftp', ftp: { hostURI: 'ftp.example.com', username: 'u', type: 'ftps' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'ftp.password' })]);
    const sftp = await t.api('POST', '/v1/connections', { name: 'Key', type: 'ftp', ftp: { hostURI: 'sftp.example.com', username: 'u', type: 'sftp', authKey: 'key' } });
    expect(sftp.status, JSON.stringify(sftp.body)).toBe(201);
  });
});
