import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function findPart(db: Db, accountId: string, resourceId: string, part: string) {
  return db
    .selectFrom('resource_parts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('resource_id', '=', resourceId)
    .where('part', '=', part)
    .executeTakeFirst();
}

export async function savePart(db: Db, accountId: string, resourceId: string, part: string, doc: string, now = Date.now()) {
  await db
    .insertInto('resource_parts')
    .values({ account_id: accountId, resource_id: resourceId, part, doc, last_modified: now })
    .onConflict((oc) => oc.columns(['resource_id', 'part']).doUpdateSet({ doc, last_modified: now }))
    .execute();
}

export async function deleteParts(db: Db, accountId: string, resourceId: string) {
  await db.deleteFrom('resource_parts').where('account_id', '=', accountId).where('resource_id', '=', resourceId).execute();
}
