import type { Adaptor, AdaptorSession, DataRecord, Doc, RunContext } from '../adaptors/adaptor.js';
import type { ProcessorStep, RecordResult, StepOutput } from './processor-step.js';
import { errorMessage } from './record-errors.js';

/** Results one lookup call may bring back; more is almost always a wrong query, and memory stays bounded. */
const MAX_LOOKUP_RECORDS = 1000;
/** Records looked up at once. */
const CONCURRENCY = 4;

/**
 * An export used as a lookup page processor: called once per record, with the record in its templates
 * (`{{data.x}}`, `{{record.x}}`), answering `{data: [...], errors: [...]}` for response mapping.
 */
export class LookupStep implements ProcessorStep {
  readonly exportDoc: Doc;
  readonly #session: AdaptorSession;

  private constructor(exportDoc: Doc, session: AdaptorSession) {
    this.exportDoc = exportDoc;
    this.#session = session;
  }

  static async open(exportDoc: Doc, connection: Doc, adaptor: Adaptor): Promise<LookupStep> {
    const session = await adaptor.open(connection);
    if (!session.exportPages) {
      await session.close();
      throw new Error(`the ${adaptor.connectionType} adaptor cannot run exports as lookups`);
    }
    return new LookupStep(exportDoc, session);
  }

  async processPage(records: DataRecord[], ctx: RunContext): Promise<StepOutput> {
    const results: RecordResult[] = new Array(records.length);
    let next = 0;
    const worker = async () => {
      while (next < records.length) {
        const i = next++;
        results[i] = await this.#lookup(records[i]!, ctx);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, records.length) }, worker));
    return { results };
  }

  async #lookup(record: DataRecord, ctx: RunContext): Promise<RecordResult> {
    const data: DataRecord[] = [];
    const recordCtx: RunContext = { ...ctx, templateData: { ...ctx.templateData, data: record, record } };
    const pageSize = typeof this.exportDoc.pageSize === 'number' ? this.exportDoc.pageSize : 20;
    try {
      for await (const page of this.#session.exportPages!({ export: this.exportDoc, pageSize, limit: MAX_LOOKUP_RECORDS }, recordCtx)) {
        data.push(...page.records);
        if (data.length >= MAX_LOOKUP_RECORDS) break;
      }
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const errors = [{ code: 'lookup_failed', message: `lookup ${this.exportDoc._id}${this.exportDoc.name ? ` (${String(this.exportDoc.name)})` : ''}: ${errorMessage(err)}`, source: 'lookup' }];
      return { status: 'failed', response: { data: [], errors }, errors };
    }
    return { status: 'success', response: { data, errors: [] }, errors: [] };
  }

  async close() {
    await this.#session.close();
  }
}
