import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Claims one schedule slot of a flow for `jobId`. Returns false when another scheduler (another process
 * on the same PostgreSQL) already claimed it: call inside the transaction that creates the job, so the
 * loser rolls back and no slot runs twice.
 */
export async function claimScheduleSlot(db: Db, flowId: string, slotAt: number, jobId: string): Promise<boolean> {
  const result = await db
    .insertInto('schedule_slots')
    .values({ flow_id: flowId, slot_at: slotAt, job_id: jobId })
    .onConflict((oc) => oc.columns(['flow_id', 'slot_at']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function lastScheduleSlot(db: Db, flowId: string): Promise<number | undefined> {
  const row = await db.selectFrom('schedule_slots').select((eb) => eb.fn.max('slot_at').as('last')).where('flow_id', '=', flowId).executeTakeFirst();
  return row?.last === null || row?.last === undefined ? undefined : Number(row.last);
}
