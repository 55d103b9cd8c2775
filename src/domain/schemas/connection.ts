import { Type } from 'typebox';
import { Id, Name } from './common.js';

export const connectionTypes = [
  'http', 'rest', 'netsuite', 'salesforce', 'rdbms', 'jdbc', 'mongodb', 'dynamodb', 'ftp', 's3', 'filesystem', 'as2', 'van', 'mcp', 'wrapper',
] as const;

export const ConnectionSchema = Type.Object(
  {
    name: Type.Optional(Name),
    type: Type.Union(connectionTypes.map((t) => Type.Literal(t)), { description: 'Kind of application this connection reaches' }),
    offline: Type.Optional(Type.Boolean()),
    sandbox: Type.Optional(Type.Boolean()),
    _integrationId: Type.Optional(Id),
    _connectorId: Type.Optional(Id),
    http: Type.Optional(Type.Object({}, { additionalProperties: true })),
    rest: Type.Optional(Type.Object({}, { additionalProperties: true })),
    rdbms: Type.Optional(Type.Object({}, { additionalProperties: true })),
    ftp: Type.Optional(Type.Object({}, { additionalProperties: true })),
    s3: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);
