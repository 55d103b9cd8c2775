import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorEnvelope } from './openapi-schemas.js';

const TokenInfo = Type.Object({ _userId: Type.String(), scope: Type.Union([Type.Literal('*'), Type.Literal('custom')]), email: Type.Optional(Type.String()) });

export async function tokenInfoRoutes(app: FastifyInstance) {
  app.get('/v1/tokenInfo', { schema: { tags: ['tokens'], summary: 'Who this token is', response: { 200: TokenInfo, '4xx': ErrorEnvelope } } }, async (request) => {
    const { userId, email } = request.identity;
    return { _userId: userId, scope: request.scope.full ? '*' : 'custom', email };
  });
}
