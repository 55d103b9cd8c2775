import { Type, type Static } from 'typebox';

/**
 * TypeBox schemas for Mapper 1.0 (`import.mapping`) and lookups (spec/api.md §4.5, §6.3). Objects
 * accept properties they do not name: stored imports carry many more (`immutable`, `internalId`, …).
 * Semantic checks (paths, templates, conflicts, lookup names) are validateMapping's job.
 */

export const DataTypeSchema = Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('boolean')], {
  description: 'Conversion applied to the value the rule produces.',
});

const path = (description: string) => Type.Optional(Type.String({ description }));

export const FieldMappingSchema = Type.Object(
  {
    extract: path('Source path (dot notation, `lines[0].sku`, `lines[*].sku`, `[\'a.b\']`) or template `{a} {b}`.'),
    generate: path('Output path in dot notation.'),
    eField: path('(legacy) extract.'),
    gField: path('(legacy) generate.'),
    hardCodedValue: Type.Optional(Type.Unknown({ description: 'Constant value instead of extract.' })),
    lookupName: Type.Optional(Type.String({ description: 'Name of a lookup applied to the extracted value.' })),
    lookup: Type.Optional(Type.String({ description: '(legacy) lookupName.' })),
    dataType: Type.Optional(DataTypeSchema),
    default: Type.Optional(
      Type.Unknown({ description: 'Value when the extract is empty (missing, null or "") or the lookup fails.' }),
    ),
    extractDateFormat: path('Format of the source date (moment-style tokens, `[literal]`, "X" unix seconds, "x" ms, "ISO").'),
    extractDateTimezone: path('IANA time zone of the source date (default UTC).'),
    generateDateFormat: path('Format of the output date (default ISO 8601).'),
    generateDateTimezone: path('IANA time zone of the output date (default UTC).'),
    discardIfEmpty: Type.Optional(
      Type.Union([Type.Boolean(), Type.String()], { description: 'Leave the target out when the value is undefined, null or "".' }),
    ),
    conditional: Type.Optional(
      Type.Object(
        {
          when: path('record_created, record_updated, extract_not_empty, lookup_not_empty, lookup_empty or ignore_if_set.'),
          lookupName: path("The lookup a lookup_* condition tests: the rule's own lookupName."),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, description: 'One field rule.', examples: [{ extract: 'first', generate: 'firstName' }] },
);

export const ListMappingSchema = Type.Object(
  {
    generate: path('Output path of the generated array.'),
    gField: path('(legacy) generate.'),
    fields: Type.Array(FieldMappingSchema, {
      description: 'Rules for each row; `[*]` in an extract iterates a source array (one row per element).',
    }),
  },
  { additionalProperties: true },
);

// true/false or "true"/"false" ("" is false); validateMapping reports any other string.
const flag = (description: string) => Type.Optional(Type.Union([Type.Boolean(), Type.String()], { description }));

const lookupProperties = {
  map: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'Static lookup: source value -> result.' }),
  ),
  default: Type.Optional(Type.Unknown({ description: 'Result when the lookup finds nothing (with allowFailures).' })),
  allowFailures: flag('No match gives `default` (or "") instead of a record error; several matches give the first.'),
  pickFirstMatch: flag('(legacy) Several matches give the first.'),
  useDefaultOnMultipleMatches: flag('Several matches give `default` (else the rule\'s `default`, else "").'),
  relativeURI: path('HTTP lookup: URI with `{field}` placeholders.'),
  method: path('HTTP lookup: GET or POST.'),
  extract: path('HTTP lookup: path of the result in the response.'),
  recordType: path('NetSuite lookup: record type searched.'),
  searchField: path('NetSuite lookup: field compared with the value.'),
  resultField: path('NetSuite lookup: field returned (default internalid).'),
  expression: path('NetSuite lookup: filter expression with placeholders.'),
};

export const LookupSchema = Type.Object(lookupProperties, {
  additionalProperties: true,
  description: 'A static (`map`) or dynamic (search in the destination application) lookup.',
});

export const NamedLookupSchema = Type.Object(
  { name: Type.String({ minLength: 1, description: 'Referenced by field rules through lookupName.' }), ...lookupProperties },
  { additionalProperties: true },
);

/** Import-level `lookups[]`. */
export const LookupsSchema = Type.Array(NamedLookupSchema);

export const MappingSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    fields: Type.Optional(Type.Array(FieldMappingSchema)),
    lists: Type.Optional(Type.Array(ListMappingSchema)),
    lookups: Type.Optional(
      Type.Union([Type.Record(Type.String(), LookupSchema), LookupsSchema], {
        description: 'Lookups keyed by name (as in the distributed import schema) or a named array.',
      }),
    ),
  },
  { additionalProperties: true, description: 'Mapper 1.0: with a mapping only mapped fields pass.' },
);

export type FieldMapping = Static<typeof FieldMappingSchema>;
export type ListMapping = Static<typeof ListMappingSchema>;
export type LookupDefinition = Static<typeof LookupSchema>;
export type NamedLookupDefinition = Static<typeof NamedLookupSchema>;
export type Mapping = Static<typeof MappingSchema>;
