import type { FastifyInstance } from 'fastify';

export async function tokenInfoRoutes(app: FastifyInstance) {
  app.get('/v1/tokenInfo', { schema: { tags: ['tokens'] } }, async (request) => {
    const { userId, scope, email } = request.identity;
    return { _userId: userId, scope: scope === '*' ? '*' : 'custom', email };
  });
}
