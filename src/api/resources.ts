import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ResourceService } from '../domain/resource-service.js';
import { ListQuery, pagingFrom, sendPage } from './pagination.js';

export const IdParams = Type.Object({ _id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });

/** Query parameters that filter a list by equality, mapped to promoted columns. */
const filters = {
  name: 'name',
  _integrationId: 'integration_id',
  _connectionId: 'connection_id',
  _connectorId: 'connector_id',
  adaptorType: 'adaptor_type',
} as const;

/**
 * The standard routes of one resource family: list, get, create, replace (PUT), patch (JSON Patch),
 * delete. Handlers stay thin; the service validates, checks references and scopes by account.
 */
export async function resourceRoutes(app: FastifyInstance, options: { service: ResourceService }) {
  const { service } = options;
  const base = `/v1/${service.kind.kind}`;
  const tags = [service.kind.kind];

  app.get(base, { schema: { tags, querystring: ListQuery } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const where: Record<string, string> = {};
    for (const [param, column] of Object.entries(filters)) {
      if (typeof query[param] === 'string') where[column] = query[param] as string;
    }
    const paging = pagingFrom(query);
    return sendPage(request, reply, paging, (limit) => service.list(request.identity.accountId, { ...paging, limit, where }));
  });

  app.get(`${base}/:_id`, { schema: { tags, params: IdParams } }, async (request) => {
    const { _id } = request.params as { _id: string };
    return service.get(request.identity.accountId, _id);
  });

  app.post(base, { schema: { tags } }, async (request, reply) => {
    reply.status(201);
    return service.create(request.identity.accountId, request.body);
  });

  app.put(`${base}/:_id`, { schema: { tags, params: IdParams } }, async (request) => {
    const { _id } = request.params as { _id: string };
    return service.replace(request.identity.accountId, _id, request.body);
  });

  app.patch(`${base}/:_id`, { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    await service.patch(request.identity.accountId, _id, request.body);
    reply.status(204).send();
  });

  app.delete(`${base}/:_id`, { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    await service.remove(request.identity.accountId, _id);
    reply.status(204).send();
  });
}
