import { Type } from 'typebox';
import { Id, Name } from './common.js';

export const IntegrationSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    readme: Type.Optional(Type.String()),
    _connectorId: Type.Optional(Id),
    sandbox: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
