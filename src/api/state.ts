import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../domain/services.js';
import { ApiError, notFound } from '../errors.js';
import { deleteState, getState, putState, stateKeys } from '../store/state.js';

const RESOURCE_TYPES = ['imports', 'exports', 'flows', 'integrations', 'connections'] as const;
type ResourceType = (typeof RESOURCE_TYPES)[number];
const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 256 }) });
const ScopedParams = Type.Object({ _id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });
const ScopedKeyParams = Type.Object({ _id: Type.String({ pattern: '^[0-9a-f]{24}$' }), key: Type.String({ minLength: 1, maxLength: 256 }) });

/**
 * State (§4.12): free-form JSON values by key, global to the account (`/v1/state`) or kept under one
 * resource (`/v1/{imports|exports|flows|integrations|connections}/{_id}/state`), for data users carry
 * between runs.
 */
export async function stateRoutes(app: FastifyInstance, options: { services: Services }) {
  const { services } = options;
  const db = services.store.db;
  const tags = ['state'];

  const sendValue = (reply: FastifyReply, stored: string | undefined, key: string) => {
    if (stored === undefined) throw notFound('State key', key);
    return reply.type('application/json').send(stored);
  };
  const store = async (request: FastifyRequest, reply: FastifyReply, scopeId: string, key: string) => {
    if (request.body === undefined) throw new ApiError('missing_required_field', 'The body is the JSON value to store.', '(body)');
    const created = await putState(db, request.identity.accountId, scopeId, key, JSON.stringify(request.body));
    return reply.status(created ? 201 : 200).type('text/plain').send(created ? 'Created' : 'OK');
  };

  app.get('/v1/state', { schema: { tags } }, async (request) => ({ keys: await stateKeys(db, request.identity.accountId, '') }));
  app.delete('/v1/state', { schema: { tags } }, async (request, reply) => {
    await deleteState(db, request.identity.accountId, '');
    return reply.status(204).send();
  });
  app.get('/v1/state/:key', { schema: { tags, params: KeyParams } }, async (request, reply) => {
    const { key } = request.params as { key: string };
    return sendValue(reply, await getState(db, request.identity.accountId, '', key), key);
  });
  app.put('/v1/state/:key', { schema: { tags, params: KeyParams } }, async (request, reply) => store(request, reply, '', (request.params as { key: string }).key));
  app.delete('/v1/state/:key', { schema: { tags, params: KeyParams } }, async (request, reply) => {
    await deleteState(db, request.identity.accountId, '', (request.params as { key: string }).key);
    return reply.status(204).send();
  });

  const serviceOf = (type: ResourceType) => services[type];
  for (const type of RESOURCE_TYPES) {
    const base = `/v1/${type}/:_id/state`;
    /** The resource must exist in the caller's account; its id scopes the keys. */
    const scope = async (request: FastifyRequest) => {
      const { _id } = request.params as { _id: string };
      await serviceOf(type).get(request.identity.accountId, _id);
      return _id;
    };
    app.get(base, { schema: { tags, params: ScopedParams } }, async (request) => ({ keys: await stateKeys(db, request.identity.accountId, await scope(request)) }));
    app.delete(base, { schema: { tags, params: ScopedParams } }, async (request, reply) => {
      await deleteState(db, request.identity.accountId, await scope(request));
      return reply.status(200).send();
    });
    app.get(`${base}/:key`, { schema: { tags, params: ScopedKeyParams } }, async (request, reply) => {
      const { key } = request.params as { key: string };
      return sendValue(reply, await getState(db, request.identity.accountId, await scope(request), key), key);
    });
    app.put(`${base}/:key`, { schema: { tags, params: ScopedKeyParams } }, async (request, reply) => store(request, reply, await scope(request), (request.params as { key: string }).key));
    app.delete(`${base}/:key`, { schema: { tags, params: ScopedKeyParams } }, async (request, reply) => {
      await deleteState(db, request.identity.accountId, await scope(request), (request.params as { key: string }).key);
      return reply.status(200).send();
    });
  }
}
