import type { Kysely, Transaction } from 'kysely';
import type { AuditLogTable, Database } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export type AuditRow = AuditLogTable;

export async function insertAudit(db: Db, row: AuditRow) {
  await db.insertInto('audit_log').values(row).execute();
}

export interface AuditQuery {
  resourceType?: string;
  resourceId?: string;
  userId?: string;
  action?: string;
  after?: string;
  limit: number;
}

/** The account's audit entries in ascending `_id` (creation) order. */
export async function listAudit(db: Db, accountId: string, q: AuditQuery) {
  let query = db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId);
  if (q.resourceType) query = query.where('resource_type', '=', q.resourceType);
  if (q.resourceId) query = query.where('resource_id', '=', q.resourceId);
  if (q.userId) query = query.where('user_id', '=', q.userId);
  if (q.action) query = query.where('action', '=', q.action);
  if (q.after) query = query.where('_id', '>', q.after);
  return query.orderBy('_id').limit(q.limit).execute();
}
