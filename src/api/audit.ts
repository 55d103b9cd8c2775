import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../domain/services.js';
import { resourceKinds } from '../domain/resource-kinds.js';
import { ApiError } from '../errors.js';
import { listAudit, type AuditRow } from '../store/audit.js';
import { assertAdministrator } from './access.js';
import { ErrorEnvelope } from './openapi-schemas.js';
import { pagingFrom, sendPage } from './pagination.js';

const AuditEntry = Type.Object(
  {
    _id: Type.String(),
    resourceType: Type.String(),
    _resourceId: Type.String(),
    _byUserId: Type.Optional(Type.String()),
    source: Type.String(),
    action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
    from: Type.Optional(Type.Unknown()),
    to: Type.Optional(Type.Unknown()),
    time: Type.String({ format: 'date-time' }),
  },
  { title: 'AuditEntry' },
);

function toApi(row: AuditRow) {
  return {
    _id: row._id,
    resourceType: row.resource_type,
    _resourceId: row.resource_id,
    ...(row.user_id ? { _byUserId: row.user_id } : {}),
    source: row.source,
    action: row.action,
    ...(row.before_doc ? { from: JSON.parse(row.before_doc) } : {}),
    ...(row.after_doc ? { to: JSON.parse(row.after_doc) } : {}),
    time: new Date(row.created_at).toISOString(),
  };
}

/** The audit trail (who, what, when, before and after; secrets masked), paged with a Link header. */
export async function auditRoutes(app: FastifyInstance, options: { services: Services }) {
  const db = options.services.store.db;
  app.setValidatorCompiler(() => () => true);
  const tags = ['audit'];

  const page = async (request: FastifyRequest, reply: FastifyReply, resource?: { type: string; id: string }) => {
    const q = request.query as Record<string, unknown>;
    const paging = pagingFrom(q);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const rows = await sendPage(request, reply, paging, (limit) =>
      listAudit(db, request.identity.accountId, {
        limit,
        ...(paging.after ? { after: paging.after } : {}),
        ...(resource ? { resourceType: resource.type, resourceId: resource.id } : {}),
        ...(!resource && str(q.resourceType) ? { resourceType: str(q.resourceType)!.toLowerCase() } : {}),
        ...(!resource && str(q._resourceId) ? { resourceId: str(q._resourceId) } : {}),
        ...(str(q._byUserId) ? { userId: str(q._byUserId) } : {}),
        ...(str(q.action) ? { action: str(q.action) } : {}),
      }),
    );
    return rows.map(toApi);
  };

  app.get('/v1/audit', { schema: { tags, summary: 'The account\'s audit trail', querystring: Type.Object({ resourceType: Type.Optional(Type.String()), _resourceId: Type.Optional(Type.String()), _byUserId: Type.Optional(Type.String()), action: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer()), after: Type.Optional(Type.String()) }), response: { 200: Type.Array(AuditEntry), '4xx': ErrorEnvelope } } }, async (request, reply) => {
    assertAdministrator(request);
    return page(request, reply);
  });

  for (const kind of resourceKinds) {
    const service = Object.values(options.services).find((s) => typeof s === 'object' && s !== null && 'kind' in s && (s as { kind: unknown }).kind === kind);
    if (!service) continue;
    app.get(`/v1/${kind.path}/:_id/audit`, { schema: { tags, summary: `Audit trail of one ${kind.label}`, params: Type.Object({ _id: Type.String() }), response: { 200: Type.Array(AuditEntry), '4xx': ErrorEnvelope } } }, async (request, reply) => {
      const { _id } = request.params as { _id: string };
      if (!/^[0-9a-f]{24}$/.test(_id)) throw new ApiError('not_found', `${kind.label} ${_id} not found.`);
      // Only for resources that exist in this account (the trail of a deleted one stays in /v1/audit).
      await (service as { row(a: string, i: string): Promise<unknown> }).row(request.identity.accountId, _id);
      return page(request, reply, { type: kind.kind, id: _id });
    });
  }
}
