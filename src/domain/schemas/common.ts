import { Type } from 'typebox';

export const Id = Type.String({ pattern: '^[0-9a-f]{24}$', description: '24-character hex id' });
export const Name = Type.String({ minLength: 1, maxLength: 200 });

/** Read-only fields every resource answers with; ignored when sent in a body. */
export const readOnlyFields = ['_id', 'createdAt', 'lastModified', 'apiIdentifier', 'lastExecutedAt', '_userId'] as const;

export const NameValueList = Type.Array(Type.Object({ name: Type.String(), value: Type.String() }));
