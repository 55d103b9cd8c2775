import { sql, type Kysely } from 'kysely';
import type { Database } from './tables.js';

export interface BucketTake {
  allowed: boolean;
  /** Tokens left after this take (fractional). */
  remaining: number;
}

/**
 * Takes one token from the account's bucket in PostgreSQL with one atomic statement: refill by elapsed
 * time (the database clock, shared by every API process), cap at `capacity`, take one if at least one
 * is there. The row lock of the UPSERT serialises concurrent takes of one account.
 */
export async function takeFromPostgresBucket(db: Kysely<Database>, accountId: string, capacity: number, perSecond: number): Promise<BucketTake> {
  const now = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
  const refilled = sql`least(${capacity}::double precision, rate_buckets.tokens + greatest(0, ${now} - rate_buckets.updated_at) * ${perSecond}::double precision / 1000)`;
  const result = await sql<{ tokens: number; allowed: number }>`
    insert into rate_buckets (account_id, tokens, updated_at, allowed)
    values (${accountId}, ${capacity - 1}, ${now}, 1)
    on conflict (account_id) do update set
      tokens = case when ${refilled} >= 1 then ${refilled} - 1 else ${refilled} end,
      allowed = case when ${refilled} >= 1 then 1 else 0 end,
      updated_at = greatest(rate_buckets.updated_at, ${now})
    returning tokens, allowed`.execute(db);
  const row = result.rows[0]!;
  return { allowed: Number(row.allowed) === 1, remaining: Number(row.tokens) };
}
