import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function deltaCursors(db: Db, accountId: string, flowId: string) {
  return db.selectFrom('delta_cursors').selectAll().where('account_id', '=', accountId).where('flow_id', '=', flowId).execute();
}

/** Sets the checkpoint of one flow page generator (after a committed run, or by a user). */
export async function setDeltaCursor(db: Db, accountId: string, flowId: string, exportId: string, lastExportAt: number, now = Date.now()) {
  await db
    .insertInto('delta_cursors')
    .values({ account_id: accountId, flow_id: flowId, export_id: exportId, last_export_at: lastExportAt, updated_at: now })
    .onConflict((oc) => oc.columns(['flow_id', 'export_id']).doUpdateSet({ last_export_at: lastExportAt, updated_at: now }))
    .execute();
}

export async function deleteDeltaCursor(db: Db, accountId: string, flowId: string, exportId: string) {
  await db.deleteFrom('delta_cursors').where('account_id', '=', accountId).where('flow_id', '=', flowId).where('export_id', '=', exportId).execute();
}
