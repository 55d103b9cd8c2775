import type { FastifyInstance } from 'fastify';
import type { Services } from '../domain/services.js';
import { requestFlowRun } from '../engine/flow-runs.js';
import { ApiError } from '../errors.js';
import { IdParams } from './resources.js';

/** Flow actions beyond CRUD: run now. */
export async function flowRoutes(app: FastifyInstance, options: { services: Services }) {
  const { services } = options;

  app.post('/v1/flows/:_id/run', { schema: { tags: ['flows'], params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError('invalid_field', 'The body must be a JSON object.', '(body)');
    const exportIds = body._exportIds;
    if (exportIds !== undefined && (!Array.isArray(exportIds) || !exportIds.every((e) => typeof e === 'string'))) {
      throw new ApiError('invalid_field', '_exportIds must be an array of export ids.', '_exportIds');
    }
    const jobId = await requestFlowRun(services, request.identity.accountId, _id, { trigger: 'api', ...(exportIds ? { exportIds: exportIds as string[] } : {}) });
    reply.status(201);
    return { _jobId: jobId };
  });
}
