import { Type, type TProperties } from 'typebox';

export const Id = Type.String({ pattern: '^[0-9a-f]{24}$', description: '24-character hex id' });
export const Name = Type.String({ minLength: 1, maxLength: 200 });

/** Read-only fields every resource answers with; ignored when sent in a body (spec §1.1). */
export const readOnlyFields = ['_id', 'createdAt', 'lastModified', 'apiIdentifier', 'lastExecutedAt', '_userId'] as const;

export const NameValueList = Type.Array(Type.Object({ name: Type.String(), value: Type.String() }));

/** A free-form JSON object (adaptor blocks are checked by their adaptor's own schema). */
export const AnyObject = (description?: string) => Type.Object({}, { additionalProperties: true, ...(description ? { description } : {}) });

/** `{function, _scriptId | _stackId, configuration}`: where a hook's code lives. */
export const HookRef = Type.Object(
  {
    function: Type.Optional(Type.String()),
    _scriptId: Type.Optional(Id),
    _stackId: Type.Optional(Id),
    configuration: Type.Optional(Type.Unknown()),
    fileInternalId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Fields most resources share. */
export const commonFields = {
  description: Type.Optional(Type.String({ maxLength: 10240 })),
  sandbox: Type.Optional(Type.Boolean()),
  _integrationId: Type.Optional(Id),
  _connectorId: Type.Optional(Id),
  _sourceId: Type.Optional(Id),
  _templateId: Type.Optional(Id),
  externalId: Type.Optional(Type.String()),
  settings: Type.Optional(AnyObject('Settings values (integration apps).')),
  settingsForm: Type.Optional(AnyObject('Form that edits `settings`.')),
  draft: Type.Optional(Type.Boolean()),
} satisfies TProperties;

/**
 * A resource's schema: top-level fields are closed (an unknown field is a 422 naming it), nested blocks
 * are open unless described.
 */
export function resourceSchema<P extends TProperties>(title: string, properties: P) {
  return Type.Object(properties, { additionalProperties: false, title });
}
