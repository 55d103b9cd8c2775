import { Type, type TObject, type TSchema } from 'typebox';

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

