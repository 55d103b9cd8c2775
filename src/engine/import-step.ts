import type { Adaptor, AdaptorSession, DataRecord, Doc, RunContext } from '../adaptors/adaptor.js';
import { compileMapping, type CompiledMapping, type LookupPort } from '../mapping/index.js';
import type { RecordFailure } from './record-errors.js';

export interface StepResult {
  /** Indexes (into the page) of records that succeeded or were ignored: they go on to later steps. */
  passed: number[];
  success: number;
  ignored: number;
  /** Records that failed (a record may carry several failures). */
  failed: number;
  failures: RecordFailure[];
}

/**
 * One import page processor: map the page, submit it, and turn the adaptor's per-record outcomes
 * into counts and failures. Every record ends as a success, an ignore or a failure; none is dropped.
 */
export class ImportStep {
  readonly importDoc: Doc;
  readonly #session: AdaptorSession;
  readonly #mapping: CompiledMapping;

  private constructor(importDoc: Doc, session: AdaptorSession, mapping: CompiledMapping) {
    this.importDoc = importDoc;
    this.#session = session;
    this.#mapping = mapping;
  }

  static async open(importDoc: Doc, connection: Doc, adaptor: Adaptor): Promise<ImportStep> {
    const mapping = compileMapping(importDoc.mapping as never, importDoc.lookups as never);
    const session = await adaptor.open(connection);
    if (!session.importRecords) {
      await session.close();
      throw new Error(`the ${adaptor.connectionType} adaptor cannot import records`);
    }
    return new ImportStep(importDoc, session, mapping);
  }

  async processPage(records: DataRecord[], ctx: RunContext): Promise<StepResult> {
    const result: StepResult = { passed: [], success: 0, ignored: 0, failed: 0, failures: [] };
    const session = this.#session;
    const port: LookupPort | undefined = session.lookup
      ? { lookup: (lookup, values) => session.lookup!({ import: this.importDoc, lookup: { ...lookup.definition }, values: [...values] }, ctx) }
      : undefined;
    const mapped = await this.#mapping.mapPage(records, port);
    const toSubmit: DataRecord[] = [];
    const submittedIndex: number[] = [];
    mapped.forEach((m, i) => {
      if ('record' in m) {
        toSubmit.push(m.record as DataRecord);
        submittedIndex.push(i);
      } else {
        result.failed++;
        for (const e of m.errors) {
          result.failures.push({ code: e.code, message: e.field ? `${e.field}: ${e.message}` : e.message, source: 'mapping', record: records[i] });
        }
      }
    });
    if (toSubmit.length === 0) return result;

    let outcomes;
    try {
      outcomes = await session.importRecords!({ import: this.importDoc, records: toSubmit }, ctx);
    } catch (err) {
      // The whole page failed (the application is unreachable, say): every record keeps its retry data.
      const message = err instanceof Error ? err.message : String(err);
      result.failed += submittedIndex.length;
      for (const i of submittedIndex) result.failures.push({ code: 'page_failed', message, source: 'connection', record: records[i] });
      return result;
    }
    if (outcomes.length !== toSubmit.length) {
      result.failed += submittedIndex.length;
      for (const i of submittedIndex) {
        result.failures.push({ code: 'internal_error', message: `the adaptor answered ${outcomes.length} outcomes for ${toSubmit.length} records`, source: 'internal', record: records[i] });
      }
      return result;
    }
    outcomes.forEach((o, k) => {
      const i = submittedIndex[k]!;
      const ok = o.statusCode >= 200 && o.statusCode < 300;
      if (ok && o.ignored) {
        result.ignored++;
        result.passed.push(i);
      } else if (ok) {
        result.success++;
        result.passed.push(i);
      } else {
        result.failed++;
      }
      // A success may still carry errors (partial success): they are recorded but the record counts as a success.
      const errors = o.errors ?? [];
      if (!ok && errors.length === 0) errors.push({ code: String(o.statusCode), message: `the application answered ${o.statusCode}` });
      for (const e of errors) {
        result.failures.push({ code: e.code, message: e.message, source: e.source ?? 'application', record: records[i] });
      }
    });
    return result;
  }

  async close() {
    await this.#session.close();
  }
}
