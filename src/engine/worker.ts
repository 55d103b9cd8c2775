import { hostname } from 'node:os';
import type { Services } from '../domain/services.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';
import { claim, complete, expiredItems, heartbeat, markDead, runningItems, type WorkItem } from '../queue/work-queue.js';
import { findJobById, listJobs, updateJob } from '../store/jobs.js';
import { runFlowJob } from './flow-runner.js';
import { FLOW_RUN, type FlowRunPayload } from './flow-runs.js';


export interface WorkerOptions {
  pollMs?: number;
  concurrency?: number;
  /** Embedded (single-process) mode: items left running by a previous process are orphans at start. */
  embedded: boolean;
}

/**
 * Claims work items and runs them. Each claimed item is heartbeated while it runs; a reaper fails the
 * jobs of items whose worker vanished, so no job stays `running` for ever.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${newId().slice(-6)}`;
  readonly #services: Services;
  readonly #log: Logger;
  readonly #options: Required<WorkerOptions>;
  readonly #running = new Map<string, { item: WorkItem; abort: AbortController; done: Promise<void> }>();
  #timer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #ticking = false;
  readonly #wake = () => void this.#tick();

  constructor(services: Services, log: Logger, options: WorkerOptions) {
    this.#services = services;
    this.#log = log;
    this.#options = { pollMs: 1000, concurrency: 2, ...options };
  }

  async start() {
    await this.reap(this.#options.embedded);
    workSignals.on(WORK_ENQUEUED, this.#wake);
    this.#timer = setInterval(() => void this.#tick(), this.#options.pollMs);
    this.#heartbeatTimer = setInterval(() => void this.#beat(), 10_000);
    void this.#tick();
  }

  /** Stops claiming, aborts running jobs (they end `canceled`… or are failed by the next reaper), waits. */
  async stop(graceMs = 10_000) {
    this.#stopped = true;
    workSignals.off(WORK_ENQUEUED, this.#wake);
    clearInterval(this.#timer);
    clearInterval(this.#heartbeatTimer);
    const pending = [...this.#running.values()];
    const timeout = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all(pending.map((p) => p.done)), timeout]);
    for (const p of pending) p.abort.abort();
    await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
  }

  /** Resolves when nothing is queued or running (tests, the demo). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Fails the jobs of work items whose lease expired (or, at an embedded start, that were left running). */
  async reap(all = false) {
    const db = this.#services.store.db;
    const orphans = all ? await runningItems(db) : await expiredItems(db);
    for (const item of orphans) {
      if (this.#running.has(item._id)) continue;
      await markDead(db, item._id);
      const job = await findJobById(db, item.job_id);
      if (job && !['completed', 'failed', 'canceled'].includes(job.status)) {
        const extra = { ...JSON.parse(job.extra), failureReason: 'The process running this job stopped before it finished (crash or kill); run the flow again.' };
        const status = job.status === 'canceling' ? 'canceled' : 'failed';
        await updateJob(db, job._id, { status, ended_at: Date.now(), extra: JSON.stringify(extra) });
        const children = await listJobs(db, { accountId: job.account_id, flowJobId: job._id, limit: 1000 });
        for (const c of children) if (c.status === 'running' || c.status === 'queued') await updateJob(db, c._id, { status, ended_at: Date.now() });
        this.#log.warn({ jobId: job._id }, 'marked an interrupted job failed');
      }
    }
  }

  async #tick() {
    if (this.#stopped || this.#ticking) return;
    this.#ticking = true;
    try {
      const free = this.#options.concurrency - this.#running.size;
      if (free <= 0) return;
      const items = await claim(this.#services.store.db, this.#services.store.dialect, this.id, free);
      for (const item of items) this.#startItem(item);
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'claiming work failed');
    } finally {
      this.#ticking = false;
    }
  }

  #startItem(item: WorkItem) {
    const abort = new AbortController();
    const done = this.#runItem(item, abort.signal)
      .catch((err: unknown) => this.#log.error({ err: String(err), jobId: item.job_id }, 'work item crashed'))
      .finally(() => {
        this.#running.delete(item._id);
        void this.#tick();
      });
    this.#running.set(item._id, { item, abort, done });
  }

  async #runItem(item: WorkItem, signal: AbortSignal) {
    const db = this.#services.store.db;
    if (item.kind !== FLOW_RUN) {
      this.#log.error({ kind: item.kind }, 'unknown work item kind');
      await markDead(db, item._id);
      return;
    }
    const payload = JSON.parse(item.payload) as FlowRunPayload;
    // One running job per flow: a later run waits for the running one.
    const running = await listJobs(db, { accountId: item.account_id, flowId: payload.flowId, types: ['flow'], statuses: ['running'], limit: 1 });
    if (running.length > 0 && running[0]!._id !== item.job_id) {
      await db.updateTable('work_items').set({ status: 'queued', run_at: Date.now() + 500, locked_by: null, locked_until: null }).where('_id', '=', item._id).execute();
      return;
    }
    await runFlowJob(this.#services, item.job_id, payload, signal, this.#log);
    await complete(db, item._id);
  }

  async #beat() {
    try {
      await heartbeat(this.#services.store.db, this.id, [...this.#running.keys()]);
      await this.reap(false);
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'heartbeat failed');
    }
  }
}
