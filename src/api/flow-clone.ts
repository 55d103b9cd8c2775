import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { cloneFlow, type FlowCloneRequest } from '../domain/flow-clone.js';
import type { Services } from '../domain/services.js';
import { validateAgainst } from '../domain/validation.js';
import { ApiError, notFound } from '../errors.js';
import { actorOf, assertMayWrite, assertReaches, assertReachesIds } from './access.js';
import { ErrorEnvelope } from './openapi-schemas.js';

const Id = Type.String({ pattern: '^[0-9a-f]{24}$' });

export const FlowCloneBody = Type.Object(
  {
    connectionMap: Type.Record(Type.String(), Id, { description: '{oldConnectionId: newConnectionId} for every connection the flow uses.' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    _integrationId: Type.Optional(Id),
    _flowGroupingId: Type.Optional(Id),
    sandbox: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, title: 'FlowClone' },
);

const Manifest = Type.Array(Type.Object({ model: Type.String(), _id: Type.String(), name: Type.Optional(Type.String()) }));

/** `POST /v1/flows/{_id}/clone` → 201 with the manifest of created resources. */
export async function flowCloneRoutes(app: FastifyInstance, options: { services: Services }) {
  const { services } = options;
  app.setValidatorCompiler(() => () => true);
  app.post('/v1/flows/:_id/clone', { schema: { tags: ['flows'], summary: 'Clone a flow with its exports and imports', params: Type.Object({ _id: Type.String() }), body: FlowCloneBody, response: { 201: Manifest, '4xx': ErrorEnvelope } } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    if (!/^[0-9a-f]{24}$/.test(_id)) throw notFound('Flow', _id);
    const row = await services.flows.row(request.identity.accountId, _id);
    assertReaches(request, row, 'Flow');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const errors = validateAgainst(FlowCloneBody, body);
    if (errors.length) throw new ApiError(errors, 422);
    assertMayWrite(request, { _integrationId: body._integrationId ?? row.integration_id ?? undefined }, 'flows', 'Flow');
    // The copies use the mapped connections: a limited token must reach each of them.
    const mapped = Object.values((body.connectionMap ?? {}) as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
    await assertReachesIds(request, services.store.db, 'connections', mapped, 'connectionMap');
    const manifest = await cloneFlow(services, actorOf(request), _id, body as unknown as FlowCloneRequest);
    reply.status(201);
    return manifest;
  });
}
