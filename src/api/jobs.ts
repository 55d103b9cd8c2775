import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { jobErrorToApi, jobToApi } from '../domain/jobs.js';
import type { Services } from '../domain/services.js';
import { endJob, FINAL_STATUSES } from '../engine/job-control.js';
import { ApiError, notFound } from '../errors.js';
import { cancelQueuedForJob } from '../queue/work-queue.js';
import { listJobErrors } from '../store/job-errors.js';
import { childJobs, findJob, listJobs, type CounterColumn } from '../store/jobs.js';
import { IdParams } from './resources.js';

/** Repeated (`a=1&a=2`), indexed (`a[0]=1`) or single query values as a list. */
export function many(q: Record<string, unknown>, name: string): string[] | undefined {
  const out: string[] = [];
  const add = (v: unknown) => (Array.isArray(v) ? v.forEach(add) : v !== undefined && v !== '' && out.push(String(v)));
  add(q[name]);
  for (const k of Object.keys(q)) if (k.startsWith(`${name}[`)) add(q[k]);
  return out.length > 0 ? out : undefined;
}

/** ISO with or without ms, a plain date, or epoch ms. */
export function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const s = String(value);
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (Number.isNaN(ms)) throw new ApiError('invalid_query', `${field} must be an ISO date or epoch milliseconds.`, field);
  return ms;
}

const RANGE_FIELDS: Record<string, CounterColumn> = { numSuccess: 'num_success', numError: 'num_error', numIgnore: 'num_ignore', numExport: 'num_export' };

function rangesOf(q: Record<string, unknown>) {
  const ranges: Partial<Record<CounterColumn, { gte?: number; lte?: number }>> = {};
  for (const [field, column] of Object.entries(RANGE_FIELDS)) {
    for (const op of ['gte', 'lte'] as const) {
      const raw = q[`${field}_${op}`];
      if (raw === undefined) continue;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new ApiError('invalid_query', `${field}_${op} must be a number.`, `${field}_${op}`);
      (ranges[column] ??= {})[op] = n;
    }
  }
  return ranges;
}

/** Jobs: list with the spec's filters, get, family, errors, cancel. */
export async function jobRoutes(app: FastifyInstance, options: { services: Services }) {
  const db = options.services.store.db;
  const tags = ['jobs'];

  app.get('/v1/jobs', { schema: { tags, querystring: Type.Object({}, { additionalProperties: true }) } }, async (request) => {
    const q = request.query as Record<string, unknown>;
    const types = [...(many(q, 'type') ?? []), ...(many(q, 'type_in') ?? [])];
    const childQuery = types.some((t) => t === 'export' || t === 'import');
    const parentQuery = types.length === 0 || types.some((t) => ['flow', 'retry', 'bulk_retry'].includes(t));
    if (childQuery && !q._flowJobId && !q._exportId && !q._importId) {
      throw new ApiError('invalid_query', 'For child jobs, query parameters must contain either "_flowJobId" or "resourceId"');
    }
    const anchors = ['_integrationId', '_flowId', '_flowId_in', '_exportId', '_importId', '_flowJobId', '_jobId', 'createdAt_gte', 'createdAt_lte'];
    if (parentQuery && !childQuery && !anchors.some((k) => q[k] !== undefined || Object.keys(q).some((key) => key.startsWith(`${k}[`)))) {
      throw new ApiError('invalid_query', 'For parent jobs, query parameters must contain either "_integrationId" or "_jobId" or "createdAt"');
    }
    const flowIds = many(q, '_flowId_in');
    const rows = await listJobs(db, {
      accountId: request.identity.accountId,
      ...(q._jobId ? { jobId: String(q._jobId) } : {}),
      ...(q._flowId ? { flowId: String(q._flowId) } : {}),
      ...(flowIds ? { flowIds } : {}),
      ...(q._flowJobId ? { flowJobId: String(q._flowJobId) } : {}),
      ...(q._exportId ? { exportId: String(q._exportId) } : {}),
      ...(q._importId ? { importId: String(q._importId) } : {}),
      ...(q._integrationId ? { integrationId: q._integrationId === 'none' ? null : String(q._integrationId) } : {}),
      types: types.length > 0 ? types : q._flowJobId ? undefined : ['flow', 'retry', 'bulk_retry'],
      ...(many(q, 'status') ? { statuses: many(q, 'status') } : {}),
      ...(q.createdAt_gte !== undefined ? { createdAtGte: parseTime(q.createdAt_gte, 'createdAt_gte') } : {}),
      ...(q.createdAt_lte !== undefined ? { createdAtLte: parseTime(q.createdAt_lte, 'createdAt_lte') } : {}),
      ranges: rangesOf(q),
      hideEmpty: q.hideEmpty === 'true' || q.hideEmpty === true,
      limit: 1000,
    });
    let jobs = rows.map(jobToApi);
    if (q.retriable !== undefined) {
      const want = q.retriable === 'true' || q.retriable === true;
      jobs = jobs.filter((j) => ((j.numOpenError as number) > 0) === want);
    }
    return jobs;
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

  // Cancel works in every non-final state: a queued job ends at once; a running one turns `canceling`
  // and its worker aborts it within a second (in-flight requests included), then it is `canceled`.
  app.put('/v1/jobs/:_id/cancel', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const accountId = request.identity.accountId;
    let job = await findJob(db, accountId, _id);
    if (!job) throw notFound('Job', _id);
    if (job.flow_job_id && (job.type === 'export' || job.type === 'import')) {
      // A step job is canceled with its flow job.
      const parent = await findJob(db, accountId, job.flow_job_id);
      if (parent) job = parent;
    }
    if (FINAL_STATUSES.includes(job.status)) {
      throw new ApiError('invalid_field', `Job ${job._id} already ended (${job.status}); only queued or running jobs can be canceled.`, 'status');
    }
    let ended = false;
    if (job.status === 'queued') {
      // Conditional: a worker may be starting it right now, and then it is canceled as a running job.
      const result = await db
        .updateTable('jobs')
        .set({ status: 'canceled', canceled_by: request.identity.userId, ended_at: Date.now(), last_modified: Date.now() })
        .where('_id', '=', job._id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      ended = Number(result.numUpdatedRows) > 0;
      if (ended) {
        await cancelQueuedForJob(db, job._id);
        await endJob(db, job._id, 'canceled');
      }
    }
    if (!ended && job.status !== 'canceling') {
      await db
        .updateTable('jobs')
        .set({ status: 'canceling', canceled_by: request.identity.userId, last_modified: Date.now() })
        .where('_id', '=', job._id)
        .where('status', 'in', ['queued', 'running', 'retrying'])
        .execute();
    }
    reply.status(204).send();
  });
}
