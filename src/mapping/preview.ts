import { compileMapping } from './compile.js';
import type { RecordError } from './errors.js';
import type { ImportLookups, LookupPort } from './lookups.js';
import type { Mapping, NamedLookupDefinition } from './schema.js';

export interface PreviewResult {
  /** The mapped records, in input order, of the records that mapped without error. */
  data: Record<string, unknown>[];
  /** Errors of the other records; `index` is the record's position in the input. */
  errors: Array<RecordError & { index: number }>;
}

/**
 * Runs a mapping over sample data for `POST /v1/mappings/preview`. Lookups sit inside `mapping`
 * (object keyed by name or named array); an import's preview also passes `importLookupsOf(importDoc)`.
 * `data` is a record or an array of records. Dynamic lookups need `port`; without it they fail as
 * record errors. Throws MappingValidationError (status 422, `items`) for an invalid mapping.
 */
export async function previewMapping(
  mapping: Mapping | null | undefined,
  data: unknown,
  port?: LookupPort,
  importLookups?: readonly NamedLookupDefinition[] | ImportLookups | null,
): Promise<PreviewResult> {
  const compiled = compileMapping(mapping, importLookups);
  const records = Array.isArray(data) ? data : [data];
  const outcomes = await compiled.mapPage(records, port);
  const result: PreviewResult = { data: [], errors: [] };
  outcomes.forEach((outcome, index) => {
    if ('record' in outcome) result.data.push(outcome.record);
    else for (const e of outcome.errors) result.errors.push({ index, ...e });
  });
  return result;
}
