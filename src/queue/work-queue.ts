import { sql, type Kysely, type Transaction } from 'kysely';
import { newId } from '../ids.js';
import type { Dialect } from '../store/database.js';
import type { Database, WorkItemTable } from '../store/tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export type WorkItem = WorkItemTable;

/** Default lease: a worker that stops heartbeating loses its item after this long. */
export const LEASE_MS = 30_000;

/** PostgreSQL channel that wakes workers when an item is enqueued (NOTIFY is delivered at commit). */
export const WORK_CHANNEL = 'integrator_work';

/**
 * Adds a work item. Call inside the transaction that creates its job so neither exists without the
 * other. On PostgreSQL pass `dialect` to NOTIFY listening workers when the transaction commits.
 */
export async function enqueue(
  db: Db,
  item: { accountId: string; jobId: string; kind: string; payload: unknown; runAt?: number; maxAttempts?: number },
  dialect?: Dialect,
) {
  const now = Date.now();
  const row: WorkItemTable = {
    _id: newId(),
    account_id: item.accountId,
    job_id: item.jobId,
    kind: item.kind,
    payload: JSON.stringify(item.payload ?? {}),
    status: 'queued',
    run_at: item.runAt ?? now,
    locked_until: null,
    locked_by: null,
    attempts: 0,
    max_attempts: item.maxAttempts ?? 3,
    created_at: now,
  };
  await db.insertInto('work_items').values(row).execute();
  if (dialect === 'postgres') await sql`SELECT pg_notify(${WORK_CHANNEL}, ${row._id})`.execute(db);
  return row;
}

/**
 * Claims up to `n` due items for `workerId`. SQLite has one writer, so a plain UPDATE … RETURNING is
 * atomic; PostgreSQL uses FOR UPDATE SKIP LOCKED so concurrent workers never claim the same item.
 */
export async function claim(db: Kysely<Database>, dialect: Dialect, workerId: string, n: number, now = Date.now(), leaseMs = LEASE_MS): Promise<WorkItem[]> {
  const lockedUntil = now + leaseMs;
  if (dialect === 'postgres') {
    const result = await sql<WorkItem>`
      UPDATE work_items SET status = 'running', locked_by = ${workerId}, locked_until = ${lockedUntil}, attempts = attempts + 1
      WHERE _id IN (
        SELECT _id FROM work_items WHERE status = 'queued' AND run_at <= ${now}
        ORDER BY run_at, _id LIMIT ${n} FOR UPDATE SKIP LOCKED
      )
      RETURNING *`.execute(db);
    return result.rows;
  }
  return db
    .updateTable('work_items')
    .set({ status: 'running', locked_by: workerId, locked_until: lockedUntil, attempts: sql`attempts + 1` })
    .where('_id', 'in', (eb) =>
      eb.selectFrom('work_items').select('_id').where('status', '=', 'queued').where('run_at', '<=', now).orderBy('run_at').orderBy('_id').limit(n),
    )
    .returningAll()
    .execute();
}

/** Extends the lease of items this worker still holds. */
export async function heartbeat(db: Db, workerId: string, ids: string[], now = Date.now(), leaseMs = LEASE_MS) {
  if (ids.length === 0) return;
  await db
    .updateTable('work_items')
    .set({ locked_until: now + leaseMs })
    .where('locked_by', '=', workerId)
    .where('_id', 'in', ids)
    .where('status', '=', 'running')
    .execute();
}

export async function complete(db: Db, id: string) {
  await db.updateTable('work_items').set({ status: 'done', locked_until: null }).where('_id', '=', id).execute();
}

/**
 * Puts a claimed item back in the queue. `countAttempt: false` when the item only waited (its flow was
 * busy) or its process shut down cleanly: those claims do not use up attempts.
 */
export async function requeue(db: Db, id: string, runAt: number, options: { countAttempt: boolean }) {
  await db
    .updateTable('work_items')
    .set({
      status: 'queued',
      run_at: runAt,
      locked_by: null,
      locked_until: null,
      ...(options.countAttempt ? {} : { attempts: sql`CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END` }),
    })
    .where('_id', '=', id)
    .execute();
}

/** Items whose worker vanished (lease expired while running). */
export async function expiredItems(db: Db, now = Date.now()) {
  return db.selectFrom('work_items').selectAll().where('status', '=', 'running').where('locked_until', '<', now).execute();
}

/** Items held by any worker regardless of lease: at start of an embedded server, all are orphans. */
export async function runningItems(db: Db) {
  return db.selectFrom('work_items').selectAll().where('status', '=', 'running').execute();
}

export async function markDead(db: Db, id: string) {
  await db.updateTable('work_items').set({ status: 'dead', locked_until: null }).where('_id', '=', id).execute();
}

export async function cancelQueuedForJob(db: Db, jobId: string) {
  await db.updateTable('work_items').set({ status: 'canceled' }).where('job_id', '=', jobId).where('status', '=', 'queued').execute();
}
