import { Type } from 'typebox';
import { AnyObject, Id, resourceSchema } from './common.js';

export const iClientProviders = [
  'google', 'salesforce', 'azureoauth', 'windowslive', 'shopify', 'integrator', 'zendesk', 'bigcommerce', 'netsuite', 'ebay', 'amazonmws',
  'ebay-xml', 'asana', 'box', 'dropbox', 'clover', 'servicenow', 'jobvite', 'twilio', 'certify', 'squareup', 'docusign', 'woocommerce', 'custom',
] as const;

/** An OAuth app registration (spec §4.10). Secrets (client secret, consumer secret…) are write-only. */
export const IClientSchema = resourceSchema('IClient', {
  name: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String()),
  provider: Type.Optional(Type.Union(iClientProviders.map((p) => Type.Literal(p)))),
  oauth2: Type.Optional(
    Type.Object(
      {
        clientId: Type.Optional(Type.String()),
        clientSecret: Type.Optional(Type.String({ writeOnly: true })),
        scope: Type.Optional(Type.Array(Type.String())),
        scopeDelimiter: Type.Optional(Type.String()),
        redirectUri: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
  ),
  netsuite: Type.Optional(AnyObject()),
  salesforce: Type.Optional(AnyObject()),
  amazonmws: Type.Optional(AnyObject()),
  ebay: Type.Optional(AnyObject()),
  // Legacy flat shape.
  clientId: Type.Optional(Type.String()),
  clientSecret: Type.Optional(Type.String({ writeOnly: true })),
  scope: Type.Optional(Type.Array(Type.String())),
  scopeDelimiter: Type.Optional(Type.String()),
  redirectUri: Type.Optional(Type.String()),
  _connectorId: Type.Optional(Id),
  _integrationId: Type.Optional(Id),
  sandbox: Type.Optional(Type.Boolean()),
});
