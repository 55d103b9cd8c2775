import { describeValue, type DynamicLookup, type LookupAnswer, type LookupPort } from './lookups.js';

/** Distinct values of one dynamic lookup within a page, and their answers once fetched. */
class ValueTable {
  // Primitives key themselves; objects (whole records) key by their JSON text.
  readonly #primitive = new Map<unknown, LookupAnswer | undefined>();
  readonly #object = new Map<string, LookupAnswer | undefined>();
  readonly values: unknown[] = [];

  add(value: unknown): void {
    if (typeof value === 'object' && value !== null) {
      const key = JSON.stringify(value);
      if (this.#object.has(key)) return;
      this.#object.set(key, undefined);
    } else {
      if (this.#primitive.has(value)) return;
      this.#primitive.set(value, undefined);
    }
    this.values.push(value);
  }

  set(value: unknown, answer: LookupAnswer): void {
    if (typeof value === 'object' && value !== null) this.#object.set(JSON.stringify(value), answer);
    else this.#primitive.set(value, answer);
  }

  get(value: unknown): LookupAnswer | undefined {
    return typeof value === 'object' && value !== null
      ? this.#object.get(JSON.stringify(value))
      : this.#primitive.get(value);
  }
}

const NOT_FETCHED: LookupAnswer = { error: 'value was not looked up' };

/**
 * The page-scoped cache: the mapper first runs over the page recording the values each dynamic
 * lookup needs, then fetch() asks the port once per lookup, then answer() serves the second run.
 */
export class LookupBatch {
  readonly #lookups: readonly DynamicLookup[];
  readonly #tables: ValueTable[];

  constructor(lookups: readonly DynamicLookup[]) {
    this.#lookups = lookups;
    this.#tables = lookups.map(() => new ValueTable());
  }

  want(index: number, value: unknown): void {
    (this.#tables[index] as ValueTable).add(value);
  }

  answer(index: number, value: unknown): LookupAnswer {
    return (this.#tables[index] as ValueTable).get(value) ?? NOT_FETCHED;
  }

  async fetch(port: LookupPort): Promise<void> {
    await Promise.all(
      this.#lookups.map(async (lookup, i) => {
        const table = this.#tables[i] as ValueTable;
        if (table.values.length === 0) return;
        let answers: readonly LookupAnswer[] | undefined;
        let failure: string | undefined;
        try {
          answers = await port.lookup(lookup, table.values);
        } catch (err) {
          failure = batchFailure(table.values, err);
        }
        table.values.forEach((value, j) => {
          const a = answers?.[j];
          const isError = typeof a === 'object' && a !== null && typeof (a as { error?: unknown }).error === 'string';
          if (Array.isArray(a) || isError) {
            table.set(value, a);
          } else {
            table.set(value, { error: failure ?? `the lookup port gave no answer for ${describeValue(value)}` });
          }
        });
      }),
    );
  }
}

/**
 * Why every value of a lookup failed when the port call itself was rejected. The rejection may concern
 * any one of the values (its message may quote that value's request), so it is quoted only when the
 * page asked for a single value; otherwise each value gets a generic reason (the record error names the
 * lookup and the record's own value).
 */
function batchFailure(values: readonly unknown[], err: unknown): string {
  if (values.length === 1) return err instanceof Error ? err.message : String(err);
  return `the lookup could not be run for the ${values.length} values of this page`;
}

/** Used when a page needs dynamic lookups and no port was given (e.g. a preview without connections). */
export const NO_PORT: LookupPort = {
  lookup: async (lookup, values) =>
    values.map(() => ({ error: `no connection is available to run dynamic lookup "${lookup.name}"` })),
};
