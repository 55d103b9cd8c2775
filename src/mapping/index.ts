/**
 * The mapper (Mapper 1.0, spec/api.md §4.5 and §6.3): records in, records and per-record errors out.
 * Pure: it imports nothing from the rest of src/; dynamic lookups reach applications through LookupPort.
 */
export { compileMapping, type CompiledMapping, type MapOutcome } from './compile.js';
export { validateMapping } from './validate.js';
export { previewMapping, type PreviewResult } from './preview.js';
export { MappingValidationError, type MappingIssue, type RecordError } from './errors.js';
export { importLookupsOf, type DynamicLookup, type ImportLookups, type Lookup, type LookupAnswer, type LookupPort, type StaticLookup } from './lookups.js';
export { getPath, setPath, parsePath, formatPath, PathSyntaxError, WILDCARD, type Segment } from './path.js';
export { toNumber, toBoolean, toStringValue, isDataType, type DataType } from './convert.js';
export {
  DataTypeSchema,
  FieldMappingSchema,
  ListMappingSchema,
  LookupSchema,
  NamedLookupSchema,
  LookupsSchema,
  MappingSchema,
  type FieldMapping,
  type ListMapping,
  type LookupDefinition,
  type NamedLookupDefinition,
  type Mapping,
} from './schema.js';
