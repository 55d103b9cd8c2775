import type { FastifyInstance } from 'fastify';
import type { DataRecord, ExportProblem } from '../adaptors/adaptor.js';
import { adaptorForExport } from '../adaptors/registry.js';
import { connectionlessExportTypes } from '../domain/schemas/export.js';
import { connectionForAdaptor } from '../domain/adaptor-connections.js';
import type { Services } from '../domain/services.js';
import { deltaStartDate } from '../engine/delta.js';
import { ApiError } from '../errors.js';
import { apiRunContext, messageOf, withSession } from './adaptor-runs.js';
import { IdParams } from './resources.js';

const MAX_LIMIT = 1000;
const DEFAULT_PAGE_SIZE = 20;
/** An invoke is a preview: it answers within this (INTEGRATOR_INVOKE_TIMEOUT_MS, default 30 s), whatever the remote does. */
const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;

interface InvokeAnswer {
  data: DataRecord[];
  errors: { code: string; message: string; source: string }[];
}

/** The record cap of an invoke: `limit` in the body or query (1–1000), else the export's page size. */
function limitOf(body: unknown, query: unknown, pageSize: number): number {
  const raw = (body as { limit?: unknown } | undefined)?.limit ?? (query as { limit?: unknown } | undefined)?.limit;
  if (raw === undefined) return Math.min(pageSize, MAX_LIMIT);
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new ApiError('invalid_field', `limit must be an integer from 1 to ${MAX_LIMIT}.`, 'limit');
  }
  return n;
}

/**
 * `POST /v1/exports/:id/invoke`: runs a saved export in test mode and answers its first `limit` records
 * (default: one page),
 * `{data, errors}` (§4.3). Nothing is committed: file exports leave their files in place, delta
 * exports keep their checkpoint. A failing export is 200 with `errors`, like a ping.
 */
export async function exportInvokeRoutes(app: FastifyInstance, options: { services: Services; invokeTimeoutMs?: number }) {
  const { services } = options;
  const envTimeout = Number(process.env.INTEGRATOR_INVOKE_TIMEOUT_MS);
  const timeoutMs = options.invokeTimeoutMs ?? (Number.isInteger(envTimeout) && envTimeout > 0 ? envTimeout : DEFAULT_INVOKE_TIMEOUT_MS);

  app.post('/v1/exports/:_id/invoke', { schema: { tags: ['exports'], params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const accountId = request.identity.accountId;
    if (request.body !== undefined && request.body !== null && (typeof request.body !== 'object' || Array.isArray(request.body))) {
      throw new ApiError('invalid_field', 'The body is optional; when sent it must be a JSON object ({limit}).', '(body)');
    }
    const exportDoc = await services.exports.getInternal(accountId, _id);
    const type = String(exportDoc.adaptorType);
    if (connectionlessExportTypes.includes(type)) {
      throw new ApiError('invalid_field', `A ${type} receives its records; it has nothing to invoke.`, 'adaptorType');
    }
    const adaptor = adaptorForExport(type);
    if (!adaptor) throw new ApiError('not_implemented', `Invoking ${type} exports is not supported yet.`);
    const pageSize = typeof exportDoc.pageSize === 'number' ? exportDoc.pageSize : DEFAULT_PAGE_SIZE;
    const limit = limitOf(request.body, request.query, pageSize);
    const connection = await connectionForAdaptor(services, accountId, String(exportDoc._connectionId));
    const base = apiRunContext(request, reply, { timeoutMs });
    // Outside a flow there is no checkpoint: a delta export reads from its delta.startDate, like a first run.
    const last = deltaStartDate(exportDoc);
    const ctx = last ? { ...base, lastExportDateTime: last, templateData: { ...base.templateData, lastExportDateTime: last } } : base;
    const answer: InvokeAnswer = { data: [], errors: [] };
    const addProblems = (problems: ExportProblem[] | undefined) => {
      for (const p of problems ?? []) answer.errors.push({ code: p.code, message: p.message, source: 'application' });
    };
    try {
      await withSession(adaptor, connection, async (session) => {
        if (!session.exportPages) throw new Error(`the ${adaptor.connectionType} adaptor cannot export records`);
        // Pages until `limit` records (the export's page size when no limit is asked); leaving the loop
        // closes the adaptor's generator (cursors, streams).
        for await (const page of session.exportPages({ export: exportDoc, pageSize: Math.min(pageSize, limit), limit }, ctx)) {
          answer.data.push(...page.records.slice(0, limit - answer.data.length));
          addProblems(page.problems);
          if (answer.data.length >= limit) break;
        }
      });
    } catch (err) {
      const timedOut = ctx.signal.aborted && (ctx.signal.reason as Error | undefined)?.name === 'TimeoutError';
      answer.errors.push(
        timedOut
          ? { code: 'timeout', message: `export ${_id}: no complete answer within ${timeoutMs / 1000} s (the ceiling of an invoke, INTEGRATOR_INVOKE_TIMEOUT_MS); the records read before it are in data`, source: 'connection' }
          : { code: 'export_failed', message: `export ${_id}: ${messageOf(err)}`, source: 'connection' },
      );
    }
    return answer;
  });
}
