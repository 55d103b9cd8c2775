import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { resourceKinds } from '../domain/resource-kinds.js';
import { assertStoredReach, forbidden } from './access.js';
import type { Store } from '../store/database.js';
import { findJob } from '../store/jobs.js';

/**
 * One scope check for every route, not only CRUD: a token limited to some integrations or connectors
 * (custom and one-time tokens) reaches a route about one resource (`/v1/<resources>/:_id/…`: run, test,
 * errors, retry, ping, proxy, invoke, state, audit…) only when it reaches that resource, and a job route
 * only when it reaches the job's flow. Account-wide routes with no resource to check (global state, all
 * jobs, all licenses) are refused. Unknown ids pass through so the route answers its own 404.
 */
const byPath = new Map(resourceKinds.flatMap((k) => [k.path, ...(k.aliases ?? [])].map((p) => [p.toLowerCase(), k] as const)));

/** Routes any authenticated token may use: they read nothing outside what the token already reaches. */
const open = new Set(['/v1/tokeninfo', '/v1/openapi.json', '/v1/mappings/preview']);

async function scopeGuard(app: FastifyInstance, options: { store: Store }) {
  const { db } = options.store;
  const reachable = (request: FastifyRequest, kind: string, id: string, what: string) => assertStoredReach(request, db, kind, id, what);

  app.addHook('preHandler', async (request) => {
    if (!request.identity || request.scope.full) return;
    const pattern = (request.routeOptions.url ?? '').toLowerCase();
    if (!pattern.startsWith('/v1/') || open.has(pattern)) return;
    const [, , family, idParam] = pattern.split('/');
    const params = (request.params ?? {}) as Record<string, string>;
    const kind = family ? byPath.get(family) : undefined;
    if (kind && idParam === ':_id') {
      await reachable(request, kind.kind, params._id ?? '', kind.label.toLowerCase());
      return;
    }
    if (family === 'jobs') {
      if (idParam === ':_id') {
        const job = await findJob(db, request.identity.accountId, params._id ?? '');
        if (!job) return;
        if (!job.flow_id) throw forbidden(`job ${job._id}`);
        await reachable(request, 'flows', job.flow_id, 'the flow of job');
        return;
      }
      // A list of jobs must name a flow the token reaches.
      const flowId = (request.query as Record<string, unknown>)._flowId;
      if (typeof flowId !== 'string') throw forbidden('jobs of every flow: filter by a _flowId this token reaches');
      if (!(await reachable(request, 'flows', flowId, 'flow'))) throw forbidden(`flow ${flowId}`);
      return;
    }
    if (family === 'state' && request.scope.oneTime) return;
    // Lists (`/v1/<resources>`) filter by scope themselves; admin routes check the role themselves.
    if (kind && idParam === undefined && family !== 'licenses') return;
    if (family === 'accesstokens' || family === 'audit') return;
    throw forbidden(`${pattern.replace(/^\/v1\//, '')} across the whole account`);
  });
}

export default fp(scopeGuard, { name: 'scope-guard', dependencies: ['auth'] });
