import { Type } from 'typebox';
import { AnyObject, commonFields, HookRef, Id, Name, resourceSchema } from './common.js';

export const exportAdaptorTypes = [
  'HTTPExport', 'RESTExport', 'NetSuiteExport', 'SalesforceExport', 'RDBMSExport', 'MongodbExport', 'JDBCExport', 'DynamodbExport',
  'FTPExport', 'S3Export', 'WebhookExport', 'AS2Export', 'VANExport', 'SimpleExport', 'FileSystemExport', 'WrapperExport',
  'GraphQLExport', 'XMLExport',
] as const;

/** Export types that read no application and so take no connection. */
export const connectionlessExportTypes: readonly string[] = ['WebhookExport', 'SimpleExport'];

const exportBlocks = ['http', 'rest', 'netsuite', 'salesforce', 'rdbms', 'jdbc', 'mongodb', 'dynamodb', 'ftp', 's3', 'file', 'wrapper', 'as2', 'van', 'simple', 'filesystem', 'graphql', 'xml'];

export const Filter = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('expression'), Type.Literal('script')])),
    expression: Type.Optional(Type.Object({ version: Type.Optional(Type.String()), rules: Type.Optional(Type.Array(Type.Unknown())) }, { additionalProperties: true })),
    script: Type.Optional(Type.Object({ _scriptId: Type.Optional(Id), function: Type.Optional(Type.String()) }, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const ExportSchema = resourceSchema('Export', {
  name: Name,
  adaptorType: Type.Union(exportAdaptorTypes.map((t) => Type.Literal(t)), { description: 'Application type (case-sensitive).' }),
  _connectionId: Type.Optional(Id),
  type: Type.Optional(Type.Union(['delta', 'once', 'test', 'distributed', 'webhook', 'simple', 'blob', 'tranlinedelta', 'stream'].map((t) => Type.Literal(t)))),
  delta: Type.Optional(
    Type.Object(
      {
        dateField: Type.Optional(Type.String()),
        dateFormat: Type.Optional(Type.String()),
        startDate: Type.Optional(Type.String()),
        lagOffset: Type.Optional(Type.Integer({ minimum: 0 })),
        endDateField: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
  ),
  once: Type.Optional(Type.Object({ booleanField: Type.Optional(Type.String()) }, { additionalProperties: true })),
  test: Type.Optional(Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: true })),
  distributed: Type.Optional(AnyObject()),
  webhook: Type.Optional(AnyObject()),
  valueDelta: Type.Optional(AnyObject('(legacy) accepted, unused.')),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 20 })),
  asynchronous: Type.Optional(Type.Boolean()),
  isLookup: Type.Optional(Type.Boolean()),
  oneToMany: Type.Optional(Type.Boolean()),
  pathToMany: Type.Optional(Type.String()),
  preserveOrder: Type.Optional(Type.Boolean()),
  groupByFields: Type.Optional(Type.Array(Type.String())),
  hooks: Type.Optional(Type.Object({ preSavePage: Type.Optional(HookRef), _preSavePageId: Type.Optional(Id) }, { additionalProperties: false })),
  transform: Type.Optional(AnyObject('Transformation 1.0/2.0 rules or a script.')),
  filter: Type.Optional(Filter),
  inputFilter: Type.Optional(Filter),
  traceKeyTemplate: Type.Optional(Type.String()),
  dataURITemplate: Type.Optional(Type.String()),
  skipRetries: Type.Optional(Type.Boolean()),
  sampleData: Type.Optional(Type.Unknown()),
  rawData: Type.Optional(Type.Unknown()),
  mockOutput: Type.Optional(Type.Unknown()),
  parsers: Type.Optional(Type.Unknown()),
  assistant: Type.Optional(Type.String()),
  assistantMetadata: Type.Optional(AnyObject()),
  _httpConnectorId: Type.Optional(Id),
  debugUntil: Type.Optional(Type.String()),
  ...commonFields,
  ...Object.fromEntries(exportBlocks.map((b) => [b, Type.Optional(AnyObject(`Settings of a "${b}" export.`))])),
});
