import { Type } from 'typebox';
import { AnyObject, Id } from './common.js';

const DistributedHook = Type.Object({ fileInternalId: Type.String(), function: Type.String() }, { additionalProperties: false });

/** `PUT /v1/exports/:_id/distributed`: the part of a real-time export stored in the source application (seed schema). */
export const DistributedExportSchema = Type.Object(
  {
    recordType: Type.String({ minLength: 1, examples: ['salesorder'] }),
    executionContext: Type.Optional(
      Type.Array(
        Type.Union(
          ['userinterface', 'webservices', 'webstore', 'csvimport', 'scheduled', 'workflow', 'suitelet', 'restlet', 'userevent', 'mapreduce', 'portlet', 'other', 'custommassupdate', 'bundleinstallation', 'debugger', 'mapreducescript', 'rest', 'restwebservices', 'payment'].map((c) => Type.Literal(c)),
        ),
        { examples: [['userinterface', 'webservices', 'webstore']] },
      ),
    ),
    qualifier: Type.Optional(Type.String({ examples: ["['total', '>=', '1000']"] })),
    sublists: Type.Optional(Type.Array(Type.String())),
    hooks: Type.Optional(Type.Object({ preSend: Type.Optional(DistributedHook) }, { additionalProperties: false })),
    settings: Type.Optional(AnyObject()),
    disabled: Type.Optional(Type.Boolean()),
    _exportId: Type.Optional(Id),
  },
  { additionalProperties: false, title: 'DistributedExport' },
);

const FieldMapping = Type.Object(
  {
    extract: Type.Optional(Type.String()),
    generate: Type.String({ minLength: 1 }),
    lookup: Type.Optional(Type.String({ description: 'Name of an entry in mapping.lookups.' })),
    lookupName: Type.Optional(Type.String()),
    hardCodedValue: Type.Optional(Type.Unknown()),
    dataType: Type.Optional(Type.String()),
    internalId: Type.Optional(Type.Boolean()),
    immutable: Type.Optional(Type.Boolean()),
    discardIfEmpty: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.Unknown()),
    conditional: Type.Optional(AnyObject()),
  },
  { additionalProperties: true },
);

// The seed writes unset flags as "": accept booleans and the empty string.
const Flag = Type.Union([Type.Boolean(), Type.Literal('')]);

const DistributedLookup = Type.Object(
  {
    map: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    recordType: Type.Optional(Type.String()),
    searchField: Type.Optional(Type.String()),
    resultField: Type.Optional(Type.String()),
    expression: Type.Optional(Type.String()),
    operator: Type.Optional(Type.String()),
    includeInactive: Type.Optional(Flag),
    allowFailures: Type.Optional(Flag),
    pickFirstMatch: Type.Optional(Flag),
    useDefaultOnMultipleMatches: Type.Optional(Flag),
    default: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/** `PUT /v1/imports/:_id/distributed`: a NetSuite distributed import (seed schema, spec §6.4). */
export const DistributedImportSchema = Type.Object(
  {
    recordType: Type.String({ minLength: 1, examples: ['customer'] }),
    operation: Type.Optional(Type.Union(['add', 'update', 'addupdate', 'attach', 'detach', 'delete'].map((o) => Type.Literal(o)))),
    internalIdLookup: Type.Optional(Type.Object({ extract: Type.Optional(Type.String()), searchField: Type.Optional(Type.String()), expression: Type.Optional(Type.String()) }, { additionalProperties: false })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    ignoreExisting: Type.Optional(Type.Boolean()),
    ignoreMissing: Type.Optional(Type.Boolean()),
    lookups: Type.Optional(Type.Array(AnyObject())),
    mapping: Type.Optional(
      Type.Object(
        {
          fields: Type.Optional(Type.Array(FieldMapping)),
          lists: Type.Optional(Type.Array(Type.Object({ generate: Type.String(), fields: Type.Array(FieldMapping) }, { additionalProperties: true }))),
          lookups: Type.Optional(Type.Record(Type.String(), DistributedLookup)),
        },
        { additionalProperties: false },
      ),
    ),
    hooks: Type.Optional(
      Type.Object({ preMap: Type.Optional(DistributedHook), postMap: Type.Optional(DistributedHook), postSubmit: Type.Optional(DistributedHook) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, title: 'DistributedImport' },
);
