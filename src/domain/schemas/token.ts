import { Type } from 'typebox';
import { Id } from './common.js';

export const autoPurgeChoices = ['1 hour', '4 hours', '1 day', '4 days', '10 days', '30 days', 'never'] as const;

/** An API token (`/v1/accesstokens`). The token string is generated, shown once, stored as a SHA-256 hash. */
export const AccessTokenSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String()),
    autoPurge: Type.Optional(Type.Union(autoPurgeChoices.map((c) => Type.Literal(c)), { default: 'never' })),
    scope: Type.Optional(Type.Union([Type.Literal('Full access'), Type.Literal('Custom')], { default: 'Full access' })),
    _integrationIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    _connectorIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    _connectionIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    _exportIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
    _importIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
  },
  { additionalProperties: false, title: 'AccessToken' },
);
