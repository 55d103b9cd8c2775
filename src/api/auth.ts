import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';
import type { Store } from '../store/database.js';
import { authenticateToken, type TokenIdentity } from '../store/accounts.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: TokenIdentity;
  }
}

/** Bearer-token authentication for every `/v1` route; the scheme name is matched case-insensitively. */
async function auth(app: FastifyInstance, options: { store: Store }) {
  app.decorateRequest('identity', null as unknown as TokenIdentity);
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (!request.url.toLowerCase().startsWith('/v1/') && request.url.toLowerCase() !== '/v1') return;
    if (request.routeOptions.config && (request.routeOptions.config as { public?: boolean }).public) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      reply.header('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', header ? 'The Authorization header must be "Bearer <token>".' : 'Missing Authorization header: send "Authorization: Bearer <token>".');
    }
    const identity = await authenticateToken(options.store.db, match[1]!);
    if (!identity) {
      reply.header('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', 'Unknown, revoked or expired token.');
    }
    request.identity = identity;
  });
}

export default fp(auth, { name: 'auth' });
