import { Type } from 'typebox';
import { AnyObject, commonFields, Id, Name, resourceSchema } from './common.js';

const Steps = Type.Array(AnyObject());

export const IntegrationSchema = resourceSchema('Integration', {
  name: Name,
  readme: Type.Optional(Type.String()),
  mode: Type.Optional(Type.Union([Type.Literal('install'), Type.Literal('settings'), Type.Literal('uninstall')])),
  install: Type.Optional(Steps),
  installSteps: Type.Optional(Steps),
  uninstallSteps: Type.Optional(Steps),
  changeEditionSteps: Type.Optional(Steps),
  version: Type.Optional(Type.String()),
  updateInProgress: Type.Optional(Type.Boolean()),
  tag: Type.Optional(Type.String()),
  flowGroupings: Type.Optional(Type.Array(Type.Object({ _id: Type.Optional(Id), name: Type.String() }, { additionalProperties: true }))),
  aliases: Type.Optional(Type.Array(AnyObject())),
  preSave: Type.Optional(AnyObject()),
  _parentId: Type.Optional(Id),
  ...commonFields,
});
