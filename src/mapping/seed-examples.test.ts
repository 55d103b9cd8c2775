import { describe, expect, it } from 'vitest';
import { compileMapping, validateMapping, type Mapping } from './index.js';

// The Mapping section of seeds/000_2221535d203d3c78.txt, example by example.
const mapOne = (mapping: Mapping, record: object) => compileMapping(mapping).mapRecord(record);

describe('seed: Mapping', () => {
  const contact = { first: 'John', last: 'Hancock', age: '43', isLocal: 'true' };

  it('example-mapping-1 renames fields, and only mapped fields pass', () => {
    const mapping: Mapping = {
      name: 'example-mapping-1',
      fields: [
        { extract: 'first', generate: 'firstName' },
        { extract: 'last', generate: 'lastName' },
      ],
    };
    expect(validateMapping(mapping)).toEqual([]);
    expect(mapOne(mapping, contact)).toStrictEqual({ record: { firstName: 'John', lastName: 'Hancock' } });
  });

  it('example-mapping-2: dot notation, hard-coded value, number and boolean conversion', () => {
    const mapping: Mapping = {
      name: 'example-mapping-2',
      fields: [
        { extract: 'first', generate: 'contact.firstName' },
        { extract: 'last', generate: 'contact.lastName' },
        { extract: 'age', generate: 'contact.age', dataType: 'number' },
        { extract: 'isLocal', generate: 'isLocal', dataType: 'boolean' },
        { generate: 'isNew', hardCodedValue: true },
      ],
    };
    expect(mapOne(mapping, contact)).toStrictEqual({
      record: { isNew: true, isLocal: true, contact: { firstName: 'John', lastName: 'Hancock', age: 43 } },
    });
  });

  it('example-mapping-3: an extract expression; the rule whose source is missing leaves its target out', () => {
    const issue = {
      id: 10002,
      name: 'unable to login',
      message: 'User forgot his password. Their password has been reset.',
      userId: 12345,
    };
    const mapping: Mapping = {
      name: 'example-mapping-3',
      fields: [
        { extract: 'Issue-{id}: *{name}*  {message}', generate: 'message' },
        { extract: 'first', generate: 'contact.firstName' },
      ],
    };
    expect(mapOne(mapping, issue)).toStrictEqual({
      record: { message: 'Issue-10002: *unable to login*  User forgot his password. Their password has been reset.' },
    });
  });

  it('without a mapping the record passes unchanged', () => {
    for (const mapping of [undefined, null, {}, { fields: [] }, { fields: [], lists: [] }]) {
      const compiled = compileMapping(mapping);
      expect(compiled.passThrough).toBe(true);
      expect(compiled.mapRecord(contact)).toStrictEqual({ record: contact });
    }
  });

  it('the distributed import schema: lookups keyed by name in mapping.lookups, referenced by legacy `lookup`', async () => {
    const mapping = {
      fields: [
        { extract: 'campaign', generate: 'leadSource', lookup: 'lookup1' },
        { extract: 'company', generate: 'customer', lookup: 'lookup2' },
        { generate: 'transaction', lookup: 'lookup3' },
      ],
      lookups: {
        lookup1: { map: { key1: 'value1', key2: 'value2' }, allowFailures: '' },
        lookup2: { recordType: '', searchField: '', resultField: '', allowFailures: '', pickFirstMatch: '' },
        lookup3: { recordType: '', expression: "[['tranid', 'is', '{OrderNumber}']]", allowFailures: '', pickFirstMatch: '' },
      },
    };
    expect(validateMapping(mapping)).toEqual([]);
    const compiled = compileMapping(mapping);
    expect(compiled.dynamicLookups.map((l) => l.name)).toEqual(['lookup2', 'lookup3']);
    const record = { campaign: 'key2', company: 'Acme', OrderNumber: 'SO-1' };
    const port = {
      lookup: async (lookup: { name: string }, values: readonly unknown[]) =>
        values.map((v) => (lookup.name === 'lookup2' ? [`cust:${String(v)}`] : [`txn:${(v as typeof record).OrderNumber}`])),
    };
    expect(await compiled.mapPage([record], port)).toStrictEqual([
      { record: { leadSource: 'value2', customer: 'cust:Acme', transaction: 'txn:SO-1' } },
    ]);
  });
});
