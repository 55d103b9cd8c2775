import { Type } from 'typebox';
import { Id, Name } from './common.js';

export const importAdaptorTypes = [
  'HTTPImport', 'RESTImport', 'NetSuiteImport', 'NetSuiteDistributedImport', 'SalesforceImport', 'RDBMSImport', 'MongodbImport',
  'DynamodbImport', 'JDBCImport', 'FTPImport', 'S3Import', 'AS2Import', 'VANImport', 'FileSystemImport', 'WrapperImport', 'XMLImport',
  'GraphQLImport', 'AiAgentImport', 'GuardrailImport', 'ToolImport',
] as const;

export const ImportSchema = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Type.String()),
    adaptorType: Type.Union(importAdaptorTypes.map((t) => Type.Literal(t))),
    _connectionId: Id,
    _integrationId: Type.Optional(Id),
    _connectorId: Type.Optional(Id),
    mapping: Type.Optional(Type.Object({ fields: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))), lists: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))) }, { additionalProperties: true })),
    lookups: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: true }))),
    ignoreExisting: Type.Optional(Type.Boolean()),
    ignoreMissing: Type.Optional(Type.Boolean()),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  },
  { additionalProperties: true },
);
