import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { newId } from '../ids.js';
import type { Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 32 lowercase hex characters, the reference token format. */
export function generateToken(): string {
  return randomBytes(16).toString('hex');
}

export async function createAccount(db: Db, input: { name: string; email: string; userName: string }) {
  const now = Date.now();
  const accountId = newId();
  const userId = newId();
  await db.insertInto('accounts').values({ _id: accountId, name: input.name, created_at: now }).execute();
  await db
    .insertInto('users')
    .values({ _id: userId, account_id: accountId, email: input.email, name: input.userName, role: 'owner', created_at: now })
    .execute();
  return { accountId, userId };
}

export async function createToken(
  db: Db,
  input: { accountId: string; userId: string; name: string; token?: string; scope?: unknown; expiresAt?: number; kind?: 'api' | 'one_time'; autoPurge?: string },
) {
  const token = input.token ?? generateToken();
  const row = {
    _id: newId(),
    account_id: input.accountId,
    user_id: input.userId,
    name: input.name,
    token_hash: hashToken(token),
    scope: JSON.stringify(input.scope ?? '*'),
    created_at: Date.now(),
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
    kind: input.kind ?? 'api',
    auto_purge: input.autoPurge ?? null,
  };
  await db.insertInto('tokens').values(row).execute();
  return { token, tokenId: row._id };
}

export interface TokenIdentity {
  tokenId: string;
  accountId: string;
  userId: string;
  email: string;
  /** As stored: `"*"` (full access) or an object (see domain/token-scope.ts). */
  scope: unknown;
  /** The user's role in the account (`owner`, `administrator`, …). */
  role: string;
  /** `api` or `one_time`. */
  kind: string;
}

/**
 * Recently resolved tokens per database, for a single-process store (embedded SQLite) only. Every change
 * to a token in this process clears it; the short lifetime bounds a change made by another process
 * (the CLI) on the same file.
 */
const resolved = new WeakMap<object, Map<string, { identity: TokenIdentity; expiresAt: number | null; until: number }>>();

function forgetResolvedTokens(db: Db) {
  resolved.get(db)?.clear();
}

/**
 * Resolves a bearer token to its account and user; undefined when unknown, revoked or expired.
 * `cacheMs` > 0 keeps answers that long (only where one process owns the store).
 */
export async function authenticateToken(db: Db, token: string, now = Date.now(), cacheMs = 0): Promise<TokenIdentity | undefined> {
  const hash = hashToken(token);
  if (cacheMs > 0) {
    const hit = resolved.get(db)?.get(hash);
    if (hit && hit.until > now) return hit.expiresAt !== null && hit.expiresAt <= now ? undefined : hit.identity;
  }
  const row = await db
    .selectFrom('tokens')
    .innerJoin('users', 'users._id', 'tokens.user_id')
    .select(['tokens._id', 'tokens.account_id', 'tokens.user_id', 'tokens.token_hash', 'tokens.scope', 'tokens.expires_at', 'tokens.revoked_at', 'tokens.kind', 'users.email', 'users.role'])
    .where('tokens.token_hash', '=', hash)
    .executeTakeFirst();
  // The lookup is by hash; the constant-time compare guards against a lookup that matched loosely.
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return undefined;
  if (row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && row.expires_at <= now) return undefined;
  const identity = { tokenId: row._id, accountId: row.account_id, userId: row.user_id, email: row.email, scope: JSON.parse(row.scope), role: row.role, kind: row.kind };
  if (cacheMs > 0) {
    let map = resolved.get(db);
    if (!map) resolved.set(db, (map = new Map()));
    if (map.size > 10_000) map.clear();
    map.set(hash, { identity, expiresAt: row.expires_at, until: now + cacheMs });
  }
  return identity;
}

export type TokenRow = Awaited<ReturnType<typeof findToken>>;

/** The account's API tokens (one-time tokens are never listed), ascending `_id`. */
export async function listTokens(db: Db, accountId: string, q: { after?: string; limit: number }) {
  let query = db.selectFrom('tokens').selectAll().where('account_id', '=', accountId).where('kind', '=', 'api');
  if (q.after) query = query.where('_id', '>', q.after);
  return query.orderBy('_id').limit(q.limit).execute();
}

export async function findToken(db: Db, accountId: string, id: string) {
  return db.selectFrom('tokens').selectAll().where('account_id', '=', accountId).where('_id', '=', id).where('kind', '=', 'api').executeTakeFirst();
}

export async function updateToken(db: Db, accountId: string, id: string, changes: { name?: string; scope?: unknown; expiresAt?: number | null; autoPurge?: string | null; token?: string }) {
  const set: Record<string, unknown> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.scope !== undefined) set.scope = JSON.stringify(changes.scope);
  if (changes.expiresAt !== undefined) set.expires_at = changes.expiresAt;
  if (changes.autoPurge !== undefined) set.auto_purge = changes.autoPurge;
  if (changes.token !== undefined) set.token_hash = hashToken(changes.token);
  forgetResolvedTokens(db);
  await db.updateTable('tokens').set(set).where('account_id', '=', accountId).where('_id', '=', id).execute();
}

/** Deleting a token invalidates it at once: the next request with it finds nothing. */
export async function deleteToken(db: Db, accountId: string, id: string): Promise<boolean> {
  forgetResolvedTokens(db);
  const r = await db.deleteFrom('tokens').where('account_id', '=', accountId).where('_id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Ends a token now (one-time tokens when their invocation returns); it is refused from then on. */
export async function revokeToken(db: Db, id: string, now = Date.now()) {
  forgetResolvedTokens(db);
  await db.updateTable('tokens').set({ revoked_at: now }).where('_id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function firstAccount(db: Db) {
  return db.selectFrom('users').select(['account_id', '_id as user_id']).where('role', '=', 'owner').orderBy('created_at').executeTakeFirst();
}

export async function getMeta(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function setMeta(db: Db, key: string, value: string) {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
