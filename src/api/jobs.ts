import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { jobErrorToApi, jobToApi } from '../domain/jobs.js';
import type { Services } from '../domain/services.js';
import { ApiError, notFound } from '../errors.js';
import { listJobErrors } from '../store/job-errors.js';
import { childJobs, findJob, listJobs, updateJob } from '../store/jobs.js';
import { cancelQueuedForJob } from '../queue/work-queue.js';
import { IdParams } from './resources.js';

const many = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);

function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value);
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (Number.isNaN(ms)) throw new ApiError('invalid_query', `${field} must be an ISO date or epoch milliseconds.`, field);
  return ms;
}

/** Jobs: list with the spec's filters, get, family, errors, cancel. */
export async function jobRoutes(app: FastifyInstance, options: { services: Services }) {
  const db = options.services.store.db;
  const tags = ['jobs'];

  app.get('/v1/jobs', { schema: { tags, querystring: Type.Object({}, { additionalProperties: true }) } }, async (request) => {
    const q = request.query as Record<string, unknown>;
    const types = many(q.type) ?? many(q.type_in);
    const parentQuery = !types || types.some((t) => ['flow', 'retry', 'bulk_retry'].includes(t));
    const childQuery = types?.some((t) => t === 'export' || t === 'import');
    if (childQuery && !q._flowJobId && !q._exportId && !q._importId) {
      throw new ApiError('invalid_query', 'For child jobs, query parameters must contain either "_flowJobId" or "resourceId"');
    }
    if (parentQuery && !childQuery && !['_integrationId', '_flowId', '_exportId', '_importId', '_flowJobId', '_jobId', 'createdAt_gte', 'createdAt_lte'].some((k) => q[k] !== undefined)) {
      throw new ApiError('invalid_query', 'For parent jobs, query parameters must contain either "_integrationId" or "_jobId" or "createdAt"');
    }
    const rows = await listJobs(db, {
      accountId: request.identity.accountId,
      ...(q._flowId ? { flowId: String(q._flowId) } : {}),
      ...(q._flowJobId ? { flowJobId: String(q._flowJobId) } : {}),
      ...(q._exportId ? { exportId: String(q._exportId) } : {}),
      ...(q._importId ? { importId: String(q._importId) } : {}),
      ...(q._integrationId ? { integrationId: String(q._integrationId) } : {}),
      types: types ?? (q._flowJobId ? undefined : ['flow', 'retry', 'bulk_retry']),
      ...(many(q.status) ? { statuses: many(q.status) } : {}),
      ...(q.createdAt_gte !== undefined ? { createdAtGte: parseTime(q.createdAt_gte, 'createdAt_gte') } : {}),
      ...(q.createdAt_lte !== undefined ? { createdAtLte: parseTime(q.createdAt_lte, 'createdAt_lte') } : {}),
      limit: 1000,
    });
    return rows.map(jobToApi);
  });

  app.get('/v1/jobs/:_id', { schema: { tags, params: IdParams } }, async (request) => {
    const { _id } = request.params as { _id: string };
    const job = await findJob(db, request.identity.accountId, _id);
    if (!job) throw notFound('Job', _id);
    return jobToApi(job);
  });

  app.get('/v1/jobs/:_id/family', { schema: { tags, params: IdParams } }, async (request) => {
    const { _id } = request.params as { _id: string };
    const job = await findJob(db, request.identity.accountId, _id);
    if (!job) throw notFound('Job', _id);
    return { ...jobToApi(job), children: (await childJobs(db, job._id)).map(jobToApi) };
  });

  const errorsOf = async (accountId: string, id: string) => {
    const job = await findJob(db, accountId, id);
    if (!job) throw notFound('Job', id);
    const rows = await listJobErrors(db, accountId, { jobIds: [id], limit: 1000 });
    return rows.map(jobErrorToApi);
  };
  app.get('/v1/jobs/:_id/joberrors', { schema: { tags, params: IdParams } }, async (request) =>
    errorsOf(request.identity.accountId, (request.params as { _id: string })._id));
  app.get('/v1/jobs/:_id/errors', { schema: { tags, params: IdParams } }, async (request) =>
    errorsOf(request.identity.accountId, (request.params as { _id: string })._id));

  app.put('/v1/jobs/:_id/cancel', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const job = await findJob(db, request.identity.accountId, _id);
    if (!job) throw notFound('Job', _id);
    if (job.status === 'queued') {
      await cancelQueuedForJob(db, _id);
      await updateJob(db, _id, { status: 'canceled', ended_at: Date.now(), canceled_by: request.identity.userId });
    } else if (job.status === 'running') {
      // The runner sees `canceling` between pages and ends the job `canceled`.
      await updateJob(db, _id, { status: 'canceling', canceled_by: request.identity.userId });
    }
    reply.status(204).send();
  });
}
