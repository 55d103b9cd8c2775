import type { FastifyRequest } from 'fastify';
import type { Actor, ResourceService } from '../domain/resource-service.js';
import type { Reference } from '../domain/resource-kinds.js';
import { findResource } from '../store/resources.js';
import { mayWrite, reaches, type ScopedRow } from '../domain/token-scope.js';
import { ApiError } from '../errors.js';

/** The acting user, token and account of a request, for services and the audit trail. */
export function actorOf(request: FastifyRequest): Actor {
  const { accountId, userId, tokenId } = request.identity;
  return { accountId, userId, tokenId, source: 'api' };
}

export const forbidden = (what: string) => new ApiError('forbidden', `This token's scope does not include ${what}.`);

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

/**
 * 403 when a document written under a limited scope points at a resource the token does not reach: a
 * flow inside the token's integration must not pull in another integration's export, nor an export
 * another integration's connection (whose credentials it would use). Owners are checked by assertMayWrite.
 */
export async function assertReferencesReachable(request: FastifyRequest, service: ResourceService, doc: unknown) {
  if (request.scope.full || !doc || typeof doc !== 'object' || Array.isArray(doc)) return;
  let refs: Reference[];
  try {
    refs = service.kind.references(doc as Record<string, unknown>);
  } catch {
    return; // A malformed document is refused by validation, field by field.
  }
  for (const ref of refs) {
    if (ref.field !== '_integrationId' && ref.field !== '_connectorId') await assertStoredReach(request, service.store.db, ref.kind, ref.id, ref.field);
  }
}

/** 403 unless a limited token reaches each of these stored resources (ids of other accounts pass: they 404 later). */
export async function assertReachesIds(request: FastifyRequest, db: Db, kind: string, ids: string[], field: string) {
  for (const id of ids) await assertStoredReach(request, db, kind, id, field);
}

/**
 * The stored resource `kind`/`id` of the request's account, or undefined when there is none (the caller
 * answers its own 404); 403 naming `what` when a limited token does not reach it.
 */
export async function assertStoredReach(request: FastifyRequest, db: Db, kind: string, id: string, what: string) {
  if (request.scope.full) return undefined;
  const row = await findResource(db, request.identity.accountId, kind, id);
  if (row && !reaches(request.scope, row)) throw forbidden(`${what} ${id}`);
  return row;
}

type Db = ResourceService['store']['db'];
