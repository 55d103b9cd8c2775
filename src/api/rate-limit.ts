import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';
import type { Store } from '../store/database.js';
import { takeFromPostgresBucket, type BucketTake } from '../store/rate-buckets.js';

export interface RateLimitOptions {
  /** Bucket size: the burst an account may send at once (default 1000). */
  capacity: number;
  /** Tokens added per second (default 300). */
  perSecond: number;
}

export const defaultRateLimit: RateLimitOptions = { capacity: 1000, perSecond: 300 };

type Take = (accountId: string) => Promise<BucketTake> | BucketTake;

/** One process (embedded SQLite): the buckets live in memory. */
function memoryBuckets({ capacity, perSecond }: RateLimitOptions): Take {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (accountId) => {
    const now = performance.now();
    const b = buckets.get(accountId) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) * perSecond) / 1000);
    b.at = now;
    buckets.set(accountId, b);
    if (b.tokens < 1) return { allowed: false, remaining: b.tokens };
    b.tokens -= 1;
    return { allowed: true, remaining: b.tokens };
  };
}

/**
 * Per-account leaky bucket (spec §2): each authenticated request costs one token; an empty bucket answers
 * 429 with `Retry-After` (whole seconds until one token) and the envelope. On PostgreSQL the bucket is a
 * row shared by every API process.
 */
async function rateLimit(app: FastifyInstance, options: { store: Store; limits?: Partial<RateLimitOptions> }) {
  const limits = { ...defaultRateLimit, ...options.limits };
  if (limits.capacity <= 0) return;
  const take: Take = options.store.dialect === 'postgres'
    ? (accountId) => takeFromPostgresBucket(options.store.db, accountId, limits.capacity, limits.perSecond)
    : memoryBuckets(limits);
  app.addHook('onRequest', async (request, reply) => {
    // Runs after auth (registered later): only authenticated requests have an account to charge.
    if (!request.identity) return;
    const result = await take(request.identity.accountId);
    reply.header('X-RateLimit-Limit', String(limits.capacity));
    reply.header('X-RateLimit-Remaining', String(Math.max(0, Math.floor(result.remaining))));
    if (!result.allowed) {
      const seconds = Math.max(1, Math.ceil(((1 - result.remaining) * 1000) / limits.perSecond / 1000));
      reply.header('Retry-After', String(seconds));
      throw new ApiError('rate_limited', `Too many requests. Retry after ${seconds} second${seconds === 1 ? '' : 's'}.`);
    }
  });
}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['auth'] });
