import type { Doc } from '../adaptors/adaptor.js';
import type { Kysely, Transaction } from 'kysely';
import { deltaCursors, setDeltaCursor } from '../store/delta-cursors.js';
import type { Database } from '../store/tables.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The delta window of one run, fixed when it first starts so a resumed run reads the same window. */
export interface RunWindow {
  currentExportDateTime: string;
  /** Per page generator export: its lower bound, absent on a first run without `delta.startDate`. */
  lastExportDateTime: Record<string, string>;
  /** A window given in the run request (a back-fill): it never moves the stored checkpoints. */
  custom?: boolean;
}

/**
 * lastExportDateTime = the generator's checkpoint − `delta.lagOffset` ms, else `delta.startDate`;
 * a run body `{export:{startDate, endDate}}` overrides both bounds (spec §5.3) for that run only.
 */
/** An export's `delta.startDate` as ISO: the lower bound of a run with no checkpoint (a first run, an invoke). */
export function deltaStartDate(exportDoc: Doc): string | undefined {
  const startDate = (exportDoc.delta as { startDate?: unknown } | undefined)?.startDate;
  return typeof startDate === 'string' && !Number.isNaN(Date.parse(startDate)) ? new Date(startDate).toISOString() : undefined;
}

export async function computeRunWindow(
  db: Db,
  accountId: string,
  flowId: string,
  exportsById: Map<string, Doc>,
  override: { startDate?: string; endDate?: string },
  now: number,
): Promise<RunWindow> {
  const cursors = new Map((await deltaCursors(db, accountId, flowId)).map((c) => [c.export_id, c.last_export_at]));
  const last: Record<string, string> = {};
  for (const [exportId, exp] of exportsById) {
    const delta = (exp.delta ?? {}) as { lagOffset?: number };
    const cursor = cursors.get(exportId);
    const first = deltaStartDate(exp);
    if (override.startDate) last[exportId] = new Date(override.startDate).toISOString();
    else if (cursor !== undefined) last[exportId] = new Date(cursor - (Number(delta.lagOffset) || 0)).toISOString();
    else if (first) last[exportId] = first;
  }
  const current = override.endDate ? new Date(override.endDate).toISOString() : new Date(now).toISOString();
  const custom = Boolean(override.startDate || override.endDate);
  return { currentExportDateTime: current, lastExportDateTime: last, ...(custom ? { custom: true } : {}) };
}

/**
 * After a committed run: every generator's checkpoint becomes the run's upper bound (its start time).
 * A run with a custom window is a back-fill and leaves the checkpoints where they were (spec §5.3:
 * the checkpoint is the time of the last successful regular run).
 */
export async function advanceCursors(db: Db, accountId: string, flowId: string, exportIds: string[], window: RunWindow) {
  if (window.custom) return;
  const at = Date.parse(window.currentExportDateTime);
  for (const exportId of exportIds) await setDeltaCursor(db, accountId, flowId, exportId, at);
}
