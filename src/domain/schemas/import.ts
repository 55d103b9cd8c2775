import { Type } from 'typebox';
import { AnyObject, commonFields, HookRef, Id, Name, resourceSchema } from './common.js';
import { Filter } from './export.js';

export const importAdaptorTypes = [
  'HTTPImport', 'RESTImport', 'NetSuiteImport', 'NetSuiteDistributedImport', 'SalesforceImport', 'RDBMSImport', 'MongodbImport',
  'DynamodbImport', 'JDBCImport', 'FTPImport', 'S3Import', 'AS2Import', 'VANImport', 'FileSystemImport', 'WrapperImport', 'XMLImport',
  'GraphQLImport', 'AiAgentImport', 'GuardrailImport', 'ToolImport',
] as const;

/** Import types that may run without a connection of their own. */
export const connectionlessImportTypes: readonly string[] = ['AiAgentImport', 'GuardrailImport', 'ToolImport'];

const importBlocks = ['file', 'ftp', 's3', 'http', 'rest', 'netsuite', 'netsuite_da', 'salesforce', 'rdbms', 'jdbc', 'mongodb', 'dynamodb', 'wrapper', 'as2', 'van', 'filesystem', 'graphql', 'xml', 'aiAgent', 'guardrail', 'tool'];

export const MappingSchema = Type.Object(
  {
    fields: Type.Optional(Type.Array(AnyObject())),
    lists: Type.Optional(Type.Array(AnyObject())),
    lookups: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);

export const ImportSchema = resourceSchema('Import', {
  name: Type.Optional(Name),
  adaptorType: Type.Union(importAdaptorTypes.map((t) => Type.Literal(t)), { description: 'Application type (case-sensitive).' }),
  _connectionId: Type.Optional(Id),
  distributed: Type.Optional(Type.Boolean()),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  ignoreExisting: Type.Optional(Type.Boolean()),
  ignoreMissing: Type.Optional(Type.Boolean()),
  ignoreExistingLoE: Type.Optional(Type.Unknown()),
  ignoreMissingLoE: Type.Optional(Type.Unknown()),
  idLockTemplate: Type.Optional(Type.String()),
  dataURITemplate: Type.Optional(Type.String()),
  traceKeyTemplate: Type.Optional(Type.String()),
  oneToMany: Type.Optional(Type.Boolean()),
  pathToMany: Type.Optional(Type.String()),
  blobKeyPath: Type.Optional(Type.String()),
  deleteAfterImport: Type.Optional(Type.Boolean()),
  mapping: Type.Optional(MappingSchema),
  mappings: Type.Optional(Type.Array(AnyObject())),
  lookups: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: true }))),
  filter: Type.Optional(Filter),
  responseTransform: Type.Optional(AnyObject()),
  hooks: Type.Optional(
    Type.Object(
      {
        preMap: Type.Optional(HookRef),
        postMap: Type.Optional(HookRef),
        postSubmit: Type.Optional(HookRef),
        postAggregate: Type.Optional(HookRef),
        _preMapId: Type.Optional(Id),
        _postMapId: Type.Optional(Id),
        _postSubmitId: Type.Optional(Id),
      },
      { additionalProperties: false },
    ),
  ),
  mockResponse: Type.Optional(Type.Unknown()),
  sampleData: Type.Optional(Type.Unknown()),
  sampleResponseData: Type.Optional(Type.Unknown()),
  modelMetadata: Type.Optional(Type.Unknown()),
  assistant: Type.Optional(Type.String()),
  assistantMetadata: Type.Optional(AnyObject()),
  _httpConnectorId: Type.Optional(Id),
  debugUntil: Type.Optional(Type.String()),
  ...commonFields,
  ...Object.fromEntries(importBlocks.map((b) => [b, Type.Optional(AnyObject(`Settings of a "${b}" import.`))])),
});
