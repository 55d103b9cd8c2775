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
  input: { accountId: string; userId: string; name: string; token?: string; scope?: string; expiresAt?: number },
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
  };
  await db.insertInto('tokens').values(row).execute();
  return { token, tokenId: row._id };
}

export interface TokenIdentity {
  tokenId: string;
  accountId: string;
  userId: string;
  email: string;
  scope: unknown;
}

/** Resolves a bearer token to its account and user; undefined when unknown, revoked or expired. */
export async function authenticateToken(db: Db, token: string, now = Date.now()): Promise<TokenIdentity | undefined> {
  const hash = hashToken(token);
  const row = await db
    .selectFrom('tokens')
    .innerJoin('users', 'users._id', 'tokens.user_id')
    .select(['tokens._id', 'tokens.account_id', 'tokens.user_id', 'tokens.token_hash', 'tokens.scope', 'tokens.expires_at', 'tokens.revoked_at', 'users.email'])
    .where('tokens.token_hash', '=', hash)
    .executeTakeFirst();
  // The lookup is by hash; the constant-time compare guards against a lookup that matched loosely.
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return undefined;
  if (row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && row.expires_at <= now) return undefined;
  return { tokenId: row._id, accountId: row.account_id, userId: row.user_id, email: row.email, scope: JSON.parse(row.scope) };
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
