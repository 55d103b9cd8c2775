import cliProgress from 'cli-progress';
import type { Services } from '../domain/services.js';
import { findJobById } from '../store/jobs.js';

export interface JobSummary {
  status: string;
  exported: number;
  imported: number;
  ignored: number;
  errors: number;
  elapsedMs: number;
  failureReason?: string;
}

/**
 * Follows a flow job until it ends, drawing a progress bar of records through the flow
 * (when the terminal is interactive), and returns its counts.
 */
export async function followJob(services: Services, jobId: string, options: { expectedRecords?: number; label: string }): Promise<JobSummary> {
  const db = services.store.db;
  const started = Date.now();
  const bar = process.stdout.isTTY
    ? new cliProgress.SingleBar({ format: `${options.label} [{bar}] {value}/{total} records | errors {errors} | {status}`, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(options.expectedRecords ?? 0, 0, { errors: 0, status: 'queued' });
  let job = await findJobById(db, jobId);
  while (job && !['completed', 'failed', 'canceled'].includes(job.status)) {
    await new Promise((r) => setTimeout(r, 100));
    job = await findJobById(db, jobId);
    if (job) {
      const processed = job.num_success - job.num_export + job.num_error + job.num_ignore;
      bar?.setTotal(Math.max(options.expectedRecords ?? 0, job.num_export));
      bar?.update(Math.max(0, processed), { errors: job.num_error, status: job.status });
    }
  }
  bar?.stop();
  if (!job) throw new Error(`job ${jobId} disappeared`);
  const extra = JSON.parse(job.extra) as { failureReason?: string };
  return {
    status: job.status,
    exported: job.num_export,
    // Export children count exported records as successes too; what was imported is the rest.
    imported: job.num_success - job.num_export,
    ignored: job.num_ignore,
    errors: job.num_error,
    elapsedMs: (job.ended_at ?? Date.now()) - (job.started_at ?? started),
    ...(extra.failureReason ? { failureReason: extra.failureReason } : {}),
  };
}
