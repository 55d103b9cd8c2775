/**
 * Per-connection request governor: at most `concurrency` requests in flight, and request starts spaced by
 * at least `minIntervalMs` (200 ms = at most 5 requests per second). One governor per connection `_id`,
 * shared by every flow and session in the process (`governorFor`), so two flows reading the same
 * connection together stay within its limits. On PostgreSQL the server installs governors whose state
 * lives in the database (`shared-governor.ts`), so the limits hold across every worker process too.
 *
 * @example
 * const release = await governorFor(conn._id, { concurrency: 5, minIntervalMs: 200 }).acquire(signal);
 * try { await send(); } finally { release(); }
 */
export interface GovernorLimits {
  /** Maximum requests in flight; absent or 0 = no cap ("burst"). */
  concurrency?: number;
  /** Minimum milliseconds between the starts of two requests; absent or 0 = no spacing. */
  minIntervalMs?: number;
}

export interface Governor {
  /** Waits for a slot; resolves to the release function (call it exactly once). Rejects when `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Runs `fn` inside a slot. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Holds every request on this connection back for `ms` (a rate-limit answer with Retry-After). */
  pause(ms: number): void;
  setLimits(limits: GovernorLimits): void;
  readonly limits: Readonly<GovernorLimits>;
  readonly active: number;
  readonly waiting: number;
}

interface Waiter {
  resolve(release: () => void): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const now = () => performance.now();

class GovernorImpl implements Governor {
  #limits: GovernorLimits = {};
  #active = 0;
  #queue: Waiter[] = [];
  #nextStart = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(limits: GovernorLimits) {
    this.setLimits(limits);
  }

  get limits(): Readonly<GovernorLimits> {
    return this.#limits;
  }
  get active(): number {
    return this.#active;
  }
  get waiting(): number {
    return this.#queue.length;
  }

  setLimits(limits: GovernorLimits): void {
    this.#limits = { concurrency: positive(limits.concurrency), minIntervalMs: positive(limits.minIntervalMs) };
    this.#pump();
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length === 0 && this.#hasSlot() && now() >= this.#nextStart) {
      return Promise.resolve(this.#grant());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return runGoverned(this, fn, signal);
  }

  pause(ms: number): void {
    if (ms > 0) this.#nextStart = Math.max(this.#nextStart, now() + ms);
  }

  #hasSlot(): boolean {
    const c = this.#limits.concurrency;
    return !c || this.#active < c;
  }

  #grant(): () => void {
    this.#active++;
    const t = now();
    const interval = this.#limits.minIntervalMs ?? 0;
    this.#nextStart = Math.max(this.#nextStart, t) + interval;
    if (!interval && this.#nextStart < t) this.#nextStart = t;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#pump();
    };
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#hasSlot()) {
      const wait = this.#nextStart - now();
      if (wait > 0) {
        if (!this.#timer) {
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#pump();
          }, Math.ceil(wait));
        }
        return;
      }
      const waiter = this.#queue.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#grant());
    }
  }
}

export function positive(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A governor of its own (tests, one-off clients). */
export function createGovernor(limits: GovernorLimits = {}): Governor {
  return new GovernorImpl(limits);
}

const shared = new Map<string, Governor>();

/** Makes the governor of a connection; the default keeps its state in this process. */
export type GovernorFactory = (key: string, limits: GovernorLimits) => Governor;
let factory: GovernorFactory = (_key, limits) => new GovernorImpl(limits);

/**
 * Replaces how connection governors are made (`undefined` restores the in-process default), e.g. with
 * governors whose state lives in PostgreSQL so every worker process shares it (`shared-governor.ts`).
 * Governors made before are forgotten.
 */
export function useGovernorFactory(next: GovernorFactory | undefined): void {
  factory = next ?? ((_key, limits) => new GovernorImpl(limits));
  shared.clear();
}

/**
 * The process-wide governor of a connection. The latest limits win, so an edited connection takes effect
 * at its next session.
 */
export function governorFor(key: string, limits: GovernorLimits): Governor {
  let g = shared.get(key);
  if (!g) {
    g = factory(key, limits);
    shared.set(key, g);
  } else if (g.limits.concurrency !== positive(limits.concurrency) || g.limits.minIntervalMs !== positive(limits.minIntervalMs)) {
    g.setLimits(limits);
  }
  return g;
}

/** Forgets a connection's governor when it is idle (connection deleted). */
export function dropGovernor(key: string): void {
  const g = shared.get(key);
  if (g && g.active === 0 && g.waiting === 0) shared.delete(key);
}

/** Runs `fn` holding one grant of `governor`, released however `fn` ends. */
export async function runGoverned<T>(governor: Pick<Governor, 'acquire'>, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const release = await governor.acquire(signal);
  try {
    return await fn();
  } finally {
    release();
  }
}
