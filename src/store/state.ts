import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Key/value state of an account: `scopeId` '' for global keys, else the owning resource's id. */
export async function stateKeys(db: Db, accountId: string, scopeId: string): Promise<string[]> {
  const rows = await db.selectFrom('state').select('key').where('account_id', '=', accountId).where('scope_id', '=', scopeId).orderBy('key').execute();
  return rows.map((r) => r.key);
}

export async function getState(db: Db, accountId: string, scopeId: string, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('state').select('value').where('account_id', '=', accountId).where('scope_id', '=', scopeId).where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Stores a value; true when the key was new. */
export async function putState(db: Kysely<Database>, accountId: string, scopeId: string, key: string, value: string, now = Date.now()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const existed = (await getState(trx, accountId, scopeId, key)) !== undefined;
    await trx
      .insertInto('state')
      .values({ account_id: accountId, scope_id: scopeId, key, value, updated_at: now })
      .onConflict((oc) => oc.columns(['account_id', 'scope_id', 'key']).doUpdateSet({ value, updated_at: now }))
      .execute();
    return !existed;
  });
}

export async function deleteState(db: Db, accountId: string, scopeId: string, key?: string) {
  let q = db.deleteFrom('state').where('account_id', '=', accountId).where('scope_id', '=', scopeId);
  if (key !== undefined) q = q.where('key', '=', key);
  await q.execute();
}
