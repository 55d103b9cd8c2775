import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSqliteStatement, sqliteWords } from './sqlite-guard.js';
import { rdbmsAdaptor } from './index.js';
import { runContext } from './test-dialects.js';

describe('SQLite statement guard', () => {
  it('reads bare words only: literals, quoted identifiers and comments are skipped', () => {
    expect(sqliteWords(`SELECT 'attach' "vacuum" [detach] \`load_extension\` -- attach\n /* vacuum */ a.b, X'00', at/**/tach, 'it''s'`)).toEqual(['select', 'a', 'b', 'x', 'at', 'tach']);
    expect(sqliteWords("SELECT 'unterminated attach")).toEqual(['select']);
  });

  it('refuses ATTACH, DETACH, VACUUM and load_extension in any case and position', () => {
    for (const sql of ["ATTACH 'x' AS y", "attach database 'x' as y", "  /*c*/ Attach'x' AS y", 'DETACH y', 'VACUUM', "VACUUM INTO '/tmp/x'", "SELECT load_extension('x')", "SELECT 1; ATTACH 'x' AS y"]) {
      expect(() => checkSqliteStatement(sql), sql).toThrow(/are not allowed through a connection/);
    }
    expect(() => checkSqliteStatement(`SELECT "attach", 'vacuum into x' FROM t -- detach`)).not.toThrow();
  });

  it('applies to every statement a session runs: lookups (outside test mode), exports, imports, once.query', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-guard-'));
    const session = await rdbmsAdaptor.open({ _id: 'c', type: 'rdbms', rdbms: { type: 'sqlite', database: ':memory:' } });
    try {
      const file = join(dir, 'new.db');
      const ctx = runContext();
      await expect(session.lookup!({ lookup: { name: 'l', definition: { name: 'l', query: `ATTACH DATABASE '${file}' AS s` } }, values: [1] } as never, ctx)).rejects.toThrow(/ATTACH/);
      const pages = session.exportPages!({ export: { rdbms: { query: `VACUUM INTO '${file}'` } }, pageSize: 10 } as never, ctx);
      await expect(pages[Symbol.asyncIterator]().next()).rejects.toThrow(/VACUUM/);
      const out = await session.importRecords!({ import: { rdbms: { queryType: ['per_page'], query: [`ATTACH '${file}' AS s`] } }, records: [{ a: 1 }] } as never, ctx);
      expect(JSON.stringify(out)).toMatch(/ATTACH/);
      expect(existsSync(file)).toBe(false);
      await session.ping!(ctx);
    } finally {
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
