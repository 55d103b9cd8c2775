import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptorSession, Doc } from '../adaptor.js';
import { dialects, runContext, type DialectFixture } from './test-dialects.js';

const bulkLoad = (tableName: string, primaryKeys: string[], batchSize?: number): Doc => ({
  _id: 'i-keys',
  adaptorType: 'RDBMSImport',
  rdbms: { queryType: ['bulk_load'], bulkLoad: { tableName, primaryKeys, ...(batchSize ? { batchSize } : {}) } },
});

// bulk_load matches rows on bulkLoad.primaryKeys only, never on another unique index of the table.
for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`RDBMS bulk_load keys on ${dialect.name}`, () => {
    let f: DialectFixture;
    let session: AdaptorSession;

    beforeAll(async () => {
      f = await dialect.setup();
      await f.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, name VARCHAR(100))');
      await f.exec('CREATE UNIQUE INDEX users_email ON users (email)');
      await f.exec("INSERT INTO users (id, email, name) VALUES (1, 'u1@x.com', 'one'), (2, 'u2@x.com', 'two'), (3, 'u3@x.com', 'three')");
      session = await f.open();
    });
    afterAll(async () => {
      await session?.close();
      await f?.teardown();
    });

    it('a record clashing on another unique index fails; the rest of the batch is written; the other row is untouched', async () => {
      const records = [
        { id: 1, email: 'u1@x.com', name: 'one updated' },
        { id: 102, email: 'u2@x.com', name: 'intruder' },
        { id: 4, email: 'u4@x.com', name: 'four' },
        { id: 3, email: 'u3@x.com', name: 'three updated' },
      ];
      const outcomes = await session.importRecords!({ import: bulkLoad('users', ['id']), records }, runContext());
      expect(outcomes.map((o) => o.statusCode)).toEqual([200, 422, 200, 200]);
      expect(outcomes[1]!.errors![0]!.message).toMatch(/upserting into users: .*(duplicate|unique)/i);
      const rows = await f.rows('SELECT id, email, name FROM users ORDER BY id');
      expect(rows.map((r) => ({ ...r, id: Number(r.id) }))).toEqual([
        { id: 1, email: 'u1@x.com', name: 'one updated' },
        { id: 2, email: 'u2@x.com', name: 'two' },
        { id: 3, email: 'u3@x.com', name: 'three updated' },
        { id: 4, email: 'u4@x.com', name: 'four' },
      ]);
    });

    it('a record that moves a row onto another row\'s unique value fails alone', async () => {
      const outcomes = await session.importRecords!(
        { import: bulkLoad('users', ['id']), records: [{ id: 4, email: 'u1@x.com', name: 'steal' }, { id: 5, email: 'u5@x.com', name: 'five' }] },
        runContext(),
      );
      expect(outcomes.map((o) => o.statusCode)).toEqual([422, 200]);
      const rows = await f.rows('SELECT id, email, name FROM users WHERE id IN (1, 4, 5) ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(['one updated', 'four', 'five']);
    });

    it('upserts on keys that are the only unique index (the fast path) and on a key-only record', async () => {
      await f.exec('CREATE TABLE tags (code VARCHAR(20) PRIMARY KEY, label VARCHAR(50))');
      await f.exec("INSERT INTO tags (code, label) VALUES ('a', 'A')");
      const outcomes = await session.importRecords!(
        { import: bulkLoad('tags', ['code']), records: [{ code: 'a', label: 'A2' }, { code: 'b', label: 'B' }, { code: 'c' }] },
        runContext(),
      );
      expect(outcomes.map((o) => o.statusCode)).toEqual([200, 200, 200]);
      const rows = await f.rows('SELECT code, label FROM tags ORDER BY code');
      expect(rows).toEqual([{ code: 'a', label: 'A2' }, { code: 'b', label: 'B' }, { code: 'c', label: null }]);
    });

    it('a preview (test mode) of the key-matched upsert writes nothing', async () => {
      const outcomes = await session.importRecords!(
        { import: bulkLoad('users', ['id']), records: [{ id: 1, email: 'u1@x.com', name: 'preview' }, { id: 9, email: 'u9@x.com', name: 'nine' }] },
        runContext({ testMode: true }),
      );
      expect(outcomes.map((o) => o.statusCode)).toEqual([200, 200]);
      const rows = await f.rows('SELECT id, name FROM users WHERE id IN (1, 9) ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(['one updated']);
    });
  });
}
