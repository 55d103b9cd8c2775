import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { jobErrorToApi, jobToApi } from '../domain/jobs.js';
import type { Services } from '../domain/services.js';
import { requestRetry } from '../engine/retries.js';
import { ApiError, notFound } from '../errors.js';
import { findByRetryDataKey, listJobErrors, listStepErrors, openErrorsByStep, openStepErrors, resolveErrors, updateRetryData } from '../store/job-errors.js';
import { findJob } from '../store/jobs.js';
import { many, parseTime } from './jobs.js';

const Hex = Type.String({ pattern: '^[0-9a-f]{24}$' });
const StepParams = Type.Object({ _id: Hex, _stepId: Hex });
const RetryDataParams = Type.Object({ _id: Hex, _stepId: Hex, retryDataKey: Hex });
const MAX_PAGE = 1000;

/** `limit` of an error list: an integer from 1 to MAX_PAGE, else 400 like every other list. */
function pageLimit(v: unknown): number {
  if (v === undefined) return MAX_PAGE;
  const s = typeof v === 'string' ? v.trim() : '';
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new ApiError('invalid_query', `limit must be an integer from 1 to ${MAX_PAGE}.`, 'limit');
  return n;
}

/** The next page keeps every filter and the limit of the request; only `startAtErrorId` moves. */
function nextPageURL(path: string, requestUrl: string, startAtErrorId: string): string {
  const params = new URLSearchParams(new URL(requestUrl, 'http://localhost').search);
  params.delete('startAtErrorId');
  const next = new URLSearchParams({ startAtErrorId });
  for (const [k, v] of params) next.append(k, v);
  return `${path}?${next.toString()}`;
}

const stringList = (v: unknown, field: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ApiError('invalid_field', `${field} must be an array of strings.`, field);
  return v as string[];
};

/** Errors of a flow's steps (§4.14): list, resolve, read and edit retry data, retry (§4.15). */
export async function flowErrorRoutes(app: FastifyInstance, options: { services: Services }) {
  const { services } = options;
  const db = services.store.db;
  const tags = ['errors'];

  /** 404 unless the flow exists in the caller's account. */
  const flowOf = (request: FastifyRequest) => services.flows.get(request.identity.accountId, (request.params as { _id: string })._id);

  app.get('/v1/flows/:_id/errors', { schema: { tags, params: Type.Object({ _id: Hex }) } }, async (request) => {
    await flowOf(request);
    const rows = await openErrorsByStep(db, request.identity.accountId, (request.params as { _id: string })._id);
    return { flowErrors: rows.map((r) => ({ _expOrImpId: r.step_id, numError: Number(r.num_error), lastErrorAt: new Date(Number(r.last_error_at)).toISOString() })) };
  });

  const listErrors = (resolved: boolean) => async (request: FastifyRequest) => {
    await flowOf(request);
    const { _id, _stepId } = request.params as { _id: string; _stepId: string };
    const q = request.query as Record<string, unknown>;
    const limit = pageLimit(q.limit);
    const sources = many(q, 'source');
    const rows = await listStepErrors(db, {
      accountId: request.identity.accountId,
      flowId: _id,
      stepId: _stepId,
      resolved,
      ...(q.startAtErrorId ? { startAtErrorId: String(q.startAtErrorId) } : {}),
      ...(q.occurredAt_gte !== undefined ? { occurredAtGte: parseTime(q.occurredAt_gte, 'occurredAt_gte') } : {}),
      ...(q.occurredAt_lte !== undefined ? { occurredAtLte: parseTime(q.occurredAt_lte, 'occurredAt_lte') } : {}),
      ...(q.resolvedAt_gte !== undefined ? { resolvedAtGte: parseTime(q.resolvedAt_gte, 'resolvedAt_gte') } : {}),
      ...(q.resolvedAt_lte !== undefined ? { resolvedAtLte: parseTime(q.resolvedAt_lte, 'resolvedAt_lte') } : {}),
      ...(sources ? { sources } : {}),
      ...(q._flowJobId ? { flowJobId: String(q._flowJobId) } : {}),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit).map(jobErrorToApi);
    const out: Record<string, unknown> = { [resolved ? 'resolved' : 'errors']: page };
    if (rows.length > limit) out.nextPageURL = nextPageURL(`/api/flows/${_id}/${_stepId}/${resolved ? 'resolved' : 'errors'}`, request.url, rows[limit]!._id);
    return out;
  };
  const query = Type.Object({}, { additionalProperties: true });
  app.get('/v1/flows/:_id/:_stepId/errors', { schema: { tags, params: StepParams, querystring: query } }, listErrors(false));
  app.get('/v1/flows/:_id/exports/:_stepId/errors', { schema: { tags, params: StepParams, querystring: query } }, listErrors(false));
  app.get('/v1/flows/:_id/imports/:_stepId/errors', { schema: { tags, params: StepParams, querystring: query } }, listErrors(false));
  app.get('/v1/flows/:_id/:_stepId/resolved', { schema: { tags, params: StepParams, querystring: query } }, listErrors(true));

  app.put('/v1/flows/:_id/:_stepId/resolved', { schema: { tags, params: StepParams } }, async (request, reply) => {
    await flowOf(request);
    const { _id, _stepId } = request.params as { _id: string; _stepId: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    const errorIds = stringList(body.errors ?? body.errorIds, 'errors');
    const accountId = request.identity.accountId;
    await db.transaction().execute(async (trx) => {
      const rows = await openStepErrors(trx, accountId, _id, _stepId, errorIds ? { errorIds } : {});
      await resolveErrors(trx, rows, request.identity.userId);
    });
    reply.status(204).send();
  });

  const retryDataOf = async (request: FastifyRequest) => {
    await flowOf(request);
    const { _id, _stepId, retryDataKey } = request.params as { _id: string; _stepId: string; retryDataKey: string };
    const row = await findByRetryDataKey(db, request.identity.accountId, _id, _stepId, retryDataKey);
    if (!row?.retry_data) throw notFound('Retry data', retryDataKey);
    return row;
  };
  const getRetryData = async (request: FastifyRequest) => {
    const row = await retryDataOf(request);
    return { ...(JSON.parse(row.retry_data!) as object), retryDataKey: row.retry_data_key };
  };
  const putRetryData = async (request: FastifyRequest) => {
    const row = await retryDataOf(request);
    if (row.resolved_at !== null) throw new ApiError('invalid_field', 'The error is resolved; its retry data can no longer change.', 'retryDataKey');
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !('data' in body)) {
      throw new ApiError('missing_required_field', 'The body is the whole retry data object, with the edited record in "data".', 'data');
    }
    if (body.data === null || typeof body.data !== 'object' || Array.isArray(body.data)) {
      throw new ApiError('invalid_field', 'data must be the record as an object.', 'data');
    }
    const stored = { ...(JSON.parse(row.retry_data!) as object), data: body.data };
    // Every error of the record shares its retry data.
    await updateRetryData(db, row.account_id, row.retry_data_key!, JSON.stringify(stored));
    return { ...stored, retryDataKey: row.retry_data_key };
  };
  app.get('/v1/flows/:_id/:_stepId/retryData/:retryDataKey', { schema: { tags, params: RetryDataParams } }, getRetryData);
  app.put('/v1/flows/:_id/:_stepId/retryData/:retryDataKey', { schema: { tags, params: RetryDataParams } }, putRetryData);
  app.get('/v1/flows/:_id/:_stepId/:retryDataKey/data', { schema: { tags, params: RetryDataParams } }, getRetryData);
  app.put('/v1/flows/:_id/:_stepId/:retryDataKey/data', { schema: { tags, params: RetryDataParams } }, putRetryData);

  app.post('/v1/flows/:_id/:_stepId/retry', { schema: { tags, params: StepParams } }, async (request, reply) => {
    const { _id, _stepId } = request.params as { _id: string; _stepId: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError('invalid_field', 'The body must be a JSON object ({retryDataKeys} or {errorIds}; {} retries every open error).', '(body)');
    // A misspelt key must not turn into "retry everything".
    const unknownKeys = Object.keys(body).filter((k) => k !== 'retryDataKeys' && k !== 'errorIds');
    if (unknownKeys.length > 0) {
      throw new ApiError(unknownKeys.map((k) => ({ code: 'invalid_field', field: k, message: `${k} is not a retry option: send retryDataKeys or errorIds ({} retries every open error).` })), 422);
    }
    const retryDataKeys = stringList(body.retryDataKeys, 'retryDataKeys');
    const errorIds = stringList(body.errorIds, 'errorIds');
    const job = await requestRetry(services, request.identity.accountId, _id, _stepId, { ...(retryDataKeys ? { retryDataKeys } : {}), ...(errorIds ? { errorIds } : {}) });
    reply.status(201);
    return { ...jobToApi(job), _jobId: job._id };
  });

  // §4.13 (UI): resolve every open error of a job (a flow job: those of all its steps).
  app.put('/v1/jobs/:_id/resolve', { schema: { tags, params: Type.Object({ _id: Hex }) } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const accountId = request.identity.accountId;
    if (!(await findJob(db, accountId, _id))) throw notFound('Job', _id);
    await db.transaction().execute(async (trx) => {
      for (;;) {
        const rows = await listJobErrors(trx, accountId, { jobIds: [_id], open: true, limit: MAX_PAGE });
        if (rows.length === 0) break;
        await resolveErrors(trx, rows, request.identity.userId);
      }
    });
    reply.status(204).send();
  });
}
