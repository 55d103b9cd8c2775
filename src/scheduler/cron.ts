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

/**
 * The latest run time in (after, now], if any: missed slots collapse into one run. Found from both
 * ends (the first slot after `after`, the last at or before `now`), so a long gap costs no more than
 * a short one.
 */
export function latestDueSlot(cron: Cron, after: number, now: number): number | undefined {
  const first = cron.nextRun(new Date(after));
  if (!first || first.getTime() > now) return undefined;
  // previousRuns counts a run earlier in the reference's second: one millisecond past `now` includes `now`.
  const last = cron.previousRuns(1, new Date(now + 1))[0];
  return last && last.getTime() <= now && last.getTime() > first.getTime() ? last.getTime() : first.getTime();
}

/** Whether `timezone` is an IANA time zone this runtime knows. */
export function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a schedule cannot be saved (spec §7.2), or undefined when it is valid: six fields, the first
 * `?` (or `0`: second 0), the rest a cron expression croner accepts in the given time zone.
 */
export function scheduleProblem(schedule: string, timezone?: string): string | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) return `schedule "${schedule}" must have six fields: "? minute hour dayOfMonth month dayOfWeek"`;
  if (fields[0] !== '?' && fields[0] !== '0') return `schedule "${schedule}": the first field must be "?" (second 0; the shortest interval is one minute)`;
  try {
    const cron = parseSchedule(schedule, timezone && isTimezone(timezone) ? timezone : undefined);
    if (!cron.nextRun(new Date())) return `schedule "${schedule}" never runs`;
  } catch (err) {
    return `schedule "${schedule}": ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}
