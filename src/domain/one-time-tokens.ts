import type { Store } from '../store/database.js';
import { createToken, revokeToken } from '../store/accounts.js';
import type { StoredScope } from './token-scope.js';

/** A one-time token lives at most this long when its invocation never returns (DESIGN.md, Tokens). */
export const ONE_TIME_TOKEN_TTL_MS = 15 * 60 * 1000;

export interface OneTimeToken {
  /** The bearer token to pass as `options.bearerToken`. */
  token: string;
  tokenId: string;
  expiresAt: number;
  /** Ends the token now; call it when the invocation returns. Safe to call twice. */
  expire(): Promise<void>;
}

export interface OneTimeTokenFor {
  accountId: string;
  /** The user the call acts for (the integration's owner or the user who triggered it). */
  userId: string;
  /** Connector (integration app) code: full CRUD on resources carrying this `_connectorId`. */
  connectorId?: string;
  /** DIY code: GET on this integration's resources, invoke routes, `/state`, `/tokenInfo`. */
  integrationId?: string;
  /** What the token is for, shown nowhere but the token's name (`hook preMap`, `installer`). */
  purpose?: string;
}

/**
 * Mints a token for one extension-function invocation (hook, wrapper, installer, settings…). It may make
 * any number of requests until `expire()` or 15 minutes, whichever comes first; then it is refused for ever.
 */
export async function mintOneTimeToken(store: Store, input: OneTimeTokenFor, now = Date.now()): Promise<OneTimeToken> {
  const scope: StoredScope = input.connectorId
    ? { connectors: [input.connectorId], oneTime: true }
    : { integrations: input.integrationId ? [input.integrationId] : [], readOnly: true, oneTime: true };
  const expiresAt = now + ONE_TIME_TOKEN_TTL_MS;
  const { token, tokenId } = await createToken(store.db, {
    accountId: input.accountId,
    userId: input.userId,
    name: `one-time: ${input.purpose ?? 'extension call'}`,
    scope,
    expiresAt,
    kind: 'one_time',
  });
  return { token, tokenId, expiresAt, expire: () => revokeToken(store.db, tokenId) };
}

/** Mints a one-time token, runs `fn` with it, and expires it when `fn` settles. */
export async function withOneTimeToken<T>(store: Store, input: OneTimeTokenFor, fn: (token: string) => Promise<T>): Promise<T> {
  const minted = await mintOneTimeToken(store, input);
  try {
    return await fn(minted.token);
  } finally {
    await minted.expire();
  }
}

/** Removes one-time tokens that ended more than a day ago (housekeeping; they are refused either way). */
export async function purgeEndedOneTimeTokens(store: Store, now = Date.now()): Promise<number> {
  const r = await store.db
    .deleteFrom('tokens')
    .where('kind', '=', 'one_time')
    .where((eb) => eb.or([eb('revoked_at', '<', now - 86_400_000), eb('expires_at', '<', now - 86_400_000)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
