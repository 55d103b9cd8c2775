import type { Adaptor, AdaptorSession, DataRecord, Doc, RecordOutcome, RunContext } from '../adaptors/adaptor.js';
import { compileMapping, importLookupsOf, type CompiledMapping, type LookupPort } from '../mapping/index.js';
import { noHooks, type PageHooks } from './hook-points.js';
import type { ProcessorStep, RecordResult, StepOutput } from './processor-step.js';
import { errorMessage } from './record-errors.js';

/**
 * One import page processor: (preMap) → mapping with lookups → (postMap) → submit, then the adaptor's
 * per-record outcomes become results. Every record ends as a success, an ignore or a failure.
 */
export class ImportStep implements ProcessorStep {
  readonly importDoc: Doc;
  readonly #session: AdaptorSession;
  readonly #mapping: CompiledMapping;
  readonly #hooks: PageHooks;

  private constructor(importDoc: Doc, session: AdaptorSession, mapping: CompiledMapping, hooks: PageHooks) {
    this.importDoc = importDoc;
    this.#session = session;
    this.#mapping = mapping;
    this.#hooks = hooks;
  }

  static async open(importDoc: Doc, connection: Doc, adaptor: Adaptor, hooks: PageHooks = noHooks): Promise<ImportStep> {
    const mapping = compileMapping(importDoc.mapping as never, importLookupsOf(importDoc));
    const session = await adaptor.open(connection);
    if (!session.importRecords) {
      await session.close();
      throw new Error(`the ${adaptor.connectionType} adaptor cannot import records`);
    }
    return new ImportStep(importDoc, session, mapping, hooks);
  }

  async processPage(input: DataRecord[], ctx: RunContext, pageIndex: number): Promise<StepOutput> {
    const session = this.#session;
    const results: RecordResult[] = new Array(input.length);
    const records = await this.#hooks.preMap(this.importDoc._id, input);
    const port: LookupPort | undefined = session.lookup
      ? { lookup: (lookup, values) => session.lookup!({ import: this.importDoc, lookup: { ...lookup.definition }, values: [...values] }, ctx) }
      : undefined;
    const mapped = await this.#mapping.mapPage(records, port);
    let toSubmit: DataRecord[] = [];
    const submittedIndex: number[] = [];
    mapped.forEach((m, i) => {
      if ('record' in m) {
        toSubmit.push(m.record as DataRecord);
        submittedIndex.push(i);
      } else {
        const errors = m.errors.map((e) => ({ code: e.code, message: e.field ? `${e.field}: ${e.message}` : e.message, source: 'mapping' }));
        results[i] = { status: 'failed', response: { statusCode: 422, errors }, errors };
      }
    });
    toSubmit = await this.#hooks.postMap(this.importDoc._id, toSubmit);
    const output: StepOutput = { results, ...(ctx.testMode ? { preview: toSubmit } : {}) };
    if (toSubmit.length === 0) return output;

    let outcomes: RecordOutcome[];
    try {
      outcomes = await session.importRecords!({ import: this.importDoc, records: toSubmit, pageIndex }, ctx);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // The whole page failed (the application is unreachable, say): every record keeps its retry data.
      const errors = [{ code: 'page_failed', message: errorMessage(err), source: 'connection' }];
      for (const i of submittedIndex) results[i] = { status: 'failed', response: { statusCode: 500, errors }, errors };
      return output;
    }
    if (outcomes.length !== toSubmit.length) {
      const errors = [{ code: 'internal_error', message: `the adaptor answered ${outcomes.length} outcomes for ${toSubmit.length} records`, source: 'internal' }];
      for (const i of submittedIndex) results[i] = { status: 'failed', response: { statusCode: 500, errors }, errors };
      return output;
    }
    outcomes.forEach((o, k) => {
      const i = submittedIndex[k]!;
      const ok = o.statusCode >= 200 && o.statusCode < 300;
      const errors = (o.errors ?? []).map((e) => ({ code: e.code, message: e.message, source: e.source ?? 'application' }));
      if (!ok && errors.length === 0) errors.push({ code: String(o.statusCode), message: `the application answered ${o.statusCode}`, source: 'application' });
      results[i] = {
        status: !ok ? 'failed' : o.ignored ? 'ignored' : 'success',
        response: { statusCode: o.statusCode, id: o.id, ignored: o.ignored === true, errors, _json: o._json },
        errors,
      };
    });
    return output;
  }

  /** The run completed: the adaptor delivers what it kept for the end of the run (one file per run). */
  async commit(ctx: RunContext) {
    if (ctx.testMode === true || !this.#session.commitImport) return;
    await this.#session.commitImport({ import: this.importDoc }, ctx);
  }

  async close() {
    await this.#session.close();
  }
}
