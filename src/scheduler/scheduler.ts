import type { Doc } from '../adaptors/adaptor.js';
import type { Services } from '../domain/services.js';
import { insertFlowRun, prepareFlowRun } from '../engine/flow-runs.js';
import { errorMessage } from '../engine/record-errors.js';
import type { Logger } from '../logger.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';
import { claimScheduleSlot, lastScheduleSlot } from '../store/schedule-slots.js';
import { latestDueSlot, parseSchedule } from './cron.js';

export interface SchedulerOptions {
  /** The clock; tests pass a controlled one. */
  now?: () => number;
  /** How often `start()` ticks (default 15 s; schedules have a one-minute resolution). */
  intervalMs?: number;
}

class SlotTaken extends Error {}

/**
 * Turns flow schedules (`flow.schedule`, and `pageGenerators[i].schedule` for one generator) into
 * queued runs. Each due slot becomes one job: the slot row, the job and its work item are written in
 * one transaction, and the slot's primary key makes a second scheduler (another process on the same
 * PostgreSQL) roll back, so a tick never runs twice. Slots missed while no scheduler ran collapse
 * into one run. A slot runs only if it falls at or after the moment the schedule took effect: the
 * later of the scheduler's start and the flow's last change when no slot was recorded yet, and the
 * flow's last change when it changed after the last recorded slot (a schedule added or edited, a
 * flow re-enabled: the slots before that change are not made up).
 */
export class Scheduler {
  readonly #services: Services;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;

  constructor(services: Services, log: Logger, options: SchedulerOptions = {}) {
    this.#services = services;
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? 15_000;
    this.#startedAt = this.#now();
  }

  start() {
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
    this.#timer.unref();
  }

  stop() {
    clearInterval(this.#timer);
  }

  /** Queues every due slot; returns the ids of the jobs it created. */
  async tick(): Promise<string[]> {
    if (this.#ticking) return [];
    this.#ticking = true;
    const created: string[] = [];
    try {
      const rows = await this.#services.store.db.selectFrom('resources').select(['_id', 'account_id', 'doc', 'last_modified']).where('kind', '=', 'flows').execute();
      for (const row of rows) {
        const flow: Doc = { ...(JSON.parse(row.doc) as Record<string, unknown>), _id: row._id };
        if (flow.disabled === true) continue;
        const timezone = typeof flow.timezone === 'string' ? flow.timezone : undefined;
        const entries: { key: string; schedule: string; exportIds?: string[] }[] = [];
        if (typeof flow.schedule === 'string' && flow.schedule.trim()) entries.push({ key: row._id, schedule: flow.schedule });
        for (const g of (flow.pageGenerators as { _exportId?: string; schedule?: string }[] | undefined) ?? []) {
          if (typeof g.schedule === 'string' && g.schedule.trim() && g._exportId) entries.push({ key: `${row._id}:${g._exportId}`, schedule: g.schedule, exportIds: [g._exportId] });
        }
        for (const entry of entries) {
          const jobId = await this.#fire(row.account_id, flow, entry, timezone, Number(row.last_modified));
          if (jobId) created.push(jobId);
        }
      }
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'scheduler tick failed');
    } finally {
      this.#ticking = false;
    }
    if (created.length > 0) workSignals.emit(WORK_ENQUEUED);
    return created;
  }

  async #fire(accountId: string, flow: Doc, entry: { key: string; schedule: string; exportIds?: string[] }, timezone: string | undefined, lastModified: number): Promise<string | undefined> {
    const db = this.#services.store.db;
    try {
      const cron = parseSchedule(entry.schedule, timezone);
      const recorded = await lastScheduleSlot(db, entry.key);
      // The schedule (and the enabled state) took effect at the flow's last change, when that is later.
      // A slot exactly at that moment counts: search from one millisecond before it.
      const since = Math.max(recorded ?? this.#startedAt, lastModified - 1);
      const slot = latestDueSlot(cron, since, this.#now());
      if (slot === undefined) return undefined;
      const prepared = prepareFlowRun(accountId, flow, { trigger: 'schedule', ...(entry.exportIds ? { exportIds: entry.exportIds } : {}) });
      await db.transaction().execute(async (trx) => {
        if (!(await claimScheduleSlot(trx, entry.key, slot, prepared.job._id))) throw new SlotTaken();
        await insertFlowRun(trx, this.#services, prepared);
      });
      this.#log.info({ flowId: flow._id, jobId: prepared.job._id, slot: new Date(slot).toISOString() }, 'scheduled run queued');
      return prepared.job._id;
    } catch (err) {
      if (err instanceof SlotTaken) return undefined;
      // PostgreSQL: two schedulers inserting the same slot at once; the loser's unique violation lands here.
      if (/duplicate key|unique constraint/i.test(errorMessage(err))) return undefined;
      this.#log.warn({ flowId: flow._id, err: errorMessage(err) }, 'scheduling a flow run failed');
      return undefined;
    }
  }
}
