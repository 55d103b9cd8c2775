import { Type } from 'typebox';
import { Id, Name, resourceSchema } from './common.js';

/** Marketplace listing of an unmanaged pre-built integration (spec §4.11). */
export const TemplateSchema = resourceSchema('Template', {
  name: Name,
  description: Type.Optional(Type.String()),
  imageURL: Type.Optional(Type.String()),
  websiteURL: Type.Optional(Type.String()),
  contactEmail: Type.Optional(Type.String()),
  published: Type.Optional(Type.Boolean()),
  applications: Type.Optional(Type.Array(Type.String())),
  _integrationId: Type.Optional(Id),
  sandbox: Type.Optional(Type.Boolean()),
});
