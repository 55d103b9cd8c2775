import type { FastifyRequest } from 'fastify';
import type { Actor } from '../domain/resource-service.js';
import { mayWrite, reaches, type ScopedRow } from '../domain/token-scope.js';
import { ApiError } from '../errors.js';

/** The acting user, token and account of a request, for services and the audit trail. */
export function actorOf(request: FastifyRequest): Actor {
  const { accountId, userId, tokenId } = request.identity;
  return { accountId, userId, tokenId, source: 'api' };
}

const forbidden = (what: string) => new ApiError('forbidden', `This token's scope does not include ${what}.`);

/** 403 when the token's scope does not reach this stored resource (another account's ids never get here: 404). */
export function assertReaches(request: FastifyRequest, row: ScopedRow, label: string) {
  if (!reaches(request.scope, row)) throw forbidden(`${label} ${row._id}`);
}

/** 403 when the token may not write this resource (read-only one-time tokens, custom scopes). */
export function assertMayWrite(request: FastifyRequest, doc: unknown, kind: string, label: string, id?: string) {
  const body = doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  if (!mayWrite(request.scope, body, kind, id)) throw forbidden(id ? `changing ${label} ${id}` : `creating this ${label.toLowerCase()}`);
}

/** Account-wide administration (tokens, audit) needs the owner's or an administrator's full-access API token. */
export function assertAdministrator(request: FastifyRequest) {
  const { role, kind } = request.identity;
  if (!request.scope.full || kind !== 'api' || (role !== 'owner' && role !== 'administrator')) {
    throw new ApiError('forbidden', 'Only the account owner or an administrator, with a full-access API token, may do this.');
  }
}
