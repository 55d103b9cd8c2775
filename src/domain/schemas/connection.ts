import { Type } from 'typebox';
import { AnyObject, commonFields, Id, Name, resourceSchema } from './common.js';

export const connectionTypes = [
  'http', 'rest', 'netsuite', 'salesforce', 'rdbms', 'jdbc', 'mongodb', 'dynamodb', 'ftp', 's3', 'filesystem', 'as2', 'van', 'mcp', 'wrapper',
] as const;

/** One block per application type; each holds that type's settings (secrets encrypted at rest, masked in answers). */
const blocks = Object.fromEntries(connectionTypes.map((t) => [t, Type.Optional(AnyObject(`Settings when type is "${t}".`))]));

export const ConnectionSchema = resourceSchema('Connection', {
  name: Type.Optional(Name),
  type: Type.Union(connectionTypes.map((t) => Type.Literal(t)), { description: 'Kind of application this connection reaches' }),
  offline: Type.Optional(Type.Boolean()),
  debugDate: Type.Optional(Type.String()),
  debugUntil: Type.Optional(Type.String()),
  concurrencyLevel: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  _borrowConcurrencyFromConnectionId: Type.Optional(Id),
  _agentId: Type.Optional(Id),
  _httpConnectorId: Type.Optional(Id),
  assistant: Type.Optional(Type.String()),
  pgp: Type.Optional(AnyObject()),
  ssl: Type.Optional(AnyObject()),
  queues: Type.Optional(Type.Array(AnyObject())),
  ...commonFields,
  ...blocks,
});
