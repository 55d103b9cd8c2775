import { hostname } from 'node:os';
import type { Services } from '../domain/services.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { listenForWork } from '../queue/work-listener.js';
import { WORK_ENQUEUED, workSignals } from '../queue/work-signals.js';
import { claim, complete, expiredItems, heartbeat, LEASE_MS, markDead, requeue, runningItems, type WorkItem } from '../queue/work-queue.js';
import { releaseStaleFlowLocks } from '../store/flow-locks.js';
import { findJobById } from '../store/jobs.js';
import { runFlowJob, type RunOutcome } from './flow-runner.js';
import { FLOW_RUN, type FlowRunPayload } from './flow-runs.js';
import { noHooks, type PageHooks } from './hook-points.js';
import { CANCEL_REASON, endJob, FINAL_STATUSES, SHUTDOWN_REASON } from './job-control.js';
import { errorMessage } from './record-errors.js';
import { RETRY_RUN, type RetryRunPayload } from './retries.js';
import { runRetryJob } from './retry-runner.js';

export interface WorkerOptions {
  pollMs?: number;
  concurrency?: number;
  /** Work item lease; heartbeats renew it at a third of this. */
  leaseMs?: number;
  /** Embedded (single-process) mode: items left running by a previous process are orphans at start. */
  embedded: boolean;
  hooks?: PageHooks;
}

/** How long a job waits before asking again when its flow is busy with another job. */
const BUSY_FLOW_RETRY_MS = 500;

/**
 * Claims work items and runs them. Claimed items are heartbeated while they run; a reaper puts back the
 * items of vanished workers so their jobs resume (or fails them once their attempts are used up).
 * Cancels reach a running job through its abort signal within a second.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${newId().slice(-6)}`;
  readonly #services: Services;
  readonly #log: Logger;
  readonly #options: Required<Omit<WorkerOptions, 'hooks'>> & { hooks: PageHooks };
  readonly #running = new Map<string, { item: WorkItem; abort: AbortController; done: Promise<void> }>();
  #timers: NodeJS.Timeout[] = [];
  #listener: { close(): Promise<void> } | undefined;
  #stopped = false;
  #ticking = false;
  #again = false;
  readonly #wake = () => void this.#tick();

  constructor(services: Services, log: Logger, options: WorkerOptions) {
    this.#services = services;
    this.#log = log;
    this.#options = { pollMs: 1000, concurrency: 2, leaseMs: LEASE_MS, hooks: noHooks, ...options };
  }

  async start() {
    await this.reap(this.#options.embedded);
    workSignals.on(WORK_ENQUEUED, this.#wake);
    const { store } = this.#services;
    if (store.dialect === 'postgres' && store.url) {
      this.#listener = await listenForWork(store.url, this.#wake, (err) => this.#log.warn({ err: errorMessage(err) }, 'work listener')).catch((err: unknown) => {
        this.#log.warn({ err: errorMessage(err) }, 'LISTEN failed; polling only');
        return undefined;
      });
    }
    this.#timers.push(setInterval(() => void this.#tick(), this.#options.pollMs));
    this.#timers.push(setInterval(() => void this.#beat(), Math.max(200, Math.floor(this.#options.leaseMs / 3))));
    this.#timers.push(setInterval(() => void this.#watchCancels(), 500));
    void this.#tick();
  }

  /**
   * Stops claiming and waits for running jobs; after `graceMs` they are interrupted: they stay
   * `running` and their items go back to the queue, so the next start resumes them.
   */
  async stop(graceMs = 10_000) {
    this.#stopped = true;
    workSignals.off(WORK_ENQUEUED, this.#wake);
    for (const t of this.#timers) clearInterval(t);
    await this.#listener?.close();
    const pending = [...this.#running.values()];
    const timeout = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all(pending.map((p) => p.done)), timeout]);
    for (const p of pending) p.abort.abort(SHUTDOWN_REASON);
    await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise<void>((r) => setTimeout(r, 5000).unref())]);
  }

  /** Resolves when nothing claimed by this worker is running (tests, the demo). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /**
   * Puts back items whose lease expired (or, at an embedded start, every running item): their jobs
   * resume. An item out of attempts is dead and its job fails with a reason.
   */
  async reap(all = false) {
    const db = this.#services.store.db;
    const orphans = all ? await runningItems(db) : await expiredItems(db);
    for (const item of orphans) {
      if (this.#running.has(item._id)) continue;
      const job = await findJobById(db, item.job_id);
      if (!job || FINAL_STATUSES.includes(job.status)) {
        await markDead(db, item._id);
        continue;
      }
      if (item.attempts < item.max_attempts && job.status !== 'canceling') {
        await requeue(db, item._id, Date.now(), { countAttempt: true });
        this.#log.warn({ jobId: job._id, attempt: item.attempts }, 'resuming a job whose process stopped');
        continue;
      }
      await markDead(db, item._id);
      if (job.status === 'canceling') await endJob(db, job._id, 'canceled');
      else await endJob(db, job._id, 'failed', { failureReason: `The process running this job stopped before it finished (crash or kill), ${item.attempts} times; run the flow again.` });
      this.#log.warn({ jobId: job._id }, 'marked an interrupted job failed');
    }
    await releaseStaleFlowLocks(db);
  }

  async #tick() {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        const free = this.#options.concurrency - this.#running.size;
        if (free <= 0) return;
        const items = await claim(this.#services.store.db, this.#services.store.dialect, this.id, free, Date.now(), this.#options.leaseMs);
        for (const item of items) this.#startItem(item);
      } while (this.#again && !this.#stopped);
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'claiming work failed');
    } finally {
      this.#ticking = false;
    }
  }

  #startItem(item: WorkItem) {
    const abort = new AbortController();
    const done = this.#runItem(item, abort.signal)
      .catch((err: unknown) => this.#log.error({ err: errorMessage(err), jobId: item.job_id }, 'work item crashed'))
      .finally(() => {
        this.#running.delete(item._id);
        void this.#tick();
      });
    this.#running.set(item._id, { item, abort, done });
  }

  async #runItem(item: WorkItem, signal: AbortSignal) {
    const db = this.#services.store.db;
    let outcome: RunOutcome;
    try {
      if (item.kind === FLOW_RUN) {
        outcome = await runFlowJob(this.#services, item.job_id, JSON.parse(item.payload) as FlowRunPayload, signal, this.#log, this.#options.hooks);
      } else if (item.kind === RETRY_RUN) {
        outcome = await runRetryJob(this.#services, item.job_id, JSON.parse(item.payload) as RetryRunPayload, signal, this.#log, this.#options.hooks);
      } else {
        this.#log.error({ kind: item.kind }, 'unknown work item kind');
        await markDead(db, item._id);
        return;
      }
    } catch (err) {
      // Storage trouble mid-run: the item stays claimed and the reaper retries it after the lease.
      this.#log.error({ err: errorMessage(err), jobId: item.job_id }, 'run stopped by an unexpected error');
      return;
    }
    if (outcome === 'wait') await requeue(db, item._id, Date.now() + BUSY_FLOW_RETRY_MS, { countAttempt: false });
    else if (outcome === 'interrupted') await requeue(db, item._id, Date.now(), { countAttempt: false });
    else await complete(db, item._id);
  }

  async #beat() {
    try {
      await heartbeat(this.#services.store.db, this.id, [...this.#running.keys()], Date.now(), this.#options.leaseMs);
      await this.reap(false);
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'heartbeat failed');
    }
  }

  /** Aborts running jobs a user asked to cancel, so in-flight requests stop too. */
  async #watchCancels() {
    const byJob = new Map([...this.#running.values()].map((r) => [r.item.job_id, r]));
    if (byJob.size === 0) return;
    try {
      const rows = await this.#services.store.db.selectFrom('jobs').select('_id').where('_id', 'in', [...byJob.keys()]).where('status', '=', 'canceling').execute();
      for (const r of rows) byJob.get(r._id)?.abort.abort(CANCEL_REASON);
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'checking cancels failed');
    }
  }
}
