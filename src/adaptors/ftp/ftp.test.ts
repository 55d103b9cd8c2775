import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdaptorSession, Doc, ExportPage, RunContext } from '../adaptor.js';
import { connectionsKind } from '../../domain/resource-kinds.js';
import { spoolPath } from '../common/files/file-import.js';
import { ftpAdaptor } from './index.js';
import { generateClientKey, hasOpenssl, startFtpServer, startSftpServer } from './test-servers.js';

const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  signal: new AbortController().signal,
  log: { info: () => undefined, warn: () => undefined },
  templateData: {},
  currentExportDateTime: new Date().toISOString(),
  ...over,
});

async function collect(session: AdaptorSession, doc: Doc, pageSize = 20, limit?: number): Promise<ExportPage[]> {
  const pages: ExportPage[] = [];
  for await (const p of session.exportPages!({ export: doc, pageSize, ...(limit === undefined ? {} : { limit }) }, ctx())) pages.push(p);
  return pages;
}

const USER = 'alice';
const PASSWORD = 's3cret';
const clientKey = generateClientKey().privateKey;

interface Protocol {
  type: 'ftp' | 'ftps' | 'sftp';
  label: string;
  enabled: boolean;
  start(root: string): Promise<{ port: number; close(): Promise<void> }>;
}

const protocols: Protocol[] = [
  { type: 'ftp', label: 'FTP server', enabled: true, start: (root) => startFtpServer(root, USER, PASSWORD) },
  { type: 'ftps', label: 'FTPS server', enabled: hasOpenssl(), start: (root) => startFtpServer(root, USER, PASSWORD, true) },
  { type: 'sftp', label: 'SFTP server', enabled: true, start: (root) => startSftpServer(root, USER, PASSWORD, clientKey) },
];

for (const protocol of protocols) {
  describe.skipIf(!protocol.enabled)(`${protocol.type.toUpperCase()} adaptor`, () => {
    let root: string;
    let server: { port: number; close(): Promise<void> };
    let connection: Doc;
    let session: AdaptorSession;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), `${protocol.type}-root-`));
      server = await protocol.start(root);
      connection = {
        _id: 'c1',
        type: 'ftp',
        ftp: { type: protocol.type, hostURI: '127.0.0.1', port: server.port, username: USER, password: PASSWORD, rejectUnauthorized: false },
      };
      session = await ftpAdaptor.open(connection);
    });
    afterAll(async () => {
      await session?.close();
      await server?.close();
      rmSync(root, { recursive: true, force: true });
    });
    beforeEach(() => {
      for (const d of readdirSync(root)) rmSync(join(root, d), { recursive: true, force: true });
      mkdirSync(join(root, 'in'));
    });

    const csvExport = (extra: Record<string, unknown> = {}, file: Record<string, unknown> = { type: 'csv' }): Doc => ({
      _id: 'e1',
      adaptorType: 'FTPExport',
      ftp: { directoryPath: '/in', fileNameEndsWith: '.csv', ...extra },
      file,
    });

    it('pings', async () => {
      await expect(session.ping(ctx())).resolves.toBeUndefined();
    });

    it('names the server when the login fails', async () => {
      const bad = await ftpAdaptor.open({ ...connection, ftp: { ...(connection.ftp as object), password: 'wrong' } });
      await expect(bad.ping(ctx())).rejects.toThrow(new RegExp(`^connecting to ${protocol.label} 127\\.0\\.0\\.1:${server.port}: `));
      await bad.close();
    });

    it('reads matching files into pages; a malformed row is a problem, the other rows go through', async () => {
      writeFileSync(join(root, 'in', 'a.csv'), 'id,name\n1,Ann\n2,Bob\n3,Cy\n');
      writeFileSync(join(root, 'in', 'b.csv'), 'id,name\n4,Dee\n5,Eve,extra\n6,Fay\n');
      writeFileSync(join(root, 'in', 'skip.txt'), 'id\n99\n');
      const pages = await collect(session, csvExport(), 2);
      expect(pages.flatMap((p) => p.problems ?? []).map((p) => p.message).filter((m) => !m.startsWith('parsing'))).toEqual([]);
      expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(['1', '2', '3', '4', '6']);
      expect(pages.every((p) => p.records.length <= 2)).toBe(true);
      const problems = pages.flatMap((p) => p.problems ?? []);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.message).toMatch(/^parsing b\.csv row 3: /);
    });

    it('turns an unreadable file into one error naming it; the other files go through and only they are retired', async () => {
      writeFileSync(join(root, 'in', 'a.csv.gz'), gzipSync('id,name\n1,Ann\n2,Bob\n'));
      const long = gzipSync('id,name\n' + Array.from({ length: 40 }, (_, i) => `${i},n${i}`).join('\n') + '\n');
      writeFileSync(join(root, 'in', 'b.csv.gz'), long.subarray(0, long.length - 10));
      writeFileSync(join(root, 'in', 'c.csv.gz'), 'id,name\n9,plain\n');
      writeFileSync(join(root, 'in', 'd.csv.gz'), gzipSync('id,name\n3,Cy\n'));
      const doc = csvExport({ fileNameEndsWith: '.csv.gz', backupDirectoryPath: '/done' }, { type: 'csv', compressionFormat: 'gzip' });
      const pages = await collect(session, doc, 5);
      const ids = pages.flatMap((p) => p.records.map((r) => r.id));
      expect(ids.slice(0, 2)).toEqual(['1', '2']);
      expect(ids.at(-1)).toBe('3');
      expect(pages.flatMap((p) => p.records).some((r) => r.name === 'plain')).toBe(false);
      const problems = pages.flatMap((p) => p.problems ?? []);
      expect(problems.map((p) => p.message)).toEqual([
        expect.stringMatching(/^reading file \/in\/b\.csv\.gz: unexpected end of file/),
        expect.stringMatching(/^reading file \/in\/c\.csv\.gz: incorrect header check; the file was left in place$/),
      ]);
      await session.commitExport!({ export: doc, pageSize: 5 }, ctx());
      expect(readdirSync(join(root, 'in')).sort()).toEqual(['b.csv.gz', 'c.csv.gz']);
      expect(readdirSync(join(root, 'done')).sort()).toEqual(['a.csv.gz', 'd.csv.gz']);
    });

    it('leaves the files of a run that did not commit, reads them once in the next run, then moves them to the backup folder', async () => {
      writeFileSync(join(root, 'in', 'orders.csv'), 'id\n1\n2\n');
      const doc = csvExport({ backupDirectoryPath: '/done' });

      // Run 1 fails after reading (the engine never calls commitExport).
      const first = await ftpAdaptor.open(connection);
      expect((await collect(first, doc)).flatMap((p) => p.records)).toEqual([{ id: '1' }, { id: '2' }]);
      await first.close();
      expect(existsSync(join(root, 'in', 'orders.csv'))).toBe(true);

      // Run 2 reads the same file once and commits.
      const second = await ftpAdaptor.open(connection);
      expect((await collect(second, doc)).flatMap((p) => p.records)).toEqual([{ id: '1' }, { id: '2' }]);
      await second.commitExport!({ export: doc, pageSize: 20 }, ctx());
      await second.close();
      expect(existsSync(join(root, 'in', 'orders.csv'))).toBe(false);
      expect(readFileSync(join(root, 'done', 'orders.csv'), 'utf8')).toBe('id\n1\n2\n');

      // Run 3 finds nothing.
      expect(await collect(session, doc)).toEqual([]);
    });

    it('commits after close() too, reconnecting', async () => {
      writeFileSync(join(root, 'in', 'late.csv'), 'id\n1\n');
      const doc = csvExport();
      const s = await ftpAdaptor.open(connection);
      await collect(s, doc);
      await s.close();
      await s.commitExport!({ export: doc, pageSize: 20 }, ctx());
      await s.close();
      expect(readdirSync(join(root, 'in'))).toEqual([]);
    });

    it('deletes read files on commit without a backup folder, and keeps them with skipDelete', async () => {
      writeFileSync(join(root, 'in', 'x.csv'), 'id\n1\n');
      const keep = csvExport({}, { type: 'csv', skipDelete: true });
      await collect(session, keep);
      await session.commitExport!({ export: keep, pageSize: 20 }, ctx());
      expect(existsSync(join(root, 'in', 'x.csv'))).toBe(true);

      const doc = csvExport();
      await collect(session, doc);
      await session.commitExport!({ export: doc, pageSize: 20 }, ctx());
      expect(readdirSync(join(root, 'in'))).toEqual([]);
    });

    it('does not retire a file it stopped reading at the limit', async () => {
      writeFileSync(join(root, 'in', 'a.csv'), 'id\n1\n');
      writeFileSync(join(root, 'in', 'b.csv'), 'id\n2\n3\n');
      const doc = csvExport();
      expect((await collect(session, doc, 20, 2)).flatMap((p) => p.records)).toEqual([{ id: '1' }, { id: '2' }]);
      await session.commitExport!({ export: doc, pageSize: 20 }, ctx());
      expect(readdirSync(join(root, 'in'))).toEqual(['b.csv']);
    });

    it('filters on fileNameStartsWith and reads JSON', async () => {
      writeFileSync(join(root, 'in', 'orders-1.json'), '{"data":[{"id":1}]}');
      writeFileSync(join(root, 'in', 'other.json'), '{"data":[{"id":2}]}');
      const doc: Doc = { _id: 'e', adaptorType: 'FTPExport', ftp: { directoryPath: '/in', fileNameStartsWith: 'orders' }, file: { type: 'json', json: { resourcePath: 'data' } } };
      expect((await collect(session, doc)).flatMap((p) => p.records)).toEqual([{ id: 1 }]);
    });

    it('fails the export with the path when the folder does not exist', async () => {
      await expect(collect(session, csvExport({ directoryPath: '/missing' }))).rejects.toThrow(/listing \/missing on /);
    });

    it('writes one file per page, named from the template', async () => {
      const imp: Doc = { _id: 'i', adaptorType: 'FTPImport', ftp: { directoryPath: '/in', fileName: 'orders-{{settings.site}}.csv' }, file: { type: 'csv' } };
      const c = ctx({ templateData: { settings: { site: 'eu' } } });
      const out1 = await session.importRecords!({ import: imp, records: [{ id: 1, name: 'Ann' }, { id: 2, name: 'Bob' }] }, c);
      const out2 = await session.importRecords!({ import: imp, records: [{ id: 3, name: 'Cy' }] }, c);
      expect(out1).toEqual([
        { statusCode: 200, _json: { fileName: '/in/orders-eu.csv' } },
        { statusCode: 200, _json: { fileName: '/in/orders-eu.csv' } },
      ]);
      expect(out2).toEqual([{ statusCode: 200, _json: { fileName: '/in/orders-eu-2.csv' } }]);
      expect(readFileSync(join(root, 'in', 'orders-eu.csv'), 'utf8')).toBe('id,name\r\n1,Ann\r\n2,Bob\r\n');
      expect(readFileSync(join(root, 'in', 'orders-eu-2.csv'), 'utf8')).toBe('id,name\r\n3,Cy\r\n');
    });

    it('writes one file per page with skipAggregation true or absent; one file per run with false, uploaded at commitImport', async () => {
      const imp = (skipAggregation?: boolean): Doc => ({ _id: 'i', adaptorType: 'FTPImport', ftp: { directoryPath: '/in', fileName: 'agg.csv' }, file: { type: 'csv', ...(skipAggregation === undefined ? {} : { skipAggregation }) } });
      const kept = await session.importRecords!({ import: imp(true), records: [{ id: 1 }] }, ctx());
      expect(kept).toEqual([{ statusCode: 200, _json: { fileName: '/in/agg.csv' } }]);
      const runId = `run-${protocol.type}-${Date.now()}`;
      const run = ctx({ runId });
      const page1 = await session.importRecords!({ import: imp(false), records: [{ id: 2, name: 'Ann' }, { id: 3, name: 'Bob' }], pageIndex: 0 }, run);
      expect(page1).toEqual([{ statusCode: 200 }, { statusCode: 200 }]);
      // Nothing is uploaded until the run completed.
      expect(readdirSync(join(root, 'in'))).toEqual(['agg.csv']);
      // A resumed run (another session, after a crash that tore a line) appends to the same spool.
      appendFileSync(spoolPath(runId, 'i'), '\n{"id":');
      const resumed = await ftpAdaptor.open(connection);
      try {
        // A later page may bring a column the first did not have: the header names it, earlier rows leave it empty.
        await resumed.importRecords!({ import: imp(false), records: [{ id: 4, name: 'Cy', city: 'Oslo' }], pageIndex: 1 }, run);
        await resumed.commitImport!({ import: imp(false) }, run);
      } finally {
        await resumed.close();
      }
      expect(readdirSync(join(root, 'in')).sort()).toEqual(['agg.csv']);
      expect(readFileSync(join(root, 'in', 'agg.csv'), 'utf8')).toBe('id,name,city\r\n2,Ann,\r\n3,Bob,\r\n4,Cy,Oslo\r\n');
      expect(existsSync(spoolPath(runId, 'i'))).toBe(false);
      // Committing again (a resumed commit) finds no spool and writes nothing.
      rmSync(join(root, 'in', 'agg.csv'));
      await session.commitImport!({ import: imp(false) }, run);
      expect(readdirSync(join(root, 'in'))).toEqual([]);
    });

    it('one file per run: gzip and JSON arrays are generated whole; test mode and a record the format refuses write nothing of it', async () => {
      const runId = `json-${protocol.type}-${Date.now()}`;
      const imp: Doc = { _id: 'j', adaptorType: 'FTPImport', ftp: { directoryPath: '/in', fileName: 'all.json.gz' }, file: { type: 'json', compressionFormat: 'gzip', skipAggregation: false } };
      const preview = await session.importRecords!({ import: imp, records: [{ id: 0 }] }, ctx({ runId, testMode: true }));
      expect(preview).toEqual([{ statusCode: 200 }]);
      expect(existsSync(spoolPath(runId, 'j'))).toBe(false);
      await session.importRecords!({ import: imp, records: [{ id: 1 }] }, ctx({ runId }));
      await session.importRecords!({ import: imp, records: [{ id: 2 }, { id: 3 }] }, ctx({ runId }));
      await session.commitImport!({ import: imp }, ctx({ runId, testMode: true }));
      expect(readdirSync(join(root, 'in'))).toEqual([]);
      await session.commitImport!({ import: imp }, ctx({ runId }));
      expect(JSON.parse(gunzipSync(readFileSync(join(root, 'in', 'all.json.gz'))).toString('utf8'))).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
      const fw: Doc = { _id: 'k', adaptorType: 'FTPImport', ftp: { directoryPath: '/in', fileName: 'fw.txt' }, file: { type: 'fixedwidth', skipAggregation: false, fixedWidth: { columns: [{ name: 'id', length: 2 }] } } };
      const out = await session.importRecords!({ import: fw, records: [{ id: 12 }, { id: 12345 }] }, ctx({ runId }));
      expect(out[0]).toEqual({ statusCode: 200 });
      expect(out[1]).toMatchObject({ statusCode: 422 });
      await session.commitImport!({ import: fw }, ctx({ runId }));
      expect(readFileSync(join(root, 'in', 'fw.txt'), 'utf8')).toBe('12\r\n');
      // Outside a run (no runId) there is no run end to write at: the records are refused, naming the field.
      const refused = await session.importRecords!({ import: imp, records: [{ id: 9 }] }, ctx());
      expect(refused).toEqual([{ statusCode: 422, errors: [{ code: 'unsupported_option', message: expect.stringContaining('file.skipAggregation'), source: 'application' }] }]);
    });

    it('writes through a temporary name, with {{timestamp}} names by default', async () => {
      const imp: Doc = { _id: 'i', adaptorType: 'FTPImport', ftp: { directoryPath: '/in', useTempFile: true }, file: { type: 'json' } };
      const [out] = await session.importRecords!({ import: imp, records: [{ id: 1 }] }, ctx());
      const name = String((out!._json as { fileName: string }).fileName);
      expect(name).toMatch(/^\/in\/file-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/);
      expect(readdirSync(join(root, 'in'))).toEqual([name.slice(4)]);
      expect(JSON.parse(readFileSync(join(root, name), 'utf8'))).toEqual([{ id: 1 }]);
    });

    it('writes nothing in test mode', async () => {
      const imp: Doc = { _id: 'i', adaptorType: 'FTPImport', ftp: { directoryPath: '/in', fileName: 'x.csv' }, file: { type: 'csv' } };
      expect(await session.importRecords!({ import: imp, records: [{ id: 1 }] }, ctx({ testMode: true }))).toEqual([{ statusCode: 200 }]);
      expect(readdirSync(join(root, 'in'))).toEqual([]);
    });

    it('resolves paths against the login folder with userDirectoryIsRoot', async () => {
      writeFileSync(join(root, 'in', 'r.csv'), 'id\n7\n');
      const rooted = await ftpAdaptor.open({ ...connection, ftp: { ...(connection.ftp as object), userDirectoryIsRoot: true } });
      expect((await collect(rooted, csvExport())).flatMap((p) => p.records)).toEqual([{ id: '7' }]);
      await rooted.close();
    });

    if (protocol.type === 'sftp') {
      it('logs in with a private key (authKey)', async () => {
        const keyed = await ftpAdaptor.open({ _id: 'c', type: 'ftp', ftp: { type: 'sftp', hostURI: '127.0.0.1', port: server.port, username: USER, authKey: clientKey } });
        await expect(keyed.ping(ctx())).resolves.toBeUndefined();
        await keyed.close();
      });
    }
  });
}

describe('FTP connection errors', () => {
  it('names the unreachable server', async () => {
    const s = await ftpAdaptor.open({ _id: 'c', type: 'ftp', ftp: { hostURI: 'ftp://127.0.0.1', port: 1, username: 'u', password: 'p' } });
    await expect(s.ping(ctx())).rejects.toThrow(/^connecting to FTP server 127\.0\.0\.1:1: .*ECONNREFUSED/);
    await s.close();
  });

  it('refuses an unknown protocol', async () => {
    await expect(ftpAdaptor.open({ _id: 'c', type: 'ftp', ftp: { hostURI: 'h', type: 'scp', username: 'u' } })).rejects.toThrow(/not supported/);
  });
});

describe('FTP connection check at save', () => {
  const base = { hostURI: 'h', username: 'u' };
  it('requires ftp.password for FTP and FTPS (type absent is FTP), a password or authKey for SFTP', () => {
    for (const type of [undefined, 'ftp', 'ftps']) {
      const problems = connectionsKind.check!({ type: 'ftp', ftp: { ...base, ...(type ? { type } : {}) } });
      expect(problems).toEqual([expect.objectContaining({ code: 'missing_required_field', field: 'ftp.password' })]);
      expect(connectionsKind.check!({ type: 'ftp', ftp: { ...base, ...(type ? { type } : {}), password: '' } }).map((p) => p.field)).toEqual(['ftp.password']);
      expect(connectionsKind.check!({ type: 'ftp', ftp: { ...base, ...(type ? { type } : {}), password: 'p' } })).toEqual([]);
      // A key is no login for FTP.
      expect(connectionsKind.check!({ type: 'ftp', ftp: { ...base, ...(type ? { type } : {}), authKey: 'k' } }).map((p) => p.field)).toEqual(['ftp.password']);
    }
    expect(connectionsKind.check!({ type: 'ftp', ftp: { ...base, type: 'sftp' } }).map((p) => p.field)).toEqual(['ftp.password']);
    expect(connectionsKind.check!({ type: 'ftp', ftp: { ...base, type: 'sftp', authKey: 'k' } })).toEqual([]);
    expect(connectionsKind.check!({ type: 'ftp', ftp: { ...base, type: 'sftp', password: 'p' } })).toEqual([]);
  });
});
