import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';
import type { Store } from '../store/database.js';
import { authenticateToken, type TokenIdentity } from '../store/accounts.js';
import { FULL_SCOPE, parseScope, type TokenScope } from '../domain/token-scope.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: TokenIdentity;
    scope: TokenScope;
  }
}

/** What a read-only (DIY one-time) token may do besides GET: invoke exports and imports, and state. */
const readOnlyWrites = [/^\/v1\/(exports|imports)\/[0-9a-f]{24}\/invoke\/?$/i, /^\/v1\/state(\/|$)/i, /^\/v1\/[a-z]+\/[0-9a-f]{24}\/state(\/|$)/i];

/** Bearer-token authentication for every `/v1` route; the scheme name is matched case-insensitively. */
async function auth(app: FastifyInstance, options: { store: Store }) {
  // Embedded SQLite is one process: resolved tokens may be kept a moment (changes here clear them).
  const cacheMs = options.store.dialect === 'sqlite' ? 1000 : 0;
  app.decorateRequest('identity', null as unknown as TokenIdentity);
  app.decorateRequest('scope', null as unknown as TokenScope);
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (!request.url.toLowerCase().startsWith('/v1/') && request.url.toLowerCase() !== '/v1') return;
    if (request.routeOptions.config && (request.routeOptions.config as { public?: boolean }).public) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      reply.header('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', header ? 'The Authorization header must be "Bearer <token>".' : 'Missing Authorization header: send "Authorization: Bearer <token>".');
    }
    const identity = await authenticateToken(options.store.db, match[1]!, Date.now(), cacheMs);
    if (!identity) {
      reply.header('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', 'Unknown, revoked or expired token.');
    }
    request.identity = identity;
    request.scope = identity.scope === '*' ? FULL_SCOPE : parseScope(identity.scope);
    if (request.scope.readOnly && request.method !== 'GET' && request.method !== 'HEAD') {
      const path = request.url.split('?')[0]!;
      if (!readOnlyWrites.some((r) => r.test(path))) throw new ApiError('forbidden', 'This one-time token may only read resources, invoke exports and imports, and use state.');
    }
  });
}

export default fp(auth, { name: 'auth' });
