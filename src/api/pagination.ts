import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';

export const MAX_LIMIT = 1000;

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
    after: Type.Optional(Type.String({ pattern: '^[0-9a-f]{24}$' })),
    skip: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);

export interface Paging {
  limit: number;
  after?: string;
  skip?: number;
}

export function pagingFrom(query: Record<string, unknown>): Paging {
  const limit = query.limit === undefined ? MAX_LIMIT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ApiError('invalid_query', `limit must be an integer from 1 to ${MAX_LIMIT}.`, 'limit');
  }
  if (query.after !== undefined && !/^[0-9a-f]{24}$/.test(String(query.after))) {
    throw new ApiError('invalid_query', 'after must be the 24-character id of the last row of the previous page.', 'after');
  }
  const skip = query.skip === undefined ? 0 : Number(query.skip);
  if (!Number.isInteger(skip) || skip < 0) throw new ApiError('invalid_query', 'skip must be a non-negative integer.', 'skip');
  return { limit, ...(query.after ? { after: String(query.after) } : {}), ...(skip ? { skip } : {}) };
}

/**
 * Fetches one row more than asked: when it exists, answers with a `Link: <…after=lastId>; rel="next"` header.
 */
export async function sendPage<T extends { _id: string }>(
  request: FastifyRequest,
  reply: FastifyReply,
  paging: Paging,
  fetch: (limit: number) => Promise<T[]>,
): Promise<T[]> {
  const rows = await fetch(paging.limit + 1);
  if (rows.length > paging.limit) {
    rows.length = paging.limit;
    const url = new URL(request.url, `${request.protocol}://${request.host}`);
    url.searchParams.set('after', rows[rows.length - 1]!._id);
    url.searchParams.delete('skip');
    reply.header('Link', `<${url.toString()}>; rel="next"`);
  }
  return rows;
}
