import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { ResourceService } from '../domain/resource-service.js';
import { DistributedExportSchema, DistributedImportSchema } from '../domain/schemas/distributed.js';
import type { Services } from '../domain/services.js';
import { validateAgainst } from '../domain/validation.js';
import { ApiError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { insertAudit } from '../store/audit.js';
import { findPart, savePart } from '../store/resource-parts.js';
import { actorOf, assertMayWrite, assertReaches } from './access.js';
import { ErrorEnvelope } from './openapi-schemas.js';

/**
 * `GET|PUT /v1/exports/{_id}/distributed` and `/v1/imports/{_id}/distributed` (seed schemas): the part of a
 * real-time export or distributed import that lives in the source application, validated and stored apart.
 */
export async function distributedRoutes(app: FastifyInstance, options: { services: Services }) {
  const db = options.services.store.db;
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const family = (service: ResourceService, schema: TSchema) => {
    const label = service.kind.label;
    const path = `/v1/${service.kind.path}/:_id/distributed`;
    const tags = [service.kind.path];
    const owner = async (request: FastifyRequest) => {
      const { _id } = request.params as { _id: string };
      if (!/^[0-9a-f]{24}$/.test(_id)) throw notFound(label, _id);
      const row = await service.row(request.identity.accountId, _id);
      assertReaches(request, row, label);
      return row;
    };

    app.get(path, { schema: { tags, summary: `Distributed configuration of a ${label}`, params: Type.Object({ _id: Type.String() }), response: { 200: schema, '4xx': ErrorEnvelope } } }, async (request) => {
      const row = await owner(request);
      const part = await findPart(db, request.identity.accountId, row._id, 'distributed');
      if (!part) throw notFound(`Distributed configuration of ${label.toLowerCase()}`, row._id);
      return JSON.parse(part.doc);
    });

    app.put(path, { schema: { tags, summary: `Replace the distributed configuration of a ${label}`, params: Type.Object({ _id: Type.String() }), body: schema, response: { 200: schema, '4xx': ErrorEnvelope } } }, async (request) => {
      const row = await owner(request);
      assertMayWrite(request, JSON.parse(row.doc), service.kind.kind, label, row._id);
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('invalid_field', 'The body must be a JSON object.', '(body)');
      const errors = validateAgainst(schema, body);
      if (errors.length) throw new ApiError(errors, 422);
      const who = actorOf(request);
      const previous = await findPart(db, who.accountId, row._id, 'distributed');
      await db.transaction().execute(async (trx) => {
        await savePart(trx, who.accountId, row._id, 'distributed', JSON.stringify(body));
        await insertAudit(trx, {
          _id: newId(), account_id: who.accountId, user_id: who.userId ?? null, token_id: who.tokenId ?? null, source: 'api', action: 'update',
          resource_type: service.kind.kind, resource_id: row._id,
          before_doc: previous ? JSON.stringify({ distributed: JSON.parse(previous.doc) }) : null,
          after_doc: JSON.stringify({ distributed: body }), created_at: Date.now(),
        });
      });
      return body;
    });
  };

  family(options.services.exports, DistributedExportSchema);
  family(options.services.imports, DistributedImportSchema);
}
