import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Takes the flow's run lock for `jobId`. True when the job holds it (newly or already: a resumed
 * run keeps its lock); false when another job of the flow is running. Atomic on both dialects
 * because the flow id is the primary key.
 */
export async function acquireFlowLock(db: Db, flowId: string, jobId: string, now = Date.now()): Promise<boolean> {
  await db
    .insertInto('flow_locks')
    .values({ flow_id: flowId, job_id: jobId, locked_at: now })
    .onConflict((oc) => oc.column('flow_id').doNothing())
    .execute();
  const row = await db.selectFrom('flow_locks').select('job_id').where('flow_id', '=', flowId).executeTakeFirst();
  return row?.job_id === jobId;
}

export async function releaseFlowLock(db: Db, flowId: string, jobId: string) {
  await db.deleteFrom('flow_locks').where('flow_id', '=', flowId).where('job_id', '=', jobId).execute();
}

/** Locks whose job has ended (a crash between the job's end and the release): safe to drop. */
export async function releaseStaleFlowLocks(db: Db) {
  await db
    .deleteFrom('flow_locks')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('jobs')
          .select(sql`1`.as('one'))
          .whereRef('jobs._id', '=', 'flow_locks.job_id')
          .where('jobs.status', 'in', ['completed', 'failed', 'canceled']),
      ),
    )
    .execute();
}
