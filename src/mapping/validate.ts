import type { MappingIssue } from './errors.js';
import type { ImportLookups } from './lookups.js';
import { planMapping } from './plan.js';
import type { Mapping, NamedLookupDefinition } from './schema.js';

/**
 * Checks a mapping (and the import-level `lookups[]`, or `importLookupsOf(importDoc)`) as an import is
 * saved. Returns every problem, each naming the rule at fault (`mapping.fields[3].generate`); an empty
 * list means compileMapping will accept it. Never throws, whatever the input.
 */
export function validateMapping(
  mapping: Mapping | null | undefined,
  lookups?: readonly NamedLookupDefinition[] | ImportLookups | null,
): MappingIssue[] {
  return planMapping(mapping, lookups).issues;
}
