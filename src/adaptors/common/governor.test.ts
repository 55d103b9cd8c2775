import { describe, expect, it } from 'vitest';
import { createGovernor, governorFor } from './governor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('governor', () => {
  it('caps requests in flight', async () => {
    const g = createGovernor({ concurrency: 2 });
    let active = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        g.run(async () => {
          active++;
          max = Math.max(max, active);
          await sleep(10);
          active--;
        }),
      ),
    );
    expect(max).toBe(2);
    expect(g.active).toBe(0);
  });

  it('spaces request starts by the minimum interval', async () => {
    const g = createGovernor({ minIntervalMs: 40 });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => g.run(async () => void starts.push(performance.now()))));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(39);
  });

  it('pause holds every request back', async () => {
    const g = createGovernor({});
    g.pause(60);
    const t0 = performance.now();
    await g.run(async () => {});
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('a waiting acquire rejects when its signal aborts', async () => {
    const g = createGovernor({ concurrency: 1 });
    const release = await g.acquire();
    const ac = new AbortController();
    const waiting = g.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(g.waiting).toBe(0);
    release();
  });

  it('is shared per key, and the latest limits win', () => {
    const a = governorFor('gov-test-key', { concurrency: 3 });
    const b = governorFor('gov-test-key', { concurrency: 5, minIntervalMs: 10 });
    expect(a).toBe(b);
    expect(a.limits).toEqual({ concurrency: 5, minIntervalMs: 10 });
  });
});
