import type { ExportPage, ExportRequest, RunContext } from '../adaptor.js';
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

/** Streams the query's rows through a cursor, one page of `req.pageSize` at a time. */
export async function* exportPages(driver: RdbmsDriver, req: ExportRequest, ctx: RunContext): AsyncGenerator<ExportPage> {
  const { sql, params } = buildExportQuery(driver, req, ctx);
  const pageSize = Math.max(1, Math.floor(req.pageSize || 20));
  let left = req.limit ?? Infinity;
  if (left <= 0) return;
  for await (const rows of driver.stream(sql, params, pageSize, ctx.signal)) {
    const records = (rows.length > left ? rows.slice(0, left) : rows).map(rowToRecord);
    left -= records.length;
    yield { records };
    if (left <= 0) return;
  }
}
