import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { Type } from 'typebox';

const require = createRequire(import.meta.url);

/**
 * A small public sample-data API, paged like a remote one (`Link: <…>; rel="next"`), so the demo flow
 * reads real data through an ordinary HTTP connection. Data: the `world-countries` package (250 countries).
 */
export async function sampleDataRoutes(app: FastifyInstance) {
  const countries = require('world-countries') as Record<string, unknown>[];

  app.get(
    '/sample-data/countries',
    {
      schema: {
        tags: ['sample data'],
        querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250 })) }),
      },
    },
    async (request, reply) => {
      const { page = 1, limit = 50 } = request.query as { page?: number; limit?: number };
      const start = (page - 1) * limit;
      if (start + limit < countries.length) {
        const next = new URL(request.url, `${request.protocol}://${request.host}`);
        next.searchParams.set('page', String(page + 1));
        next.searchParams.set('limit', String(limit));
        reply.header('Link', `<${next.toString()}>; rel="next"`);
      }
      reply.header('X-Total-Count', String(countries.length));
      return countries.slice(start, start + limit);
    },
  );
}
