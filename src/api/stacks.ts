import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../domain/services.js';
import { notFound } from '../errors.js';
import { assertAdministrator, assertReaches } from './access.js';
import { ErrorEnvelope } from './openapi-schemas.js';

/** `GET /v1/stacks/{_id}/systemToken`: the one place a stack's system token is shown (masked elsewhere). */
export async function stackRoutes(app: FastifyInstance, options: { services: Services }) {
  const { stacks } = options.services;
  app.setValidatorCompiler(() => () => true);
  app.get('/v1/stacks/:_id/systemToken', { schema: { tags: ['stacks'], summary: 'Read a stack\'s system token', params: Type.Object({ _id: Type.String() }), response: { 200: Type.Object({ systemToken: Type.String() }), '4xx': ErrorEnvelope } } }, async (request) => {
    const { _id } = request.params as { _id: string };
    if (!/^[0-9a-f]{24}$/.test(_id)) throw notFound('Stack', _id);
    const row = await stacks.row(request.identity.accountId, _id);
    assertReaches(request, row, 'Stack');
    assertAdministrator(request);
    const doc = await stacks.getInternal(request.identity.accountId, _id);
    const token = (doc.server as { systemToken?: string } | undefined)?.systemToken;
    if (!token) throw notFound('System token of stack', _id);
    return { systemToken: token };
  });
}
