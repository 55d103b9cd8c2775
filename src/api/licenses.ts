import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { LicenseSchema } from '../domain/schemas/license.js';
import type { Services } from '../domain/services.js';
import { notFound } from '../errors.js';
import { actorOf, assertMayWrite, assertReaches } from './access.js';
import { ErrorEnvelope, stored } from './openapi-schemas.js';
import { pagingFrom, sendPage } from './pagination.js';

const isId = (s: string) => /^[0-9a-f]{24}$/.test(s);

/** Connector licenses (spec §4.9): managed under `/v1/connectors/{_id}/licenses`, listed at `/v1/licenses`. */
export async function licenseRoutes(app: FastifyInstance, options: { services: Services }) {
  const { connectors, licenses } = options.services;
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const tags = ['licenses'];
  const Doc = stored(LicenseSchema);
  const ConnectorParams = Type.Object({ _id: Type.String() });
  const LicenseParams = Type.Object({ _id: Type.String(), licenseId: Type.String() });

  const connectorOf = async (request: FastifyRequest) => {
    const { _id } = request.params as { _id: string };
    if (!isId(_id)) throw notFound('Connector', _id);
    const row = await connectors.row(request.identity.accountId, _id);
    assertReaches(request, row, 'Connector');
    return row._id;
  };
  const licenseOf = async (request: FastifyRequest) => {
    const connectorId = await connectorOf(request);
    const { licenseId } = request.params as { licenseId: string };
    if (!isId(licenseId)) throw notFound('License', licenseId);
    const row = await licenses.row(request.identity.accountId, licenseId);
    if (row.connector_id !== connectorId) throw notFound('License', licenseId);
    return { connectorId, row };
  };
  const list = (request: FastifyRequest, reply: Parameters<typeof sendPage>[1], connectorId?: string) => {
    const paging = pagingFrom(request.query as Record<string, unknown>);
    return sendPage(request, reply, paging, (limit) =>
      licenses.list(request.identity.accountId, { ...paging, limit, ...(connectorId ? { filters: [{ field: '_connectorId', op: '=', values: [connectorId] }] } : {}) }),
    );
  };

  app.get('/v1/connectors/:_id/licenses', { schema: { tags, summary: 'Licenses of a connector', params: ConnectorParams, response: { 200: Type.Array(Doc), '4xx': ErrorEnvelope } } }, async (request, reply) =>
    list(request, reply, await connectorOf(request)),
  );

  app.post('/v1/connectors/:_id/licenses', { schema: { tags, summary: 'Issue a license to an existing user (by email)', params: ConnectorParams, body: LicenseSchema, response: { 201: Doc, '4xx': ErrorEnvelope } } }, async (request, reply) => {
    const connectorId = await connectorOf(request);
    assertMayWrite(request, { _connectorId: connectorId }, 'licenses', 'License');
    const body = { ...(request.body as Record<string, unknown>), _connectorId: connectorId };
    reply.status(201);
    return licenses.create(actorOf(request), body);
  });

  app.get('/v1/connectors/:_id/licenses/:licenseId', { schema: { tags, summary: 'Get a license', params: LicenseParams, response: { 200: Doc, '4xx': ErrorEnvelope } } }, async (request) =>
    licenses.toApi((await licenseOf(request)).row),
  );

  app.put('/v1/connectors/:_id/licenses/:licenseId', { schema: { tags, summary: 'Replace a license (email not needed)', params: LicenseParams, body: LicenseSchema, response: { 200: Doc, '4xx': ErrorEnvelope } } }, async (request) => {
    const { connectorId, row } = await licenseOf(request);
    assertMayWrite(request, { _connectorId: connectorId }, 'licenses', 'License', row._id);
    return licenses.replace(actorOf(request), row._id, { ...(request.body as Record<string, unknown>), _connectorId: connectorId });
  });

  app.delete('/v1/connectors/:_id/licenses/:licenseId', { schema: { tags, summary: 'Delete a license', params: LicenseParams, response: { '4xx': ErrorEnvelope } } }, async (request, reply) => {
    const { connectorId, row } = await licenseOf(request);
    assertMayWrite(request, { _connectorId: connectorId }, 'licenses', 'License', row._id);
    await licenses.remove(actorOf(request), row._id);
    reply.status(204).send();
  });

  app.get('/v1/licenses', { schema: { tags, summary: 'The account\'s licenses', response: { 200: Type.Array(Doc), '4xx': ErrorEnvelope } } }, async (request, reply) => {
    const all = await list(request, reply);
    return all.filter((l) => request.scope.full || request.scope.connectorIds.includes(String(l._connectorId)));
  });
}
