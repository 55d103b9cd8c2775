import { Cron } from 'croner';

/**
 * A flow schedule (spec §7.2): six fields `"? minute hour dayOfMonth month dayOfWeek"`, evaluated in
 * the flow's IANA `timezone`. The leading `?` is the reference's seconds placeholder meaning second 0;
 * croner would read it as "every second", so it becomes `0` here (spec/stack.md §2.4).
 */
export function parseSchedule(schedule: string, timezone?: string): Cron {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`schedule "${schedule}" must have six fields: "? minute hour dayOfMonth month dayOfWeek"`);
  if (fields[0] === '?' || fields[0] === '*') fields[0] = '0';
  return new Cron(fields.join(' '), { paused: true, mode: '6-part', ...(timezone ? { timezone } : {}) });
}

/** The next `count` run times after `from`. */
export function nextRuns(schedule: string, timezone: string | undefined, from: Date, count: number): Date[] {
  return parseSchedule(schedule, timezone).nextRuns(count, from);
}

/** The latest run time in (after, now], if any: missed slots collapse into one run. */
export function latestDueSlot(cron: Cron, after: number, now: number): number | undefined {
  let slot = cron.nextRun(new Date(after));
  if (!slot || slot.getTime() > now) return undefined;
  for (let i = 0; i < 100_000; i++) {
    const next = cron.nextRun(slot);
    if (!next || next.getTime() > now) break;
    slot = next;
  }
  return slot.getTime();
}
