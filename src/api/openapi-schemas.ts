import { Type, type TObject, type TSchema } from 'typebox';
import { adaptors } from '../adaptors/registry.js';

/** The error envelope every 4xx/5xx answer uses (spec §3.5). */
export const ErrorEnvelope = Type.Object(
  {
    errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) })),
  },
  { title: 'Errors' },
);

/** A stored resource as answered: its schema plus `_id` and the timestamps. */
export function stored(schema: TSchema): TObject {
  const props = (schema as unknown as TObject).properties ?? {};
  return Type.Object(
    {
      _id: Type.String({ pattern: '^[0-9a-f]{24}$' }),
      ...props,
      createdAt: Type.String({ format: 'date-time' }),
      lastModified: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: true },
  );
}

export const IdParams = Type.Object({ _id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });


/**
 * A resource's request schema for the OpenAPI document, with each adaptor's own block schema (the one that
 * validates it) in place of the free-form block, so `/docs` shows every `http`, `rdbms`, `ftp`, `s3` field.
 * Documentation only: requests are validated by the domain.
 */
export function documentedBody(kind: string, schema: TSchema): TSchema {
  const which = kind === 'connections' ? 'connection' : kind === 'exports' ? 'export' : kind === 'imports' ? 'import' : undefined;
  if (!which) return schema;
  const props = { ...((schema as unknown as TObject).properties ?? {}) } as Record<string, TSchema>;
  for (const adaptor of adaptors) {
    const block = adaptor.schemas[which];
    if (block && props[adaptor.blockName]) props[adaptor.blockName] = Type.Optional(block);
    if (which !== 'connection' && adaptor.schemas.file && props.file) props.file = Type.Optional(adaptor.schemas.file);
  }
  return { ...schema, properties: props } as TSchema;
}
