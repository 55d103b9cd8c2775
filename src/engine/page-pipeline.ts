import type { DataRecord, RunContext } from '../adaptors/adaptor.js';
import type { Counters } from '../store/jobs.js';
import type { ProcessorPlan } from './flow-plan.js';
import type { PageHooks } from './hook-points.js';
import type { ProcessorStep, StepOutput } from './processor-step.js';
import { errorMessage, type RecordFailure } from './record-errors.js';
import { applyResponseMapping } from './response-mapping.js';

export interface OpenProcessor {
  plan: ProcessorPlan;
  step: ProcessorStep;
}

/** What one page did at one step; the sink stores it (counts, errors, the page's next state) atomically. */
export interface StepReport {
  processor: OpenProcessor;
  counts: Counters;
  failures: RecordFailure[];
  /** Records going on to the next step (after response mapping), and its index. */
  next: { step: number; records: DataRecord[] };
  /** True when the page is finished (last step, or no record goes on). */
  done: boolean;
  output: StepOutput;
  input: DataRecord[];
}

/**
 * Runs a page from processor `fromStep` to the end. After each step `sink` is awaited with the step's
 * report before the next step starts, so a crash loses at most the step in flight.
 */
export async function runPageThroughSteps(
  processors: OpenProcessor[],
  fromStep: number,
  records: DataRecord[],
  pageIndex: number,
  ctx: RunContext,
  hooks: PageHooks,
  sink: (report: StepReport) => Promise<void>,
): Promise<void> {
  let current = records;
  for (let k = fromStep; k < processors.length; k++) {
    const processor = processors[k]!;
    const { plan, step } = processor;
    let output: StepOutput;
    try {
      output = current.length > 0 ? await step.processPage(current, ctx, pageIndex) : { results: [] };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const errors = [{ code: 'page_failed', message: errorMessage(err), source: plan.type === 'export' ? 'lookup' : 'connection' }];
      output = { results: current.map(() => ({ status: 'failed' as const, response: { errors }, errors })) };
    }
    const counts: Counters = { num_pages_processed: 1 };
    const failures: RecordFailure[] = [];
    let going: DataRecord[] = [];
    output.results.forEach((r, i) => {
      const record = current[i]!;
      if (r.status === 'success') counts.num_success = (counts.num_success ?? 0) + 1;
      else if (r.status === 'ignored') counts.num_ignore = (counts.num_ignore ?? 0) + 1;
      else counts.num_error = (counts.num_error ?? 0) + 1;
      if (r.errors.length > 0) failures.push({ errors: r.errors, record });
      if (r.status !== 'failed' || plan.proceedOnFailure) going.push(applyResponseMapping(record, r.response, plan.responseMapping));
    });
    counts.num_open_error = failures.reduce((n, f) => n + Math.max(1, f.errors.length), 0);
    going = await hooks.postResponseMap(plan.stepId, going);
    const done = k === processors.length - 1 || going.length === 0;
    await sink({ processor, counts, failures, next: { step: k + 1, records: going }, done, output, input: current });
    if (done) return;
    current = going;
  }
}
