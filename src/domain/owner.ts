import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/database.js';
import { createAccount, createToken, firstAccount } from '../store/accounts.js';

export interface Owner {
  accountId: string;
  userId: string;
  /** Set only on the start that created the owner: the token is shown once. */
  newToken?: string;
}

/**
 * On first start, creates the owner account and its first API token (INTEGRATOR_API_TOKEN when set),
 * and writes the token to `<dataDir>/initial-token` (mode 0600). Later starts find the owner.
 */
export async function ensureOwner(store: Store, options: { dataDir: string; initialToken?: string }): Promise<Owner> {
  const existing = await firstAccount(store.db);
  if (existing) return { accountId: existing.account_id, userId: existing.user_id };
  if (options.initialToken !== undefined && !/^[A-Za-z0-9._~-]{16,200}$/.test(options.initialToken)) {
    throw new Error('INTEGRATOR_API_TOKEN must be 16 to 200 characters of letters, digits, ".", "_", "~" or "-".');
  }
  const owner = await store.db.transaction().execute(async (trx) => {
    const { accountId, userId } = await createAccount(trx, { name: 'Default', email: 'owner@localhost', userName: 'Owner' });
    const { token } = await createToken(trx, { accountId, userId, name: 'Initial token', ...(options.initialToken ? { token: options.initialToken } : {}) });
    return { accountId, userId, newToken: token };
  });
  writeFileSync(join(options.dataDir, 'initial-token'), `${owner.newToken}\n`, { mode: 0o600 });
  return owner;
}
