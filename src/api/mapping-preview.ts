import type { FastifyInstance } from 'fastify';
import type { AdaptorSession, Doc } from '../adaptors/adaptor.js';
import { adaptorForImport } from '../adaptors/registry.js';
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

  app.post('/v1/imports/:_id/mapping/preview', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const accountId = request.identity.accountId;
    const body = bodyObject(request.body);
    const data = sampleData(body);
    const importDoc = await services.imports.getInternal(accountId, _id);
    const ctx = apiRunContext(request, reply);
    // Dynamic lookups search the import's own application, through a session opened only when needed.
    let opened: Promise<AdaptorSession> | undefined;
    const adaptor = adaptorForImport(String(importDoc.adaptorType));
    const port: LookupPort | undefined = adaptor
      ? {
          async lookup(lookup, values) {
            opened ??= services.connections
              .getInternal(accountId, String(importDoc._connectionId))
              .then((connection) => adaptor.open(connection));
            const session = await opened;
            if (!session.lookup) throw new Error(`the ${adaptor.connectionType} adaptor has no dynamic lookups`);
            return session.lookup({ import: importDoc as Doc, lookup: { name: lookup.name, ...lookup.definition }, values: [...values] }, ctx);
          },
        }
      : undefined;
    try {
      return await answer(() => previewMapping(importDoc.mapping as Mapping | undefined, data, port, importLookupsOf(importDoc)));
    } finally {
      if (opened) await opened.then((s) => s.close()).catch(() => undefined);
    }
  });
}
