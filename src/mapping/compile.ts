import { compileDocument } from './builder.js';
import { MappingValidationError, type RecordError } from './errors.js';
import { LookupBatch, NO_PORT } from './lookup-batch.js';
import type { DynamicLookup, ImportLookups, LookupAnswer, LookupPort } from './lookups.js';
import { planMapping } from './plan.js';
import { NO_ROW, PENDING, type Cx, type Produce } from './runtime.js';
import type { Mapping, NamedLookupDefinition } from './schema.js';

/** What became of one input record: the mapped record, or why it could not be mapped. */
export type MapOutcome = { record: Record<string, unknown> } | { errors: RecordError[] };

/**
 * A mapping compiled once per run. Every map* method returns one outcome per input record, in
 * input order; a record is never dropped.
 */
export interface CompiledMapping {
  /** True when there is no mapping (absent, or without field and list rules): records pass unchanged. */
  readonly passThrough: boolean;
  /** Dynamic lookups the rules use; when empty, mapPageSync and mapRecord may be used. */
  readonly dynamicLookups: readonly DynamicLookup[];
  /**
   * Maps a page. Dynamic lookups go through `port`, once per lookup with the page's distinct values;
   * without a port they fail as record errors.
   */
  mapPage(records: readonly unknown[], port?: LookupPort): Promise<MapOutcome[]>;
  /** Synchronous page mapping; throws if the mapping uses dynamic lookups. */
  mapPageSync(records: readonly unknown[]): MapOutcome[];
  /** Synchronous single-record mapping; throws if the mapping uses dynamic lookups. */
  mapRecord(record: unknown): MapOutcome;
}

const NOT_AN_OBJECT: RecordError = {
  code: 'invalid_record',
  message: 'mapping a record: a record must be a JSON object',
};

const noDynamic = (): LookupAnswer => {
  throw new Error('this mapping uses dynamic lookups: call mapPage');
};

class CompiledMappingImpl implements CompiledMapping {
  readonly passThrough: boolean;
  readonly dynamicLookups: readonly DynamicLookup[];
  readonly #build: Produce;

  constructor(build: Produce, passThrough: boolean, dynamicLookups: readonly DynamicLookup[]) {
    this.#build = build;
    this.passThrough = passThrough;
    this.dynamicLookups = dynamicLookups;
  }

  #mapOne(record: unknown, cx: Cx): MapOutcome {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return { errors: [{ ...NOT_AN_OBJECT }] };
    }
    if (this.passThrough) return { record: record as Record<string, unknown> };
    cx.errors = null;
    cx.rowIndex = 0;
    let out: unknown;
    try {
      out = this.#build(record, NO_ROW, cx);
    } catch (err) {
      cx.errors = null;
      const message = `mapping a record: ${err instanceof Error ? err.message : String(err)}`;
      return { errors: [{ code: 'mapping_failed', message }] };
    }
    const errors = cx.errors;
    if (errors !== null) {
      cx.errors = null;
      return { errors };
    }
    return { record: out as Record<string, unknown> };
  }

  mapRecord(record: unknown): MapOutcome {
    this.#requireStatic();
    return this.#mapOne(record, { errors: null, rowIndex: 0, dynamic: noDynamic });
  }

  mapPageSync(records: readonly unknown[]): MapOutcome[] {
    this.#requireStatic();
    const cx: Cx = { errors: null, rowIndex: 0, dynamic: noDynamic };
    const out: MapOutcome[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) out[i] = this.#mapOne(records[i], cx);
    return out;
  }

  async mapPage(records: readonly unknown[], port?: LookupPort): Promise<MapOutcome[]> {
    if (this.dynamicLookups.length === 0) return this.mapPageSync(records);
    const batch = new LookupBatch(this.dynamicLookups);
    // First pass: only record which values each dynamic lookup needs.
    const collect: Cx = {
      errors: null,
      rowIndex: 0,
      dynamic: (index, value) => {
        batch.want(index, value);
        return PENDING;
      },
    };
    for (const record of records) this.#mapOne(record, collect);
    await batch.fetch(port ?? NO_PORT);
    const cx: Cx = { errors: null, rowIndex: 0, dynamic: (index, value) => batch.answer(index, value) };
    return records.map((record) => this.#mapOne(record, cx));
  }

  #requireStatic(): void {
    if (this.dynamicLookups.length > 0) {
      const names = this.dynamicLookups.map((l) => l.name).join(', ');
      throw new Error(`this mapping uses dynamic lookups (${names}): call mapPage`);
    }
  }
}

/**
 * Compiles a mapping (with the import-level `lookups[]`, or `importLookupsOf(importDoc)`) once per
 * run: paths, templates, conversions and lookups are resolved here, never per record. Throws
 * MappingValidationError listing every problem validateMapping would report.
 */
export function compileMapping(
  mapping: Mapping | null | undefined,
  lookups?: readonly NamedLookupDefinition[] | ImportLookups | null,
): CompiledMapping {
  const plan = planMapping(mapping, lookups);
  if (plan.issues.length > 0) throw new MappingValidationError(plan.issues);
  const dynamic: DynamicLookup[] = [];
  const dynamicIndex = (lookup: DynamicLookup): number => {
    const i = dynamic.indexOf(lookup);
    return i >= 0 ? i : dynamic.push(lookup) - 1;
  };
  const build = compileDocument(plan.tree, dynamicIndex);
  const passThrough = plan.fields.length === 0 && plan.lists.length === 0;
  return new CompiledMappingImpl(build, passThrough, dynamic);
}
