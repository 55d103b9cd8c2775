import { createHash } from 'node:crypto';
import pg from 'pg';
import { createGovernor, positive, runGoverned, useGovernorFactory, type Governor, type GovernorFactory, type GovernorLimits } from './governor.js';

/**
 * Connection governors whose state lives in PostgreSQL, so every process on one database (API nodes and
 * workers) shares each connection's limits:
 *
 * - spacing (`minIntervalMs`): one row per connection in `integrator_http_governor` holds the earliest
 *   start of the next request. A request claims its start at the moment it goes (an atomic conditional
 *   upsert that succeeds only once that time has come, and moves it on by the interval); a caller that
 *   loses waits the time left and tries again. Claiming when going, rather than booking a future slot,
 *   keeps the spacing even when a timer fires late. Times are the database clock's, so processes on
 *   different machines agree;
 * - concurrency: slot `i` of a connection is the session advisory lock (hash(connection), i) on one
 *   dedicated connection per process; a process that dies releases its slots with its connection;
 * - a rate-limit answer with Retry-After (`pause`) moves the shared next start, holding back every process.
 *
 * Each governor also keeps an in-process governor in front, so waiters of one process queue locally
 * instead of polling the database.
 */
export interface SharedGovernorDatabase {
  /** Claims a start now: 0 when claimed (go at once), else the milliseconds to wait before asking again. */
  claimStart(key: string, intervalMs: number): Promise<number>;
  /** Holds back every request on `key` for `ms`. */
  pause(key: string, ms: number): Promise<void>;
  /** Takes one of `slots` concurrency slots, waiting (polling) while all are taken. */
  lockSlot(key: string, slots: number, signal?: AbortSignal): Promise<number>;
  unlockSlot(key: string, slot: number): Promise<void>;
  close(): Promise<void>;
}

const TABLE = 'integrator_http_governor';
const SLOT_POLL_MS = 20;
// The database clock in epoch milliseconds.
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signed 32-bit lock class for a connection key (advisory locks take two int4 keys). */
function lockClass(key: string): number {
  return createHash('sha256').update(`integrator:http-governor:${key}`).digest().readInt32BE(0);
}

/** Opens the shared state on a PostgreSQL database (its own small pool and one lock connection). */
export function openSharedGovernorDatabase(databaseUrl: string): SharedGovernorDatabase {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  let ready: Promise<void> | undefined;
  const ensureTable = () =>
    (ready ??= pool
      .query(`CREATE TABLE IF NOT EXISTS ${TABLE} (key text PRIMARY KEY, next_start_ms bigint NOT NULL)`)
      .then(() => undefined)
      .catch((err: { code?: string }) => {
        // Two processes creating the table at once: the loser sees a duplicate; the table exists.
        if (err.code === '23505' || err.code === '42P07') return;
        ready = undefined;
        throw err;
      }));

  // Advisory locks belong to a session: one dedicated connection holds this process's slots.
  let lockClient: Promise<pg.Client> | undefined;
  const held = new Map<string, Set<number>>();
  const locks = () =>
    (lockClient ??= (async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      client.on('error', () => {
        // The session is gone and its locks with it.
        lockClient = undefined;
        held.clear();
      });
      await client.connect();
      return client;
    })().catch((err) => {
      lockClient = undefined;
      throw err;
    }));

  return {
    async claimStart(key, intervalMs) {
      await ensureTable();
      const claimed = await pool.query(
        `WITH now AS (SELECT ${NOW_MS} AS ms)
         INSERT INTO ${TABLE} AS g (key, next_start_ms) SELECT $1, now.ms + $2::bigint FROM now
         ON CONFLICT (key) DO UPDATE SET next_start_ms = (SELECT ms FROM now) + $2::bigint
           WHERE g.next_start_ms <= (SELECT ms FROM now)
         RETURNING 1`,
        [key, Math.round(intervalMs)],
      );
      if (claimed.rowCount === 1) return 0;
      const { rows } = await pool.query<{ wait_ms: string | number }>(
        `SELECT next_start_ms - ${NOW_MS} AS wait_ms FROM ${TABLE} WHERE key = $1`,
        [key],
      );
      // At least 1 ms: the row was taken a moment ago, so try again after its time has come.
      return Math.max(1, Number(rows[0]?.wait_ms ?? 1));
    },
    async pause(key, ms) {
      await ensureTable();
      await pool.query(
        `INSERT INTO ${TABLE} AS g (key, next_start_ms) VALUES ($1, ${NOW_MS} + $2::bigint)
         ON CONFLICT (key) DO UPDATE SET next_start_ms = GREATEST(g.next_start_ms, ${NOW_MS} + $2::bigint)`,
        [key, Math.round(ms)],
      );
    },
    async lockSlot(key, slots, signal) {
      const cls = lockClass(key);
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const client = await locks();
        let mine = held.get(key);
        if (!mine) held.set(key, (mine = new Set()));
        for (let slot = 0; slot < slots; slot++) {
          // A session may take its own lock again, so slots this process holds are skipped here.
          if (mine.has(slot)) continue;
          mine.add(slot);
          const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [cls, slot]).catch((err) => {
            mine!.delete(slot);
            throw err;
          });
          if (rows[0]?.ok) return slot;
          mine.delete(slot);
        }
        await sleep(SLOT_POLL_MS, signal);
      }
    },
    async unlockSlot(key, slot) {
      const mine = held.get(key);
      if (!mine?.has(slot)) return;
      const client = await locks();
      await client.query('SELECT pg_advisory_unlock($1, $2)', [lockClass(key), slot]);
      mine.delete(slot);
    },
    async close() {
      const client = lockClient;
      lockClient = undefined;
      held.clear();
      await client?.then((c) => c.end()).catch(() => undefined);
      await pool.end();
    },
  };
}

class SharedGovernor implements Governor {
  readonly #key: string;
  readonly #db: SharedGovernorDatabase;
  readonly #local: Governor;
  #limits: GovernorLimits = {};

  constructor(key: string, limits: GovernorLimits, db: SharedGovernorDatabase) {
    this.#key = key;
    this.#db = db;
    this.#local = createGovernor({});
    this.setLimits(limits);
  }

  get limits(): Readonly<GovernorLimits> {
    return this.#limits;
  }
  get active(): number {
    return this.#local.active;
  }
  get waiting(): number {
    return this.#local.waiting;
  }

  setLimits(limits: GovernorLimits): void {
    this.#limits = { concurrency: positive(limits.concurrency), minIntervalMs: positive(limits.minIntervalMs) };
    // In-process waiters queue on a local governor with the same limits, so only one of them at a time
    // asks the database for a start; the database then decides between processes.
    this.#local.setLimits(this.#limits);
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    const releaseLocal = await this.#local.acquire(signal);
    const { concurrency, minIntervalMs } = this.#limits;
    let slot: number | undefined;
    try {
      if (concurrency) slot = await this.#db.lockSlot(this.#key, concurrency, signal);
      if (minIntervalMs) {
        for (let wait = await this.#db.claimStart(this.#key, minIntervalMs); wait > 0; wait = await this.#db.claimStart(this.#key, minIntervalMs)) {
          await sleep(wait, signal);
        }
      }
    } catch (err) {
      if (slot !== undefined) void this.#db.unlockSlot(this.#key, slot).catch(() => undefined);
      releaseLocal();
      if (signal?.aborted) throw err;
      throw new Error(`governing requests on connection ${this.#key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (slot !== undefined) void this.#db.unlockSlot(this.#key, slot).catch(() => undefined);
      releaseLocal();
    };
  }

  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return runGoverned(this, fn, signal);
  }

  pause(ms: number): void {
    if (!(ms > 0)) return;
    this.#local.pause(ms);
    void this.#db.pause(this.#key, ms).catch(() => undefined);
  }
}

/** A governor for `key` whose limits hold across every process using `db`. */
export function createSharedGovernor(key: string, limits: GovernorLimits, db: SharedGovernorDatabase): Governor {
  return new SharedGovernor(key, limits, db);
}

/**
 * Makes every connection governor of this process a shared one on `databaseUrl` (the server calls this
 * when it runs on PostgreSQL). The returned function closes the database and restores in-process governors.
 */
export function useSharedGovernors(databaseUrl: string): () => Promise<void> {
  const db = openSharedGovernorDatabase(databaseUrl);
  const mine = (key: string, limits: GovernorLimits) => createSharedGovernor(key, limits, db);
  installed = mine;
  useGovernorFactory(mine);
  return async () => {
    // A later server in the same process (tests, restarts) may have installed its own since.
    if (installed === mine) {
      installed = undefined;
      useGovernorFactory(undefined);
    }
    await db.close();
  };
}

let installed: GovernorFactory | undefined;
