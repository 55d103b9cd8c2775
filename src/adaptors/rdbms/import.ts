import type { DataRecord, ImportRequest, RecordOutcome, RunContext } from '../adaptor.js';
import { errorCode, errorMessage, isIdentifier, quoteName, type RdbmsDriver, type SqlRunner } from './driver.js';
import { findLookup, lookupRows } from './lookup.js';
import { renderSql, type RenderedSql } from './sql-template.js';

/** The import's `rdbms` block (API contract §6.1). */
export interface RdbmsImportBlock {
  /** `INSERT`, `UPDATE`, `bulk_insert`, `per_record`, `per_page`, `first_page`, `bulk_load`. */
  queryType?: string[] | string;
  /** SQL templates aligned with `queryType`; `{{record.x}}` (or `{{data.x}}`) become bind parameters. */
  query?: string[] | string;
  bulkInsert?: { tableName: string; batchSize?: number };
  bulkLoad?: { tableName: string; primaryKeys?: string[]; batchSize?: number };
  updateLookupName?: string;
  updateExtract?: string;
  ignoreLookupName?: string;
  ignoreExtract?: string;
}

/** What one session remembers between pages. */
export interface ImportState {
  firstPageDone: boolean;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export async function importRecords(driver: RdbmsDriver, req: ImportRequest, ctx: RunContext, state: ImportState): Promise<RecordOutcome[]> {
  const block = (req.import.rdbms ?? {}) as RdbmsImportBlock;
  const types = list(block.queryType).map((t) => String(t).toLowerCase());
  if (req.records.length === 0) return [];

  if (types.includes('bulk_load') || (types.length === 0 && block.bulkLoad)) {
    const bulk = block.bulkLoad;
    if (!bulk?.tableName) throw new Error('rdbms.bulkLoad.tableName is missing');
    return bulkWrite(driver, req.records, ctx, bulk.tableName, bulk.primaryKeys ?? [], bulk.batchSize);
  }
  if (types.includes('bulk_insert') || (types.length === 0 && block.bulkInsert)) {
    const bulk = block.bulkInsert;
    if (!bulk?.tableName) throw new Error('rdbms.bulkInsert.tableName is missing');
    return bulkWrite(driver, req.records, ctx, bulk.tableName, [], bulk.batchSize);
  }
  if (types.includes('per_page') || types.includes('first_page')) {
    if (types.includes('first_page') && !types.includes('per_page')) {
      const first = req.pageIndex === undefined ? !state.firstPageDone : req.pageIndex === 0;
      state.firstPageDone = true;
      if (!first) return req.records.map(() => ({ statusCode: 200 }));
    }
    return pageQueries(driver, req, ctx, block);
  }
  if (types.length === 0) throw new Error('rdbms.queryType is missing');
  return recordQueries(driver, req, ctx, block, types);
}

interface Item {
  index: number;
  columns: string[];
  values: unknown[];
}

/** Multi-row INSERT (or upsert on `keys`) per batch; a failed batch is retried record by record. */
async function bulkWrite(
  driver: RdbmsDriver,
  records: DataRecord[],
  ctx: RunContext,
  tableName: string,
  keys: readonly string[],
  batchSize: number | undefined,
): Promise<RecordOutcome[]> {
  const table = quoteName(driver, tableName);
  for (const k of keys) if (!isIdentifier(k)) throw new Error(`primary key "${k}" is not a valid SQL identifier`);
  const outcomes: RecordOutcome[] = new Array(records.length);
  const verb = keys.length > 0 ? 'upserting into' : 'inserting into';
  const idOf = (r: DataRecord) => (keys.length === 1 && (typeof r[keys[0]!] === 'string' || typeof r[keys[0]!] === 'number') ? (r[keys[0]!] as string | number) : undefined);
  const fail = (index: number, code: string, message: string): void => {
    outcomes[index] = { statusCode: 422, errors: [{ code, message, source: 'application' }] };
  };

  const items: Item[] = [];
  records.forEach((record, index) => {
    const columns = Object.keys(record).filter((c) => record[c] !== undefined);
    const bad = columns.find((c) => !isIdentifier(c));
    if (bad !== undefined) return fail(index, 'invalid_column', `${verb} ${tableName}: field "${bad}" is not a valid column name`);
    if (columns.length === 0) return fail(index, 'empty_record', `${verb} ${tableName}: the record has no fields`);
    const missing = keys.find((k) => record[k] === undefined || record[k] === null);
    if (missing !== undefined) return fail(index, 'missing_primary_key', `${verb} ${tableName}: primary key field "${missing}" is missing`);
    items.push({ index, columns, values: columns.map((c) => record[c]) });
  });

  // Consecutive records with the same fields share a statement; order between records is kept.
  const batches: Item[][] = [];
  const wanted = Math.max(1, Math.floor(batchSize ?? 1_000));
  for (const item of items) {
    const last = batches.at(-1);
    const limit = Math.max(1, Math.min(wanted, Math.floor(driver.maxParams / item.columns.length)));
    if (last && last.length < limit && sameColumns(last[0]!.columns, item.columns)) last.push(item);
    else batches.push([item]);
  }

  const rollback = ctx.testMode === true;
  for (const batch of batches) {
    ctx.signal.throwIfAborted();
    const columns = batch[0]!.columns;
    try {
      const write = (runner: SqlRunner) => driver.upsert(runner, table, columns, batch.map((b) => b.values), keys);
      // One statement is its own transaction; an explicit one is needed only to roll a preview back.
      if (rollback) await driver.transaction(write, { rollback });
      else await write(driver);
      for (const b of batch) outcomes[b.index] = { statusCode: 200, ...withId(idOf(records[b.index]!)) };
      continue;
    } catch (err) {
      if (driver.isConnectionError(err)) throw err;
      if (batch.length === 1) {
        fail(batch[0]!.index, errorCode(err), `${verb} ${tableName}: ${errorMessage(err)}`);
        continue;
      }
    }
    // The batch failed on some record: replay it one record at a time, each under a savepoint.
    await driver.transaction(async (tx) => {
      for (const b of batch) {
        const err = await savepoint(tx, () => driver.upsert(tx, table, b.columns, [b.values], keys));
        if (err === undefined) outcomes[b.index] = { statusCode: 200, ...withId(idOf(records[b.index]!)) };
        else if (driver.isConnectionError(err)) throw err;
        else fail(b.index, errorCode(err), `${verb} ${tableName}: ${errorMessage(err)}`);
      }
    }, { rollback });
  }
  return outcomes;
}

/** Runs `fn` under a savepoint; returns its error (after rolling back to the savepoint) or undefined. */
async function savepoint(tx: SqlRunner, fn: () => Promise<unknown>): Promise<unknown> {
  await tx.query('SAVEPOINT integrator_record');
  try {
    await fn();
    await tx.query('RELEASE SAVEPOINT integrator_record');
    return undefined;
  } catch (err) {
    await tx.query('ROLLBACK TO SAVEPOINT integrator_record');
    return err;
  }
}

/** INSERT / UPDATE / per_record: the templates run for each record, each record under its own savepoint. */
async function recordQueries(driver: RdbmsDriver, req: ImportRequest, ctx: RunContext, block: RdbmsImportBlock, types: string[]): Promise<RecordOutcome[]> {
  const queries = list(block.query);
  const outcomes: RecordOutcome[] = new Array(req.records.length);
  const perRecord = types.includes('per_record');
  const hasInsert = types.includes('insert');
  const hasUpdate = types.includes('update');
  const imp = req.import as Record<string, unknown>;

  await driver.transaction(async (tx) => {
    for (let i = 0; i < req.records.length; i++) {
      ctx.signal.throwIfAborted();
      const record = req.records[i]!;
      const data = { ...ctx.templateData, record, data: record };
      try {
        let statements: (string | RenderedSql)[];
        let op: 'insert' | 'update' | 'record' = perRecord ? 'record' : hasUpdate && !hasInsert ? 'update' : 'insert';
        if (!perRecord && hasInsert && hasUpdate) {
          op = (await exists(tx, driver, req, ctx, record, block.updateExtract, block.updateLookupName)) ? 'update' : 'insert';
        }
        if (imp.ignoreExisting === true && (block.ignoreExtract || block.ignoreLookupName)) {
          if (await exists(tx, driver, req, ctx, record, block.ignoreExtract, block.ignoreLookupName)) {
            outcomes[i] = { statusCode: 200, ignored: true };
            continue;
          }
        }
        if (perRecord) statements = queries;
        else {
          const q = queries[types.indexOf(op)] ?? (types.length === 1 ? queries[0] : undefined);
          statements = q ? [q] : [generatedStatement(driver, block, op as 'insert' | 'update', record)];
        }
        if (statements.length === 0) throw new Error('rdbms.query is missing');

        let affected = 0;
        const err = await savepoint(tx, async () => {
          for (const s of statements) {
            const { sql, params } = typeof s === 'string' ? renderSql(s, data, driver.placeholder) : s;
            affected += (await tx.query(sql, params)).rowCount;
          }
        });
        if (err !== undefined) {
          if (driver.isConnectionError(err)) throw err;
          outcomes[i] = { statusCode: 422, errors: [{ code: errorCode(err), message: `${op === 'update' ? 'updating' : 'writing'} record: ${errorMessage(err)}`, source: 'application' }] };
        } else if (op === 'update' && affected === 0 && imp.ignoreMissing === true) {
          outcomes[i] = { statusCode: 200, ignored: true };
        } else {
          outcomes[i] = { statusCode: 200, _json: { rowsAffected: affected } };
        }
      } catch (err) {
        if (driver.isConnectionError(err)) throw err;
        outcomes[i] = { statusCode: 422, errors: [{ code: errorCode(err, 'invalid_record'), message: errorMessage(err), source: 'application' }] };
      }
    }
  }, { rollback: ctx.testMode === true });
  return outcomes;
}

/** INSERT or UPDATE built from the record's fields when the import has a table but no query. */
function generatedStatement(driver: RdbmsDriver, block: RdbmsImportBlock, op: 'insert' | 'update', record: DataRecord): RenderedSql {
  const tableName = block.bulkLoad?.tableName ?? block.bulkInsert?.tableName;
  if (!tableName) throw new Error('rdbms.query is missing');
  const table = quoteName(driver, tableName);
  const columns = Object.keys(record).filter((c) => record[c] !== undefined);
  const bad = columns.find((c) => !isIdentifier(c));
  if (bad !== undefined) throw new Error(`field "${bad}" is not a valid column name`);
  const q = driver.quoteIdentifier;
  let sql: string;
  let params: unknown[];
  if (op === 'insert') {
    sql = `INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES (${columns.map((_, n) => driver.placeholder(n + 1)).join(', ')})`;
    params = columns.map((c) => record[c]);
  } else {
    const keys = block.bulkLoad?.primaryKeys ?? [];
    if (keys.length === 0) throw new Error('an UPDATE without rdbms.query needs rdbms.bulkLoad.primaryKeys');
    const missing = keys.find((k) => record[k] === undefined || record[k] === null);
    if (missing !== undefined) throw new Error(`primary key field "${missing}" is missing`);
    const sets = columns.filter((c) => !keys.includes(c));
    if (sets.length === 0) throw new Error('the record has no fields to update');
    let n = 0;
    sql = `UPDATE ${table} SET ${sets.map((c) => `${q(c)} = ${driver.placeholder(++n)}`).join(', ')} WHERE ${keys.map((k) => `${q(k)} = ${driver.placeholder(++n)}`).join(' AND ')}`;
    params = [...sets.map((c) => record[c]), ...keys.map((k) => record[k])];
  }
  return { sql, params };
}

async function exists(
  tx: SqlRunner,
  driver: RdbmsDriver,
  req: ImportRequest,
  ctx: RunContext,
  record: DataRecord,
  extract: string | undefined,
  lookupName: string | undefined,
): Promise<boolean> {
  if (extract) {
    const v = getPath(record, extract);
    return v !== undefined && v !== null && v !== '';
  }
  if (lookupName) {
    const lookup = findLookup(req.import, lookupName);
    if (!lookup) throw new Error(`lookup "${lookupName}" is not defined on the import`);
    return (await lookupRows(tx, driver, lookup, record, ctx)).length > 0;
  }
  return false;
}

/** per_page / first_page: the templates run once with the whole page (`{{#each data}}…{{/each}}`), all or nothing. */
async function pageQueries(driver: RdbmsDriver, req: ImportRequest, ctx: RunContext, block: RdbmsImportBlock): Promise<RecordOutcome[]> {
  const queries = list(block.query);
  if (queries.length === 0) throw new Error('rdbms.query is missing');
  const data = { ...ctx.templateData, data: req.records, records: req.records, batch_of_records: req.records };
  try {
    await driver.transaction(async (tx) => {
      for (const q of queries) {
        const { sql, params } = renderSql(q, data, driver.placeholder);
        await tx.query(sql, params);
      }
    }, { rollback: ctx.testMode === true });
    return req.records.map(() => ({ statusCode: 200 }));
  } catch (err) {
    if (driver.isConnectionError(err)) throw err;
    const error = { code: errorCode(err), message: `writing page: ${errorMessage(err)}`, source: 'application' };
    return req.records.map(() => ({ statusCode: 422, errors: [error] }));
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

function withId(id: string | number | undefined): { id?: string | number } {
  return id === undefined ? {} : { id };
}

export function getPath(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
