import { describe, expect, it } from 'vitest';
import { compileMapping, importLookupsOf, validateMapping, type DynamicLookup, type LookupAnswer, type LookupPort, type Mapping } from './index.js';

const rule1 = { fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] };
const fieldsOf = (issues: { field: string }[]) => issues.map((i) => i.field);

/** A port over an in-memory table that records every call it gets. */
function fakePort(table: Record<string, Record<string, unknown[]>>, failing: string[] = []) {
  const calls: Array<{ lookup: string; values: unknown[] }> = [];
  const port: LookupPort = {
    async lookup(lookup: DynamicLookup, values: readonly unknown[]): Promise<LookupAnswer[]> {
      calls.push({ lookup: lookup.name, values: [...values] });
      if (failing.includes(lookup.name)) throw new Error('connection refused');
      return values.map((v) => table[lookup.name]?.[String(v)] ?? []);
    },
  };
  return { port, calls };
}

const currency = { map: { US: 'USD', NO: 'NOK' } };

describe('static lookups', () => {
  it('maps a value through the table', async () => {
    const mapping: Mapping = {
      fields: [{ extract: 'country', generate: 'currency', lookupName: 'currency' }],
      lookups: { currency },
    };
    expect(compileMapping(mapping).mapRecord({ country: 'NO' })).toStrictEqual({ record: { currency: 'NOK' } });
    expect(compileMapping(mapping).mapRecord({ country: 'SE' })).toStrictEqual({
      errors: [{ code: 'lookup_failed', message: 'lookup "currency": no match for "SE"', field: 'currency' }],
    });
  });

  it('looks non-string values up by their text and never finds inherited keys', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'code', generate: 'name', lookupName: 'codes' }],
      lookups: { codes: { map: { '1': 'one', true: 'yes' } } },
    };
    const compiled = compileMapping(mapping);
    expect(compiled.mapRecord({ code: 1 })).toStrictEqual({ record: { name: 'one' } });
    expect(compiled.mapRecord({ code: true })).toStrictEqual({ record: { name: 'yes' } });
    expect(compiled.mapRecord({ code: 'constructor' })).toMatchObject({ errors: [{ code: 'lookup_failed' }] });
  });

  it('with allowFailures gives the lookup default, else the rule default, else ""', () => {
    const rule = { extract: 'country', generate: 'currency', lookupName: 'l' };
    const run = (lookup: object, extra: object = {}) =>
      compileMapping({ fields: [{ ...rule, ...extra }], lookups: { l: { ...currency, ...lookup } } }).mapRecord({ country: 'SE' });
    expect(run({ allowFailures: true, default: 'EUR' })).toStrictEqual({ record: { currency: 'EUR' } });
    expect(run({ allowFailures: true }, { default: 'GBP' })).toStrictEqual({ record: { currency: 'GBP' } });
    expect(run({ allowFailures: true })).toStrictEqual({ record: { currency: '' } });
    expect(run({ allowFailures: 'true', default: null })).toStrictEqual({ record: { currency: null } });
  });

  it('without allowFailures the rule default still answers a failed lookup', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'country', generate: 'currency', lookupName: 'l', default: 'USD' }],
      lookups: { l: currency },
    };
    expect(compileMapping(mapping).mapRecord({ country: 'SE' })).toStrictEqual({ record: { currency: 'USD' } });
  });

  it('DESIGN.md: a missing source value is a failed lookup (default with allowFailures, record error without)', () => {
    const rule = { extract: 'country', generate: 'currency', lookupName: 'l' };
    const strict = compileMapping({ fields: [rule], lookups: { l: currency } });
    expect(strict.mapRecord({})).toStrictEqual({
      errors: [{ code: 'lookup_failed', message: 'lookup "l": the value to look up is missing', field: 'currency' }],
    });
    expect(strict.mapRecord({ country: null })).toMatchObject({ errors: [{ code: 'lookup_failed' }] });
    const lenient = compileMapping({ fields: [rule], lookups: { l: { ...currency, allowFailures: true, default: 'XXX' } } });
    expect(lenient.mapRecord({})).toStrictEqual({ record: { currency: 'XXX' } });
  });

  it('DESIGN.md: dataType applies to looked-up values', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'size', generate: 'qty', lookupName: 'sizes', dataType: 'number' }],
      lookups: { sizes: { map: { dozen: '12' } } },
    };
    expect(compileMapping(mapping).mapRecord({ size: 'dozen' })).toStrictEqual({ record: { qty: 12 } });
  });

  it('DESIGN.md: the import-level lookups[] array and mapping.lookups normalise to the same lookups', () => {
    const fields = [{ extract: 'country', generate: 'currency', lookupName: 'currency' }];
    const fromImport = compileMapping({ fields }, [{ name: 'currency', ...currency }]);
    const fromMappingObject = compileMapping({ fields, lookups: { currency } });
    const fromMappingArray = compileMapping({ fields, lookups: [{ name: 'currency', ...currency }] });
    for (const compiled of [fromImport, fromMappingObject, fromMappingArray]) {
      expect(compiled.mapRecord({ country: 'US' })).toStrictEqual({ record: { currency: 'USD' } });
    }
  });

  it('finds the lookups of older imports under rest, http, netsuite and netsuite_da, naming their place in messages', async () => {
    const idLookup = { name: 'idLookup', relativeURI: '/customers?ns_id={internalId}', method: 'GET', extract: '0.id' };
    const mapping: Mapping = { fields: [{ extract: 'internalId', generate: 'id', lookupName: 'idLookup' }] };
    const restImport = { mapping, rest: { relativeURI: ['/customers/{idLookup}', '/customers'], lookups: [idLookup] } };
    expect(validateMapping(mapping, (restImport as { lookups?: never }).lookups)).toMatchObject([{ field: 'mapping.fields[0].lookupName' }]);
    expect(validateMapping(mapping, importLookupsOf(restImport))).toEqual([]);
    const { port, calls } = fakePort({ idLookup: { '7': ['C7'] } });
    expect(await compileMapping(mapping, importLookupsOf(restImport)).mapPage([{ internalId: '7' }], port)).toStrictEqual([{ record: { id: 'C7' } }]);
    expect(calls).toEqual([{ lookup: 'idLookup', values: ['7'] }]);

    for (const block of ['http', 'netsuite', 'netsuite_da']) {
      expect(validateMapping(mapping, importLookupsOf({ [block]: { lookups: [idLookup] } }))).toEqual([]);
    }
    // Top-level and block lookups merge by name; the same definition repeated is one lookup, a different one is reported.
    const both = { lookups: [{ name: 'currency', ...currency }], rest: { lookups: [idLookup] }, http: { lookups: [idLookup] } };
    const rules: Mapping = { fields: [...mapping.fields!, { extract: 'c', generate: 'cur', lookupName: 'currency' }] };
    expect(validateMapping(rules, importLookupsOf(both))).toEqual([]);
    expect(validateMapping(rules, importLookupsOf({ ...both, http: { lookups: [{ ...idLookup, extract: '1.id' }] } }))).toEqual([
      { code: 'invalid_field', field: 'http.lookups[0].name', message: 'lookup name "idLookup" is defined twice' },
    ]);
    expect(validateMapping(mapping, importLookupsOf({ rest: { lookups: [{ ...idLookup, allowFailures: '0' }] } }))).toEqual([
      { code: 'invalid_field', field: 'rest.lookups[0].allowFailures', message: 'allowFailures must be true or false (got "0")' },
    ]);
  });

  it('applies per element of a collected [*] extract, and per list row', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'addresses[*].country', generate: 'currencies', lookupName: 'c' }],
      lists: [{ generate: 'rows', fields: [{ extract: 'addresses[*].country', generate: 'cur', lookupName: 'c' }] }],
      lookups: { c: currency },
    };
    const record = { addresses: [{ country: 'US' }, { country: 'NO' }, { country: 'SE' }] };
    expect(compileMapping(mapping).mapRecord(record)).toStrictEqual({
      errors: [
        { code: 'lookup_failed', message: 'lookup "c": no match for "SE"', field: 'currencies' },
        { code: 'lookup_failed', message: 'lookup "c": no match for "SE"', field: 'rows[2].cur' },
      ],
    });
    expect(compileMapping(mapping).mapRecord({ addresses: record.addresses.slice(0, 2) })).toStrictEqual({
      record: { currencies: ['USD', 'NOK'], rows: [{ cur: 'USD' }, { cur: 'NOK' }] },
    });
  });
});

describe('dynamic lookups through the port', () => {
  const mapping: Mapping = {
    fields: [
      { extract: 'id', generate: 'id' },
      { extract: 'email', generate: 'customerId', lookupName: 'customer' },
      { extract: 'email', generate: 'again', lookupName: 'customer' },
    ],
    lists: [{ generate: 'lines', fields: [{ extract: 'items[*].sku', generate: 'itemId', lookupName: 'item' }] }],
  };
  const lookups = [
    { name: 'customer', relativeURI: '/customers?email={email}', extract: '0.id' },
    { name: 'item', recordType: 'inventoryitem', searchField: 'itemid', resultField: 'internalid' },
  ];
  const table = {
    customer: { 'a@x': ['C1'], 'b@x': ['C2'] },
    item: { A: [101], B: [102], C: [103] },
  };

  it('asks once per lookup per page, with each distinct value once (cache within the page)', async () => {
    const { port, calls } = fakePort(table);
    const compiled = compileMapping(mapping, lookups);
    expect(() => compiled.mapPageSync([])).toThrow(/dynamic lookups/);
    const page = [
      { id: 1, email: 'a@x', items: [{ sku: 'A' }, { sku: 'B' }] },
      { id: 2, email: 'b@x', items: [{ sku: 'A' }] },
      { id: 3, email: 'a@x', items: [{ sku: 'C' }, { sku: 'B' }] },
    ];
    const outcomes = await compiled.mapPage(page, port);
    expect(outcomes).toStrictEqual([
      { record: { id: 1, customerId: 'C1', again: 'C1', lines: [{ itemId: 101 }, { itemId: 102 }] } },
      { record: { id: 2, customerId: 'C2', again: 'C2', lines: [{ itemId: 101 }] } },
      { record: { id: 3, customerId: 'C1', again: 'C1', lines: [{ itemId: 103 }, { itemId: 102 }] } },
    ]);
    expect(calls).toEqual([
      { lookup: 'customer', values: ['a@x', 'b@x'] },
      { lookup: 'item', values: ['A', 'B', 'C'] },
    ]);

    // The cache lives for one page only.
    await compiled.mapPage(page.slice(0, 1), port);
    expect(calls).toHaveLength(4);
  });

  it('makes no call for a page that needs no value', async () => {
    const { port, calls } = fakePort(table);
    const outcomes = await compileMapping(mapping, lookups).mapPage([{ id: 1, email: '' }], port);
    expect(calls).toEqual([]);
    expect(outcomes[0]).toMatchObject({ errors: [{ code: 'lookup_failed', field: 'customerId' }, { field: 'again' }] });
  });

  it('turns no match into a record error naming the lookup and the value; other records still map', async () => {
    const { port } = fakePort(table);
    const outcomes = await compileMapping(mapping, lookups).mapPage(
      [
        { id: 1, email: 'nobody@x', items: [] },
        { id: 2, email: 'b@x', items: [{ sku: 'Z' }] },
        { id: 3, email: 'b@x', items: [] },
      ],
      port,
    );
    expect(outcomes).toStrictEqual([
      {
        errors: [
          { code: 'lookup_failed', message: 'lookup "customer": no match for "nobody@x"', field: 'customerId' },
          { code: 'lookup_failed', message: 'lookup "customer": no match for "nobody@x"', field: 'again' },
        ],
      },
      { errors: [{ code: 'lookup_failed', message: 'lookup "item": no match for "Z"', field: 'lines[0].itemId' }] },
      { record: { id: 3, customerId: 'C2', again: 'C2', lines: [] } },
    ]);
  });

  it('handles several matches: error, first (pickFirstMatch or allowFailures), or default (useDefaultOnMultipleMatches)', async () => {
    const many = { customer: { 'a@x': ['C1', 'C9'] } };
    const rule = { fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] };
    const run = async (options: object) => {
      const compiled = compileMapping(rule, [{ name: 'customer', relativeURI: '/c', ...options }]);
      return (await compiled.mapPage([{ email: 'a@x' }], fakePort(many).port))[0];
    };
    expect(await run({})).toStrictEqual({
      errors: [{ code: 'lookup_failed', message: 'lookup "customer": 2 matches for "a@x"', field: 'c' }],
    });
    expect(await run({ pickFirstMatch: true })).toStrictEqual({ record: { c: 'C1' } });
    expect(await run({ allowFailures: true })).toStrictEqual({ record: { c: 'C1' } });
    expect(await run({ useDefaultOnMultipleMatches: true, default: 'none' })).toStrictEqual({ record: { c: 'none' } });
  });

  it('with useDefaultOnMultipleMatches and no lookup default, several matches give the rule\'s default, as no match does', async () => {
    const many = { customer: { 'a@x': ['C1', 'C9'] } };
    const compiled = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer', default: 'rule-default' }] }, [
      { name: 'customer', relativeURI: '/c', useDefaultOnMultipleMatches: true, allowFailures: true },
    ]);
    expect(await compiled.mapPage([{ email: 'a@x' }, { email: 'z@x' }], fakePort(many).port)).toStrictEqual([
      { record: { c: 'rule-default' } },
      { record: { c: 'rule-default' } },
    ]);
    const noDefaults = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] }, [
      { name: 'customer', relativeURI: '/c', useDefaultOnMultipleMatches: 'true' },
    ]);
    expect(await noDefaults.mapPage([{ email: 'a@x' }], fakePort(many).port)).toStrictEqual([{ record: { c: '' } }]);
  });

  it('reads allowFailures, pickFirstMatch and useDefaultOnMultipleMatches as true/false or "true"/"false" ("" is false)', async () => {
    const many = { customer: { 'a@x': ['C1', 'C9'] } };
    const rule = { fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] };
    const run = async (options: object) =>
      (await compileMapping(rule, [{ name: 'customer', relativeURI: '/c', ...options }]).mapPage([{ email: 'z@x' }, { email: 'a@x' }], fakePort(many).port));
    expect(await run({ allowFailures: 'true', default: 'g' })).toStrictEqual([{ record: { c: 'g' } }, { record: { c: 'C1' } }]);
    expect(await run({ allowFailures: ' TRUE ', default: 'g' })).toStrictEqual([{ record: { c: 'g' } }, { record: { c: 'C1' } }]);
    for (const off of ['', 'false', false, null]) {
      expect(await run({ allowFailures: off, pickFirstMatch: off, default: 'g' })).toMatchObject([
        { errors: [{ code: 'lookup_failed', message: 'lookup "customer": no match for "z@x"' }] },
        { errors: [{ code: 'lookup_failed', message: 'lookup "customer": 2 matches for "a@x"' }] },
      ]);
    }
  });

  it('reports any other allowFailures value, naming the lookup field', () => {
    for (const bad of ['0', '1', 'yes', 0, 1, {}, []]) {
      expect(validateMapping(rule1, [{ name: 'customer', relativeURI: '/c', allowFailures: bad as never }])).toEqual([
        { code: 'invalid_field', field: 'lookups[0].allowFailures', message: `allowFailures must be true or false (got ${JSON.stringify(bad)})` },
      ]);
    }
    expect(fieldsOf(validateMapping({ ...rule1, lookups: { customer: { map: {}, allowFailures: '0' } } }))).toEqual(['mapping.lookups.customer.allowFailures']);
    expect(fieldsOf(validateMapping(rule1, [{ name: 'customer', relativeURI: '/c', pickFirstMatch: {} as never, useDefaultOnMultipleMatches: 'no' }]))).toEqual([
      'lookups[0].pickFirstMatch',
      'lookups[0].useDefaultOnMultipleMatches',
    ]);
  });

  it('applies allowFailures and default to no match', async () => {
    const compiled = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] }, [
      { name: 'customer', relativeURI: '/c', allowFailures: true, default: 'guest' },
    ]);
    expect(await compiled.mapPage([{ email: 'z@x' }, {}], fakePort(table).port)).toStrictEqual([
      { record: { c: 'guest' } },
      { record: { c: 'guest' } },
    ]);
  });

  it('turns a port failure into a record error for every record that needed it, even with allowFailures', async () => {
    const { port, calls } = fakePort(table, ['customer']);
    const compiled = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] }, [
      { name: 'customer', relativeURI: '/c', allowFailures: true, default: 'guest' },
    ]);
    const outcomes = await compiled.mapPage([{ email: 'a@x' }, { email: 'a@x' }], port);
    const error = { code: 'lookup_failed', message: 'lookup "customer" failed for "a@x": connection refused', field: 'c' };
    expect(outcomes).toStrictEqual([{ errors: [error] }, { errors: [error] }]);
    expect(calls).toHaveLength(1);
  });

  it('when the port call for several values is rejected, no record is told another value\'s failure', async () => {
    const port: LookupPort = {
      lookup: async () => {
        throw new Error('lookup "customer": GET http://h/c?email=b%40x: HTTP 500');
      },
    };
    const compiled = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] }, [
      { name: 'customer', relativeURI: '/c' },
    ]);
    const outcomes = await compiled.mapPage([{ email: 'a@x' }, { email: 'b@x' }], port);
    expect(outcomes).toStrictEqual(
      ['a@x', 'b@x'].map((v) => ({
        errors: [
          {
            code: 'lookup_failed',
            message: `lookup "customer" failed for "${v}": the lookup could not be run for the 2 values of this page`,
            field: 'c',
          },
        ],
      })),
    );
  });

  it('accepts per-value errors and treats missing answers as failures', async () => {
    const port: LookupPort = {
      lookup: async (_lookup, values) => values.slice(0, 1).map(() => ({ error: 'timed out' })),
    };
    const compiled = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] }, [
      { name: 'customer', relativeURI: '/c' },
    ]);
    const outcomes = await compiled.mapPage([{ email: 'a@x' }, { email: 'b@x' }], port);
    expect(outcomes).toStrictEqual([
      { errors: [{ code: 'lookup_failed', message: 'lookup "customer" failed for "a@x": timed out', field: 'c' }] },
      {
        errors: [
          {
            code: 'lookup_failed',
            message: 'lookup "customer" failed for "b@x": the lookup port gave no answer for "b@x"',
            field: 'c',
          },
        ],
      },
    ]);
  });

  it('fails the records that need a dynamic lookup when no port is given', async () => {
    const outcomes = await compileMapping(mapping, lookups).mapPage([{ id: 1, email: 'a@x', items: [] }]);
    expect(outcomes[0]).toMatchObject({ errors: [{ code: 'lookup_failed', field: 'customerId' }, { field: 'again' }] });
  });

  it('gives the whole record to a lookup used without extract, deduplicating equal records', async () => {
    const seen: unknown[] = [];
    const port: LookupPort = {
      lookup: async (_lookup, values) => {
        seen.push(...values);
        return values.map((v) => [`T-${(v as { OrderNumber: string }).OrderNumber}`]);
      },
    };
    const compiled = compileMapping({ fields: [{ generate: 'transaction', lookupName: 'txn' }] }, [
      { name: 'txn', recordType: 'salesorder', expression: "[['tranid','is','{OrderNumber}']]" },
    ]);
    const outcomes = await compiled.mapPage([{ OrderNumber: '1' }, { OrderNumber: '2' }, { OrderNumber: '1' }], port);
    expect(outcomes).toStrictEqual([
      { record: { transaction: 'T-1' } },
      { record: { transaction: 'T-2' } },
      { record: { transaction: 'T-1' } },
    ]);
    expect(seen).toEqual([{ OrderNumber: '1' }, { OrderNumber: '2' }]);
  });

  it('copies looked-up objects so records never share them', async () => {
    const shared = { id: 'C1', tags: ['x'] };
    const port: LookupPort = { lookup: async (_l, values) => values.map(() => [shared]) };
    const compiled = compileMapping({ fields: [{ extract: 'email', generate: 'c', lookupName: 'customer' }] }, [
      { name: 'customer', relativeURI: '/c' },
    ]);
    const [a, b] = (await compiled.mapPage([{ email: 'a@x' }, { email: 'a@x' }], port)) as Array<{ record: any }>;
    a!.record.c.tags.push('changed');
    expect(b!.record.c).toStrictEqual({ id: 'C1', tags: ['x'] });
    expect(shared.tags).toEqual(['x']);
  });
});
