import type { DataRecord, ExportPage, ExportRequest, RunContext } from '../adaptor.js';
import { checkIdentifier, rowToRecord, type RdbmsDriver } from './driver.js';
import { templateContext } from '../common/templates.js';
import { renderSql, templateMentions, type RenderedSql } from './sql-template.js';

/** The export's `rdbms` block (API contract §5.4). */
export interface RdbmsExportBlock {
  query: string;
  once?: { query?: string };
}

interface DeltaBlock {
  dateField?: string;
  startDate?: string;
}

const BEGINNING_OF_TIME = '1970-01-01T00:00:00.000Z';

/** Values a SQL template sees: the run's template data plus the delta window. */
export function exportTemplateData(req: ExportRequest, ctx: RunContext): Record<string, unknown> {
  const delta = (req.export.delta ?? {}) as DeltaBlock;
  const last = ctx.lastExportDateTime ?? delta.startDate ?? BEGINNING_OF_TIME;
  return templateContext({ ...ctx, lastExportDateTime: last }, { export: req.export });
}

/**
 * The statement an export runs: its query with bind parameters, wrapped in a delta window when the export
 * is `type: "delta"` with `delta.dateField` and the query does not place `{{lastExportDateTime}}` itself.
 */
export function buildExportQuery(driver: RdbmsDriver, req: ExportRequest, ctx: RunContext): RenderedSql {
  const block = req.export.rdbms as RdbmsExportBlock | undefined;
  if (!block || typeof block.query !== 'string' || !block.query.trim()) throw new Error('export has no rdbms.query');
  const query = block.query.trim().replace(/;\s*$/, '');
  const delta = (req.export.delta ?? {}) as DeltaBlock;
  const wantsWindow = req.export.type === 'delta' && !!delta.dateField && !templateMentions(query, 'lastExportDateTime');
  if (!wantsWindow) return renderSql(query, exportTemplateData(req, ctx), driver.placeholder);

  const fields = String(delta.dateField)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => {
      checkIdentifier(f, 'delta.dateField');
      return `t.${driver.quoteIdentifier(f)}`;
    });
  // A record is in the window when any of its date fields falls in (last, current].
  const lower = ctx.lastExportDateTime ?? delta.startDate;
  const conditions = fields.map((f) => (lower ? `(${f} > {{__lower}} AND ${f} <= {{__upper}})` : `${f} <= {{__upper}}`));
  const wrapped = `SELECT * FROM (${query}) t WHERE ${conditions.join(' OR ')}`;
  return renderSql(wrapped, { ...exportTemplateData(req, ctx), __lower: lower, __upper: ctx.currentExportDateTime }, driver.placeholder);
}

/**
 * What a `once` export remembers until the run commits: `rdbms.once.query` rendered for each record it
 * yielded (only the bound values are kept, not the records).
 */
export type OncePending = WeakMap<ExportRequest, RenderedSql[]>;

/** The export's `once.query` when it is a `type: "once"` export that has one. */
function onceQuery(req: ExportRequest): string | undefined {
  const q = (req.export.rdbms as RdbmsExportBlock | undefined)?.once?.query;
  return req.export.type === 'once' && typeof q === 'string' && q.trim() ? q.trim().replace(/;\s*$/, '') : undefined;
}

/**
 * Streams the query's rows through a cursor, one page of `req.pageSize` at a time. In test mode the query
 * runs read-only. A `once` export outside test mode renders its `once.query` for each record it yields;
 * `commitOnce` runs them after the run committed.
 */
export async function* exportPages(driver: RdbmsDriver, req: ExportRequest, ctx: RunContext, pending?: OncePending): AsyncGenerator<ExportPage> {
  const { sql, params } = buildExportQuery(driver, req, ctx);
  const pageSize = Math.max(1, Math.floor(req.pageSize || 20));
  const mark = ctx.testMode ? undefined : onceQuery(req);
  let marks: RenderedSql[] | undefined;
  if (mark && pending) {
    marks = [];
    pending.set(req, marks);
  }
  let left = req.limit ?? Infinity;
  if (left <= 0) return;
  for await (const rows of driver.stream(sql, params, pageSize, ctx.signal, { readOnly: ctx.testMode === true })) {
    const records = (rows.length > left ? rows.slice(0, left) : rows).map(rowToRecord);
    left -= records.length;
    if (mark && marks) for (const record of records) marks.push(renderOnce(driver, mark, record, ctx));
    yield { records };
    if (left <= 0) return;
  }
}

function renderOnce(driver: RdbmsDriver, query: string, record: DataRecord, ctx: RunContext): RenderedSql {
  try {
    return renderSql(query, { ...ctx.templateData, record, data: record }, driver.placeholder);
  } catch (err) {
    throw new Error(`rdbms.once.query: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

const ONCE_BATCH = 500;

/**
 * After a committed run of a `once` export: runs `rdbms.once.query` for every record the run exported,
 * `ONCE_BATCH` records per transaction. Never in test mode.
 */
export async function commitOnce(driver: RdbmsDriver, req: ExportRequest, ctx: RunContext, pending: OncePending): Promise<void> {
  const marks = pending.get(req);
  pending.delete(req);
  if (!marks || marks.length === 0 || ctx.testMode) return;
  for (let start = 0; start < marks.length; start += ONCE_BATCH) {
    const batch = marks.slice(start, start + ONCE_BATCH);
    try {
      await driver.transaction(async (tx) => {
        for (const { sql, params } of batch) await tx.query(sql, params);
      });
    } catch (err) {
      const done = start > 0 ? ` (the first ${start} records were marked)` : '';
      throw new Error(`rdbms.once.query: marking records ${start + 1}-${start + batch.length} of ${marks.length} as exported${done}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
