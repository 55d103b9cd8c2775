import { Type } from 'typebox';
import { Id, Name } from './common.js';

export const exportAdaptorTypes = [
  'HTTPExport', 'RESTExport', 'NetSuiteExport', 'SalesforceExport', 'RDBMSExport', 'MongodbExport', 'JDBCExport', 'DynamodbExport',
  'FTPExport', 'S3Export', 'WebhookExport', 'AS2Export', 'VANExport', 'SimpleExport', 'FileSystemExport', 'WrapperExport',
  'GraphQLExport', 'XMLExport',
] as const;

/** Export types that read no application and so take no connection. */
export const connectionlessExportTypes: readonly string[] = ['WebhookExport', 'SimpleExport'];

export const ExportSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    adaptorType: Type.Union(exportAdaptorTypes.map((t) => Type.Literal(t))),
    _connectionId: Type.Optional(Id),
    _integrationId: Type.Optional(Id),
    _connectorId: Type.Optional(Id),
    type: Type.Optional(Type.Union(['delta', 'once', 'test', 'distributed', 'webhook', 'simple', 'blob', 'tranlinedelta', 'stream'].map((t) => Type.Literal(t)))),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 20 })),
    delta: Type.Optional(Type.Object({ dateField: Type.Optional(Type.String()), lagOffset: Type.Optional(Type.Integer({ minimum: 0 })), startDate: Type.Optional(Type.String()) }, { additionalProperties: true })),
    test: Type.Optional(Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: true })),
  },
  { additionalProperties: true },
);
