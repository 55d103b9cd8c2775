import type { Kysely, Transaction } from 'kysely';
import type { Database, PageTable } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export type PageRow = PageTable;

export async function insertPage(db: Db, row: PageTable) {
  await db.insertInto('pages').values(row).execute();
}

/** Moves a page to its next step with the records as they leave the previous one. */
export async function advancePage(db: Db, id: string, nextStep: number, records: string) {
  await db.updateTable('pages').set({ next_step: nextStep, records }).where('_id', '=', id).execute();
}

export async function deletePage(db: Db, id: string) {
  await db.deleteFrom('pages').where('_id', '=', id).execute();
}

/** Pages of a job not yet through every step, oldest first (a resumed run finishes these first). */
export async function pendingPages(db: Db, jobId: string) {
  return db.selectFrom('pages').selectAll().where('job_id', '=', jobId).orderBy('generator_index').orderBy('page_index').execute();
}

export async function deletePagesOfJob(db: Db, jobId: string) {
  await db.deleteFrom('pages').where('job_id', '=', jobId).execute();
}
