import type { Doc, LookupRequest, RunContext } from '../adaptor.js';
import { rowToRecord, type RdbmsDriver, type SqlRunner } from './driver.js';
import { renderSql } from './sql-template.js';

/**
 * A database lookup: `{name, query}` where the query's `{{…}}` values are bind parameters. The template sees
 * the source value as `value`, and when the value is a record also as `record`/`data` and its fields.
 */
export interface RdbmsLookup {
  name?: string;
  query?: string;
}

/** Finds a lookup by name in the import's `lookups[]` array or its legacy `mapping.lookups` object. */
export function findLookup(imp: Doc, name: string): RdbmsLookup | undefined {
  const top = imp.lookups;
  if (Array.isArray(top)) {
    const found = top.find((l) => l && typeof l === 'object' && (l as RdbmsLookup).name === name);
    if (found) return found as RdbmsLookup;
  }
  const legacy = (imp.mapping as { lookups?: unknown } | undefined)?.lookups;
  if (legacy && typeof legacy === 'object' && !Array.isArray(legacy) && name in legacy) {
    return { name, ...(legacy as Record<string, RdbmsLookup>)[name] };
  }
  if (Array.isArray(legacy)) return legacy.find((l) => (l as RdbmsLookup)?.name === name) as RdbmsLookup | undefined;
  return undefined;
}

const LOOKUP_PAGE = 1_000;

export async function lookupRows(runner: SqlRunner, driver: RdbmsDriver, lookup: RdbmsLookup, value: unknown, ctx: RunContext): Promise<Record<string, unknown>[]> {
  if (typeof lookup.query !== 'string' || !lookup.query.trim()) throw new Error(`lookup "${lookup.name ?? ''}" has no query`);
  const fields = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const data = { ...ctx.templateData, ...fields, value, record: value, data: value };
  const { sql, params } = renderSql(lookup.query, data, driver.placeholder);
  if (ctx.testMode === true && runner === driver) {
    // Test mode (preview, invoke): like an export query, a lookup may only read. (Inside an import's
    // transaction, `runner` is that transaction, which test mode rolls back.)
    const rows: Record<string, unknown>[] = [];
    for await (const page of driver.stream(sql, params, LOOKUP_PAGE, ctx.signal, { readOnly: true })) rows.push(...page.map(rowToRecord));
    return rows;
  }
  const { rows } = await runner.query(sql, params);
  return rows.map(rowToRecord);
}

/** The session's `lookup()`: the matching rows for each value, in order. */
export async function lookupValues(driver: RdbmsDriver, req: LookupRequest, ctx: RunContext): Promise<unknown[][]> {
  // The mapper passes its normalised lookup, with the lookup as written under `definition`.
  const def = req.lookup.definition;
  const lookup = (def && typeof def === 'object' ? def : req.lookup) as RdbmsLookup;
  const out: unknown[][] = [];
  for (const value of req.values) {
    ctx.signal.throwIfAborted();
    out.push(await lookupRows(driver, driver, lookup, value, ctx));
  }
  return out;
}
