import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ResourceService } from '../domain/resource-service.js';
import { listScope } from '../domain/token-scope.js';
import { notFound } from '../errors.js';
import type { ResourceDocRow, ResourceRow } from '../store/resources.js';
import { actorOf, assertMayWrite, assertReaches, assertReferencesReachable } from './access.js';
import { filtersFrom, project, projectionFrom } from './list-query.js';
import { documentedBody, ErrorEnvelope, IdParams, stored } from './openapi-schemas.js';
import { ListQuery, pagingFrom, sendPage } from './pagination.js';

export { IdParams };

const JsonPatch = Type.Array(
  Type.Object({
    op: Type.Union(['add', 'remove', 'replace', 'test', 'move', 'copy'].map((o) => Type.Literal(o))),
    path: Type.String(),
    value: Type.Optional(Type.Unknown()),
    from: Type.Optional(Type.String()),
  }),
  { title: 'JsonPatch' },
);

/**
 * One stored row as JSON text without parsing it: `{"_id":…, <doc fields>, "createdAt":…, "lastModified":…}`.
 * Only for kinds without secrets (their answers need masking).
 */
export function rowJson(row: ResourceDocRow): string {
  const inner = row.doc.length > 2 ? `${row.doc.slice(1, -1)},` : '';
  return `{"_id":"${row._id}",${inner}"createdAt":"${new Date(row.created_at).toISOString()}","lastModified":"${new Date(row.last_modified).toISOString()}"}`;
}

/** A page of rows as one JSON array, built in one string. */
function rowsJson(rows: ResourceDocRow[]): string {
  let out = '[';
  for (let i = 0; i < rows.length; i++) out += (i ? ',' : '') + rowJson(rows[i]!);
  return `${out}]`;
}

/**
 * The standard routes of one resource family: list, get, create, replace (PUT), patch (JSON Patch),
 * delete. Handlers stay thin; the service validates, checks references and scopes by account; the
 * token's scope is checked here (403), another account's id is simply not found (404).
 */
export async function resourceRoutes(app: FastifyInstance, options: { service: ResourceService }) {
  const { service } = options;
  const kind = service.kind;
  const tags = [kind.path];
  const Doc = stored(kind.schema);
  const paramsSchema = { params: IdParams };
  const raw = !kind.hasSecrets;
  const isPath = (p: string) => [kind.path, ...(kind.aliases ?? [])].map((s) => `/v1/${s}${p}`);

  // Route schemas document; the domain validates (field-level 422s, nothing coerced or silently dropped),
  // and a malformed id in a path is a 404 like any unknown id.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const sendDoc = (reply: FastifyReply, row: ResourceRow) => {
    if (!raw) return service.toApi(row);
    reply.type('application/json');
    return rowJson(row);
  };

  const loadRow = async (request: FastifyRequest) => {
    const { _id } = request.params as { _id: string };
    if (!/^[0-9a-f]{24}$/.test(_id)) throw notFound(kind.label, _id);
    const row = await service.row(request.identity.accountId, _id);
    assertReaches(request, row, kind.label);
    return row;
  };

  for (const base of isPath('')) {
    const hide = base !== `/v1/${kind.path}`;
    app.get(base, { schema: { tags, hide, summary: `List ${kind.path}`, querystring: ListQuery, response: { 200: Type.Array(Doc), '4xx': ErrorEnvelope } } }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const paging = pagingFrom(query);
      const projection = projectionFrom(query);
      const filters = filtersFrom(query);
      const scope = listScope(request.scope, kind.kind);
      const listQuery = { ...paging, filters, ...(scope ? { scope } : {}) };
      if (raw && !projection) {
        const rows = await sendPage(request, reply, paging, (limit) => service.listDocRows(request.identity.accountId, { ...listQuery, limit }));
        reply.type('application/json');
        return rowsJson(rows);
      }
      const rows = await sendPage(request, reply, paging, (limit) => service.listRows(request.identity.accountId, { ...listQuery, limit }));
      const docs = rows.map((r) => service.toApi(r));
      return projection ? docs.map((d) => project(d, projection)) : docs;
    });

    app.post(base, { schema: { tags, hide, summary: `Create a ${kind.label}`, body: documentedBody(kind.kind, kind.schema), response: { 201: Doc, '4xx': ErrorEnvelope } } }, async (request, reply) => {
      assertMayWrite(request, request.body, kind.kind, kind.label);
      await assertReferencesReachable(request, service, request.body);
      const created = await service.create(actorOf(request), request.body);
      reply.status(201);
      return created;
    });

    app.get(`${base}/:_id`, { schema: { tags, hide, summary: `Get a ${kind.label}`, ...paramsSchema, response: { 200: Doc, '4xx': ErrorEnvelope } } }, async (request, reply) =>
      sendDoc(reply, await loadRow(request)),
    );

    app.put(`${base}/:_id`, { schema: { tags, hide, summary: `Replace a ${kind.label}`, ...paramsSchema, body: documentedBody(kind.kind, kind.schema), response: { 200: Doc, '4xx': ErrorEnvelope } } }, async (request) => {
      const row = await loadRow(request);
      assertMayWrite(request, request.body, kind.kind, kind.label, row._id);
      await assertReferencesReachable(request, service, request.body);
      return service.replace(actorOf(request), row._id, request.body);
    });

    app.patch(`${base}/:_id`, { schema: { tags, hide, summary: `Patch a ${kind.label} (JSON Patch)`, ...paramsSchema, body: JsonPatch, response: { '4xx': ErrorEnvelope } } }, async (request, reply) => {
      const row = await loadRow(request);
      assertMayWrite(request, JSON.parse(row.doc), kind.kind, kind.label, row._id);
      // The patched document must stay inside the token's scope too.
      const patched = service.applyPatch(service.toApi(row), request.body);
      assertMayWrite(request, patched, kind.kind, kind.label, row._id);
      await assertReferencesReachable(request, service, patched);
      await service.replace(actorOf(request), row._id, patched);
      reply.status(204).send();
    });

    app.delete(`${base}/:_id`, { schema: { tags, hide, summary: `Delete a ${kind.label}`, ...paramsSchema, response: { '4xx': ErrorEnvelope } } }, async (request, reply) => {
      const row = await loadRow(request);
      assertMayWrite(request, JSON.parse(row.doc), kind.kind, kind.label, row._id);
      await service.remove(actorOf(request), row._id);
      reply.status(204).send();
    });
  }
}
