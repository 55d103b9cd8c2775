import { Type } from 'typebox';
import { AnyObject, Id, resourceSchema } from './common.js';

/** A connector license issued to a user (spec §4.9). `user` and `created` are read-only. */
export const LicenseSchema = resourceSchema('License', {
  _connectorId: Id,
  email: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'Email of an existing user (required on create).' })),
  expires: Type.Optional(Type.String({ format: 'date-time' })),
  trialEndDate: Type.Optional(Type.String({ format: 'date-time' })),
  opts: Type.Optional(AnyObject('Free-form options, e.g. connectorEdition.')),
  _integrationId: Type.Optional(Id),
  type: Type.Optional(Type.String()),
  sandbox: Type.Optional(Type.Boolean()),
});
