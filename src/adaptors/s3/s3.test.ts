import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from '../../../test/support/fake-s3.js';
import type { AdaptorSession, Doc, ExportPage, RunContext } from '../adaptor.js';
import { s3Adaptor } from './index.js';

const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  signal: new AbortController().signal,
  log: { info: () => undefined, warn: () => undefined },
  templateData: {},
  currentExportDateTime: new Date().toISOString(),
  ...over,
});

async function collect(session: AdaptorSession, doc: Doc, pageSize = 20): Promise<ExportPage[]> {
  const pages: ExportPage[] = [];
  for await (const p of session.exportPages!({ export: doc, pageSize }, ctx())) pages.push(p);
  return pages;
}

describe('S3 adaptor against an S3-compatible server', () => {
  let s3: FakeS3;
  let connection: Doc;
  let session: AdaptorSession;

  beforeAll(async () => {
    s3 = await startFakeS3();
    connection = { _id: 'c', type: 's3', s3: { region: 'us-east-1', ...s3.credentials, endpoint: s3.endpoint } };
    session = await s3Adaptor.open(connection);
  });
  afterAll(async () => {
    await session?.close();
    await s3?.close();
  });
  beforeEach(() => {
    s3.reset();
    for (const b of ['inbox', 'archive', 'outbox']) s3.createBucket(b);
  });

  const exportDoc = (s3Block: Record<string, unknown>, file: Record<string, unknown> = { type: 'csv' }): Doc => ({ _id: 'e', adaptorType: 'S3Export', s3: s3Block, file });

  it('pings with the SDK through the custom endpoint, path-style', async () => {
    await expect(session.ping(ctx())).resolves.toBeUndefined();
    expect(s3.requests.at(-1)).toMatch(/^GET \/(\?|$)/);
  });

  it('names the endpoint when the credentials are refused', async () => {
    const bad = await s3Adaptor.open({ _id: 'c', type: 's3', s3: { region: 'us-east-1', accessKeyId: 'nope', secretAccessKey: 'x', endpoint: s3.endpoint } });
    await expect(bad.ping(ctx())).rejects.toThrow(new RegExp(`^connecting to S3 at ${s3.endpoint.replaceAll('.', '\\.')}: InvalidAccessKeyId`));
    await bad.close();
  });

  it('names the endpoint when nothing listens there', async () => {
    const bad = await s3Adaptor.open({ _id: 'c', type: 's3', s3: { region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'x', endpoint: 'http://127.0.0.1:1' } });
    await expect(bad.ping(ctx())).rejects.toThrow(/^connecting to S3 at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    await bad.close();
  });

  it('reads the objects matching keyStartsWith/keyEndsWith, across list pages, then moves them to backupBucket on commit', async () => {
    for (let i = 0; i < 3; i++) s3.putObject('inbox', `in/orders-${i}.csv`, `id,n\n${i},a\n${i},b\n`);
    s3.putObject('inbox', 'in/orders-x.txt', 'id\n9\n');
    s3.putObject('inbox', 'in/other.csv', 'id\n8\n');
    s3.putObject('inbox', 'in/', '');
    const doc = exportDoc({ bucket: 'inbox', keyStartsWith: 'in/orders-', keyEndsWith: '.csv', backupBucket: 'archive' });
    const pages = await collect(session, doc, 4);
    expect(pages.map((p) => p.records.length)).toEqual([4, 2]);
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(['0', '0', '1', '1', '2', '2']);

    await session.commitExport!({ export: doc, pageSize: 4 }, ctx());
    expect(s3.keys('inbox')).toEqual(['in/', 'in/orders-x.txt', 'in/other.csv']);
    expect(s3.keys('archive')).toEqual(['in/orders-0.csv', 'in/orders-1.csv', 'in/orders-2.csv']);
    expect(s3.getObject('archive', 'in/orders-1.csv')!.toString()).toBe('id,n\n1,a\n1,b\n');
  });

  it('leaves objects of a run that did not commit; the next run reads them once, then deletes them', async () => {
    s3.putObject('inbox', 'runs/a b+c.json', '[{"id":1},{"id":2}]');
    const doc = exportDoc({ bucket: 'inbox', keyPrefix: 'runs/' }, { type: 'json' });
    const failed = await s3Adaptor.open(connection);
    expect((await collect(failed, doc)).flatMap((p) => p.records)).toEqual([{ id: 1 }, { id: 2 }]);
    await failed.close();
    expect(s3.keys('inbox')).toContain('runs/a b+c.json');

    const next = await s3Adaptor.open(connection);
    expect((await collect(next, doc)).flatMap((p) => p.records)).toEqual([{ id: 1 }, { id: 2 }]);
    // Also after close(): the session reconnects.
    await next.close();
    await next.commitExport!({ export: doc, pageSize: 20 }, ctx());
    await next.close();
    expect(s3.keys('inbox')).not.toContain('runs/a b+c.json');
    expect(await collect(session, doc)).toEqual([]);
  });

  it('parses gzipped objects and reports malformed rows with their row number', async () => {
    s3.putObject('inbox', 'gz/data.csv.gz', gzipSync('id,name\n1,Ann\n2,"Bob\n'));
    const pages = await collect(session, exportDoc({ bucket: 'inbox', keyStartsWith: 'gz/' }, { type: 'csv', compressionFormat: 'gzip' }));
    expect(pages.flatMap((p) => p.records)).toEqual([{ id: '1', name: 'Ann' }]);
    expect(pages.flatMap((p) => p.problems ?? [])[0]!.message).toMatch(/^parsing gz\/data\.csv\.gz row \d+: /);
  });

  it('reports an unreadable object as one error naming it, reads the others, and retires only the good ones', async () => {
    const good = gzipSync('id,name\n1,Ann\n2,Bob\n');
    const long = gzipSync('id,name\n' + Array.from({ length: 50 }, (_, i) => `${i},n${i}`).join('\n') + '\n');
    s3.putObject('inbox', 'in/a.csv.gz', good);
    s3.putObject('inbox', 'in/b.csv.gz', long.subarray(0, long.length - 12)); // truncated
    s3.putObject('inbox', 'in/c.csv.gz', Buffer.from('id,name\n9,plain\n')); // not gzip
    s3.putObject('inbox', 'in/d.csv.gz', gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0x49]))); // binary
    const doc = exportDoc({ bucket: 'inbox', keyStartsWith: 'in/' }, { type: 'csv', compressionFormat: 'gzip' });
    const pages = await collect(session, doc, 10);
    const records = pages.flatMap((p) => p.records);
    const problems = pages.flatMap((p) => p.problems ?? []);
    expect(records.slice(0, 2)).toEqual([{ id: '1', name: 'Ann' }, { id: '2', name: 'Bob' }]);
    expect(records.some((r) => r.name === 'plain')).toBe(false);
    expect(problems.map((p) => p.code)).toEqual(['file_error', 'file_error', 'file_error']);
    expect(problems[0]!.message).toMatch(/^reading file in\/b\.csv\.gz: unexpected end of file/);
    expect(problems[1]!.message).toMatch(/^reading file in\/c\.csv\.gz: .*incorrect header check/);
    expect(problems[2]!.message).toMatch(/^reading file in\/d\.csv\.gz: the file is binary/);
    await session.commitExport!({ export: doc, pageSize: 10 }, ctx());
    expect(s3.getObject('inbox', 'in/a.csv.gz')).toBeUndefined();
    for (const k of ['b', 'c', 'd']) expect(s3.getObject('inbox', `in/${k}.csv.gz`)).toBeDefined();
  });

  it('pings within connectTimeout when the server accepts the connection and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((sock) => void sockets.add(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const bad = await s3Adaptor.open({ _id: 'c', type: 's3', s3: { region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'x', endpoint: `http://127.0.0.1:${port}`, connectTimeout: 500 } });
    const started = Date.now();
    try {
      await expect(bad.ping(ctx())).rejects.toThrow(/^connecting to S3 at http:\/\/127\.0\.0\.1:\d+: no answer within 500 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await bad.close();
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('fails the export naming the bucket when it does not exist', async () => {
    await expect(collect(session, exportDoc({ bucket: 'nope' }))).rejects.toThrow(/^listing s3:\/\/nope\/ on S3 at .*NoSuchBucket/);
  });

  it('writes one object per page under a key from the template', async () => {
    const imp: Doc = { _id: 'i', adaptorType: 'S3Import', s3: { bucket: 'outbox', fileKey: 'out/{{settings.kind}}-{{timestamp "YYYYMMDD"}}.xml' }, file: { type: 'xml', xml: { resourcePath: 'Orders/Order' } } };
    const c = ctx({ templateData: { settings: { kind: 'orders' } } });
    const out = await session.importRecords!({ import: imp, records: [{ id: '1' }, { id: '2' }] }, c);
    const out2 = await session.importRecords!({ import: imp, records: [{ id: '3' }] }, c);
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(out.map((o) => o._json)).toEqual([{ fileName: `out/orders-${day}.xml` }, { fileName: `out/orders-${day}.xml` }]);
    expect(out2[0]!._json).toEqual({ fileName: `out/orders-${day}-2.xml` });
    expect(s3.getObject('outbox', `out/orders-${day}.xml`)!.toString()).toContain('<Order>\n    <id>2</id>');
    expect(s3.requests.some((r) => r.startsWith(`PUT /outbox/out/orders-${day}.xml`))).toBe(true);
  });

  it('refuses a key template that escapes with ..', async () => {
    const imp: Doc = { _id: 'i', adaptorType: 'S3Import', s3: { bucket: 'outbox', fileKey: '../{{x}}' }, file: { type: 'csv' } };
    await expect(session.importRecords!({ import: imp, records: [{ a: 1 }] }, ctx({ templateData: { x: 'y' } }))).rejects.toThrow(/not a file name/);
  });

  it('(test server) accepts uploads made with the SDK defaults: checksums and aws-chunked streams', async () => {
    const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    await client.send(new PutObjectCommand({ Bucket: 'outbox', Key: 'plain.txt', Body: 'hello' }));
    await new Upload({ client, params: { Bucket: 'outbox', Key: 'stream.txt', Body: Readable.from([Buffer.from('stream'), Buffer.from('ed')]) } }).done();
    client.destroy();
    expect(s3.getObject('outbox', 'plain.txt')!.toString()).toBe('hello');
    expect(s3.getObject('outbox', 'stream.txt')!.toString()).toBe('streamed');
  });
});
