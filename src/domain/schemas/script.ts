import { Type } from 'typebox';
import { Id, resourceSchema } from './common.js';

/** In-platform JavaScript (spec §4.16). */
export const ScriptSchema = resourceSchema('Script', {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  content: Type.Optional(Type.String({ description: 'JavaScript source.' })),
  postResponseHookToProcessOnChildRecord: Type.Optional(Type.Boolean()),
  debugUntil: Type.Optional(Type.String({ format: 'date-time', description: 'At most one hour ahead.' })),
  sandbox: Type.Optional(Type.Boolean({ description: 'Deprecated, ignored: every script runs sandboxed.' })),
  _connectorId: Type.Optional(Id),
  _integrationId: Type.Optional(Id),
});
