import { Type } from 'typebox';
import { AnyObject, Id, Name, resourceSchema } from './common.js';

/** An integration app (SmartConnector) definition and its marketplace listing (spec §4.8). */
export const ConnectorSchema = resourceSchema('Connector', {
  name: Name,
  description: Type.Optional(Type.String()),
  imageURL: Type.Optional(Type.String()),
  websiteURL: Type.Optional(Type.String()),
  contactEmail: Type.Optional(Type.String()),
  handle: Type.Optional(Type.String()),
  legacyId: Type.Optional(Type.String()),
  published: Type.Optional(Type.Boolean()),
  managed: Type.Optional(Type.Boolean()),
  _integrationId: Type.Optional(Id),
  _stackId: Type.Optional(Id),
  installerFunction: Type.Optional(Type.String()),
  updateFunction: Type.Optional(Type.String()),
  preUninstallFunction: Type.Optional(Type.String()),
  uninstallerFunction: Type.Optional(Type.String()),
  externalInstallerFunction: Type.Optional(Type.String()),
  oauth2ResultsURL: Type.Optional(Type.String()),
  _sharedImportIds: Type.Optional(Type.Array(Id)),
  _sharedExportIds: Type.Optional(Type.Array(Id)),
  _iClientIdMap: Type.Optional(Type.Array(AnyObject())),
  applications: Type.Optional(Type.Array(Type.String())),
  oAuthServerFlow: Type.Optional(AnyObject()),
  repository: Type.Optional(AnyObject()),
  framework: Type.Optional(Type.String()),
  trialEnabled: Type.Optional(Type.Boolean()),
  trialPeriod: Type.Optional(Type.Integer({ minimum: 0 })),
  sandbox: Type.Optional(Type.Boolean()),
});
