/**
 * Statements no SQLite connection may run, whatever file it opened (`:memory:` included): ATTACH and
 * DETACH (they open, and create, database files anywhere, the server's own store among them), VACUUM
 * (VACUUM INTO writes a new database file anywhere) and `load_extension` (SQLite refuses it already; this
 * gives a clearer message). better-sqlite3 has no authorizer hook, so the SQL is tokenized: string
 * literals ('…'), quoted identifiers ("…", `…`, […]) and comments (-- …, /* … *\/) are skipped, and the
 * remaining bare words are compared with those keywords. A quoted identifier is never a keyword to SQLite,
 * so skipping them cannot hide one; a bare word is refused even where it would be a column name.
 */

const REFUSED = new Map<string, string>([
  ['attach', 'ATTACH opens other database files'],
  ['detach', 'DETACH changes the attached database files'],
  ['vacuum', 'VACUUM (and VACUUM INTO) rewrites or writes database files'],
  ['load_extension', 'load_extension loads native code'],
]);

/** Bare words of a SQLite statement, lower-cased, outside literals, quoted identifiers and comments. */
export function sqliteWords(sql: string): string[] {
  const words: string[] = [];
  const n = sql.length;
  let i = 0;
  const skipQuoted = (close: string, doubled: boolean): void => {
    // i is on the opening character; ends after the closing one (or at the end of an unterminated one).
    i++;
    while (i < n) {
      if (sql[i] === close) {
        if (doubled && sql[i + 1] === close) {
          i += 2;
          continue;
        }
        i++;
        return;
      }
      i++;
    }
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') skipQuoted(c, true);
    else if (c === '[') skipQuoted(']', false);
    else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (isWordChar(c)) {
      const start = i;
      while (i < n && isWordChar(sql[i]!)) i++;
      words.push(sql.slice(start, i).toLowerCase());
    } else i++;
  }
  return words;
}

/** SQLite's identifier characters: ASCII letters, digits, `_`, `$` and every non-ASCII character. */
function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) > 0x7f;
}

/** Throws when the statement uses one of the refused keywords (see the module comment). */
export function checkSqliteStatement(sql: string): void {
  for (const word of sqliteWords(sql)) {
    const why = REFUSED.get(word);
    if (why) {
      throw new Error(`SQLite statements using ${word.toUpperCase()} are not allowed through a connection (${why}); ATTACH, DETACH, VACUUM and load_extension are refused`);
    }
  }
}
