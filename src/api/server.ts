import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from '../domain/services.js';
import type { Logger } from '../logger.js';
import auth from './auth.js';
import scopeGuard from './scope-guard.js';
import { connectionActionRoutes } from './connection-actions.js';
import errorEnvelope from './error-envelope.js';
import { accessTokenRoutes } from './access-tokens.js';
import { auditRoutes } from './audit.js';
import { distributedRoutes } from './distributed.js';
import { flowCloneRoutes } from './flow-clone.js';
import jsonBody, { type JsonBodyLimits } from './json-body.js';
import { licenseRoutes } from './licenses.js';
import { pendingActionRoutes } from './pending-actions.js';
import rateLimit, { type RateLimitOptions } from './rate-limit.js';
import { stackRoutes } from './stacks.js';
import { exportInvokeRoutes } from './export-invoke.js';
import { flowErrorRoutes } from './flow-errors.js';
import { flowRoutes } from './flows.js';
import { jobRoutes } from './jobs.js';
import { mappingPreviewRoutes } from './mapping-preview.js';
import { resourceRoutes } from './resources.js';
import { sampleDataRoutes } from './sample-data.js';
import { stateRoutes } from './state.js';
import { tokenInfoRoutes } from './token-info.js';

export interface ServerOptions {
  services: Services;
  logger?: Logger;
  bodyLimitBytes?: number;
  /** Per-account leaky bucket; capacity 0 turns it off. */
  rateLimit?: Partial<RateLimitOptions>;
  jsonLimits?: Partial<JsonBodyLimits>;
}

/** Builds the HTTP surface. Plugins are registered explicitly, in order, so this list shows every route family. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { services } = options;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger | undefined,
    bodyLimit: options.bodyLimitBytes ?? 5 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
    // Deeply nested or huge JSON is rejected by the size limit; prototype keys are refused outright.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });

  // Library plugins: the OpenAPI document is generated from the route schemas.
  await app.register(swagger, {
    openapi: {
      info: { title: 'Integrator API', version: '1.0.0', description: 'integrator.io-compatible REST API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/v1/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());

  // Cross-cutting.
  await app.register(errorEnvelope);
  await app.register(auth, { store: services.store });
  await app.register(scopeGuard, { store: services.store });
  await app.register(rateLimit, { store: services.store, ...(options.rateLimit ? { limits: options.rateLimit } : {}) });
  await app.register(jsonBody, { ...(options.jsonLimits ? { limits: options.jsonLimits } : {}) });

  // /v1 families.
  await app.register(tokenInfoRoutes);
  for (const service of [
    services.connections, services.exports, services.imports, services.flows, services.integrations,
    services.connectors, services.iClients, services.templates, services.scripts, services.stacks,
  ]) {
    await app.register(resourceRoutes, { service });
  }
  await app.register(licenseRoutes, { services });
  await app.register(distributedRoutes, { services });
  await app.register(stackRoutes, { services });
  await app.register(flowCloneRoutes, { services });
  await app.register(accessTokenRoutes, { store: services.store });
  await app.register(auditRoutes, { services });
  await app.register(pendingActionRoutes);
  await app.register(flowRoutes, { services });
  await app.register(jobRoutes, { services });
  await app.register(flowErrorRoutes, { services });
  await app.register(stateRoutes, { services });
  await app.register(mappingPreviewRoutes, { services });
  await app.register(connectionActionRoutes, { services });
  await app.register(exportInvokeRoutes, { services });

  // Public sample data for the demo.
  await app.register(sampleDataRoutes);

  app.get('/healthz', async () => ({ ok: true }));
  return app as unknown as FastifyInstance;
}
