import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { jobToApi } from '../domain/jobs.js';
import type { Services } from '../domain/services.js';
import { planFlow } from '../engine/flow-plan.js';
import { requestFlowRun } from '../engine/flow-runs.js';
import { testFlowRun } from '../engine/test-run.js';
import { ApiError } from '../errors.js';
import { nextRuns } from '../scheduler/cron.js';
import { deleteDeltaCursor, deltaCursors, setDeltaCursor } from '../store/delta-cursors.js';
import { listJobs } from '../store/jobs.js';
import type { Logger } from '../logger.js';
import { IdParams } from './resources.js';

const isoOrUndefined = (v: unknown, field: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new ApiError('invalid_field', `${field} must be an ISO date-time.`, field);
  return v;
};

/** Flow actions beyond CRUD: run, test run, latest jobs, delta checkpoints, schedule preview. */
export async function flowRoutes(app: FastifyInstance, options: { services: Services }) {
  const { services } = options;
  const tags = ['flows'];

  app.post('/v1/flows/:_id/run', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError('invalid_field', 'The body must be a JSON object.', '(body)');
    const exportIds = body._exportIds;
    if (exportIds !== undefined && (!Array.isArray(exportIds) || !exportIds.every((e) => typeof e === 'string'))) {
      throw new ApiError('invalid_field', '_exportIds must be an array of export ids.', '_exportIds');
    }
    const window = (body.export ?? {}) as Record<string, unknown>;
    if (typeof window !== 'object' || Array.isArray(window)) throw new ApiError('invalid_field', 'export must be an object {startDate, endDate?}.', 'export');
    const startDate = isoOrUndefined(window.startDate, 'export.startDate');
    const endDate = isoOrUndefined(window.endDate, 'export.endDate');
    if (endDate && !startDate) throw new ApiError('missing_required_field', 'export.startDate is required with export.endDate.', 'export.startDate');
    // A custom window is a back-fill: it may reach into the future, and never moves the checkpoint.
    if (startDate && endDate && Date.parse(endDate) < Date.parse(startDate)) throw new ApiError('invalid_field', 'export.endDate must not be before export.startDate.', 'export.endDate');
    const jobId = await requestFlowRun(services, request.identity.accountId, _id, {
      trigger: 'api',
      ...(exportIds ? { exportIds: exportIds as string[] } : {}),
      ...(startDate ? { startDate } : {}),
      ...(endDate ? { endDate } : {}),
    });
    reply.status(201);
    return { _jobId: jobId };
  });

  // Test mode: a few records through the whole flow; imports only say what they would write.
  app.post('/v1/flows/:_id/test', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ApiError('invalid_field', 'limit must be an integer from 1 to 100.', 'limit');
    const abort = new AbortController();
    // The client went away before the answer: stop reading.
    reply.raw.once('close', () => !reply.raw.writableEnded && abort.abort());
    return testFlowRun(services, request.identity.accountId, _id, { limit, log: request.log as unknown as Logger, signal: abort.signal });
  });

  app.get('/v1/flows/:_id/jobs/latest', { schema: { tags, params: IdParams, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }) } }, async (request) => {
    const { _id } = request.params as { _id: string };
    await services.flows.get(request.identity.accountId, _id);
    const { limit } = request.query as { limit?: number };
    const rows = await listJobs(services.store.db, { accountId: request.identity.accountId, flowId: _id, types: ['flow'], limit: limit ?? 1 });
    return rows.map(jobToApi);
  });

  // Delta checkpoints: one per page generator; the top-level value is the first generator's.
  app.get('/v1/flows/:_id/lastExportDateTime', { schema: { tags, params: IdParams } }, async (request) => {
    const { _id } = request.params as { _id: string };
    const flow = await services.flows.get(request.identity.accountId, _id);
    const cursors = new Map((await deltaCursors(services.store.db, request.identity.accountId, _id)).map((c) => [c.export_id, new Date(c.last_export_at).toISOString()]));
    const generators = planFlow(flow).generators.map((g) => ({ _exportId: g.exportId, lastExportDateTime: cursors.get(g.exportId) ?? null }));
    return { lastExportDateTime: generators[0]?.lastExportDateTime ?? null, pageGenerators: generators };
  });

  app.put('/v1/flows/:_id/lastExportDateTime', { schema: { tags, params: IdParams } }, async (request) => {
    const { _id } = request.params as { _id: string };
    const accountId = request.identity.accountId;
    const flow = await services.flows.get(accountId, _id);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const generators = planFlow(flow).generators;
    const exportId = body._exportId === undefined ? generators[0]?.exportId : String(body._exportId);
    if (!exportId || !generators.some((g) => g.exportId === exportId)) throw new ApiError('invalid_field', '_exportId must be a page generator of this flow.', '_exportId');
    if (body.lastExportDateTime === null) await deleteDeltaCursor(services.store.db, accountId, _id, exportId);
    else {
      const at = isoOrUndefined(body.lastExportDateTime, 'lastExportDateTime');
      if (!at) throw new ApiError('missing_required_field', 'lastExportDateTime is required (an ISO date-time, or null to start over).', 'lastExportDateTime');
      await setDeltaCursor(services.store.db, accountId, _id, exportId, Date.parse(at));
    }
    const cursors = await deltaCursors(services.store.db, accountId, _id);
    const own = cursors.find((c) => c.export_id === exportId);
    return { _exportId: exportId, lastExportDateTime: own ? new Date(own.last_export_at).toISOString() : null };
  });

  // When the flow runs next (schedule evaluated in its timezone); empty when disabled or unscheduled.
  app.get('/v1/flows/:_id/schedule', { schema: { tags, params: IdParams, querystring: Type.Object({ count: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) }) } }, async (request) => {
    const { _id } = request.params as { _id: string };
    const flow = await services.flows.get(request.identity.accountId, _id);
    const { count } = request.query as { count?: number };
    const timezone = typeof flow.timezone === 'string' ? flow.timezone : undefined;
    const runs = (schedule: unknown) => {
      if (typeof schedule !== 'string' || !schedule.trim() || flow.disabled === true) return [];
      try {
        return nextRuns(schedule, timezone, new Date(), count ?? 5).map((d) => d.toISOString());
      } catch (err) {
        throw new ApiError('invalid_field', `schedule: ${err instanceof Error ? err.message : String(err)}`, 'schedule');
      }
    };
    const flowRuns = runs(flow.schedule);
    const generators = ((flow.pageGenerators as { _exportId: string; schedule?: string }[] | undefined) ?? [])
      .filter((g) => g.schedule)
      .map((g) => ({ _exportId: g._exportId, schedule: g.schedule, nextRuns: runs(g.schedule) }));
    return { schedule: flow.schedule ?? null, timezone: timezone ?? 'UTC', disabled: flow.disabled === true, nextRunAt: flowRuns[0] ?? null, nextRuns: flowRuns, pageGenerators: generators };
  });
}
