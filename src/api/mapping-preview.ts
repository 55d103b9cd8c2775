import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdaptorSession, Doc, RunContext } from '../adaptors/adaptor.js';
import { adaptorForConnection, adaptorForImport } from '../adaptors/registry.js';
import { connectionForAdaptor } from '../domain/adaptor-connections.js';
import type { Services } from '../domain/services.js';
import { ApiError } from '../errors.js';
import { importLookupsOf, MappingValidationError, previewMapping, type LookupPort, type Mapping, type PreviewResult } from '../mapping/index.js';
import { apiRunContext } from './adaptor-runs.js';
import { IdParams } from './resources.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sample records of a preview body: `data` is an array of records (a lone record is taken as one). */
function sampleData(body: Record<string, unknown>): unknown[] {
  const data = body.data;
  if (data === undefined) throw new ApiError('missing_required_field', 'data is required: an array of sample records.', 'data');
  if (Array.isArray(data)) return data;
  if (isObject(data)) return [data];
  throw new ApiError('invalid_field', 'data must be an array of records (JSON objects).', 'data');
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new ApiError('invalid_field', 'The body must be a JSON object.', '(body)');
  return body;
}

/** An invalid mapping is a 422 naming each rule at fault; anything else goes to the envelope. */
async function answer(run: () => Promise<PreviewResult>): Promise<PreviewResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof MappingValidationError) throw new ApiError(err.items, 422);
    throw err;
  }
}

/**
 * Mapping previews: run a mapping over sample records and answer `{data, errors}` without writing
 * anything. `errors[i].index` is the record's position in `data` of the request.
 */
export async function mappingPreviewRoutes(app: FastifyInstance, options: { services: Services }) {
  const { services } = options;
  const tags = ['mappings'];

  app.post('/v1/mappings/preview', { schema: { tags } }, async (request) => {
    const body = bodyObject(request.body);
    if (body.mapping === undefined) throw new ApiError('missing_required_field', 'mapping is required.', 'mapping');
    if (!isObject(body.mapping)) throw new ApiError('invalid_field', 'mapping must be an object ({fields, lists, lookups}).', 'mapping');
    const data = sampleData(body);
    return answer(() => previewMapping(body.mapping as Mapping, data));
  });

  // A saved import's mapping and lookups over sample records (`{data}`; `/map` and `/invoke` also take a bare array).
  const savedImport = async (request: FastifyRequest, reply: FastifyReply, data: unknown[]) => {
    const { _id } = request.params as { _id: string };
    const importDoc = await services.imports.getInternal(request.identity.accountId, _id);
    return previewImport(services, request.identity.accountId, importDoc, data, apiRunContext(request, reply));
  };
  app.post('/v1/imports/:_id/mapping/preview', { schema: { tags, params: IdParams } }, async (request, reply) =>
    savedImport(request, reply, sampleData(bodyObject(request.body))),
  );
  for (const action of ['map', 'invoke']) {
    app.post(`/v1/imports/:_id/${action}`, { schema: { tags, params: IdParams, summary: `Map records through a saved import without writing (${action})` } }, async (request, reply) =>
      savedImport(request, reply, recordsOf(request.body)),
    );
  }

  // A virtual import on a saved connection: `{import: {mapping, lookups, adaptorType?}, data}`.
  app.post('/v1/connections/:_id/import/map', { schema: { tags, params: IdParams, summary: 'Map records through a virtual import on this connection' } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const body = bodyObject(request.body);
    if (!isObject(body.import)) throw new ApiError('missing_required_field', 'import is required: {mapping, lookups?}.', 'import');
    const connection = await services.connections.get(request.identity.accountId, _id);
    const adaptor = adaptorForConnection(String(connection.type === 'rest' ? 'http' : connection.type));
    const importDoc = { adaptorType: adaptor?.importTypes[0], ...body.import, _connectionId: _id };
    return previewImport(services, request.identity.accountId, importDoc, sampleData(body), apiRunContext(request, reply));
  });
}

/** A bare array of records, or `{data: [...]}`. */
function recordsOf(body: unknown): unknown[] {
  return Array.isArray(body) ? body : sampleData(bodyObject(body));
}

/** Maps records through an import's mapping; dynamic lookups search the import's own application in test mode. */
async function previewImport(services: Services, accountId: string, importDoc: Record<string, unknown>, data: unknown[], ctx: RunContext): Promise<PreviewResult> {
  // The session is opened only when a dynamic lookup needs it.
  let opened: Promise<AdaptorSession> | undefined;
  const adaptor = adaptorForImport(String(importDoc.adaptorType));
  const port: LookupPort | undefined = adaptor
    ? {
        async lookup(lookup, values) {
          opened ??= connectionForAdaptor(services, accountId, String(importDoc._connectionId)).then((connection) => adaptor.open(connection));
          const session = await opened;
          if (!session.lookup) throw new Error(`the ${adaptor.connectionType} adaptor has no dynamic lookups`);
          return session.lookup({ import: importDoc as Doc, lookup: { name: lookup.name, ...lookup.definition }, values: [...values] }, ctx);
        },
      }
    : undefined;
  try {
    return await answer(() => previewMapping(importDoc.mapping as Mapping | undefined, data, port, importLookupsOf(importDoc)));
  } finally {
    if (opened) await opened.then((session) => session.close()).catch(() => undefined);
  }
}
