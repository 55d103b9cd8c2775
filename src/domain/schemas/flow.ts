import { Type } from 'typebox';
import { Id, Name } from './common.js';

export const PageGenerator = Type.Object({ _exportId: Id, schedule: Type.Optional(Type.String()), skipRetries: Type.Optional(Type.Boolean()) }, { additionalProperties: true });

export const PageProcessor = Type.Object(
  {
    type: Type.Union([Type.Literal('import'), Type.Literal('export')]),
    _importId: Type.Optional(Id),
    _exportId: Type.Optional(Id),
    proceedOnFailure: Type.Optional(Type.Boolean()),
    responseMapping: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const FlowSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    _integrationId: Type.Optional(Id),
    _connectorId: Type.Optional(Id),
    disabled: Type.Optional(Type.Boolean({ default: false })),
    schedule: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String()),
    pageGenerators: Type.Optional(Type.Array(PageGenerator)),
    pageProcessors: Type.Optional(Type.Array(PageProcessor)),
    _exportId: Type.Optional(Id),
    _importId: Type.Optional(Id),
    _runNextFlowIds: Type.Optional(Type.Array(Id)),
    skipRetries: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
