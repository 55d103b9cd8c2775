import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { LookupsSchema, MappingSchema } from './index.js';

describe('TypeBox schemas', () => {
  const mapping = Compile(MappingSchema);
  const lookups = Compile(LookupsSchema);

  it('accept the seed examples and both lookup forms', () => {
    expect(
      mapping.Check({
        name: 'example-mapping-2',
        fields: [
          { extract: 'age', generate: 'contact.age', dataType: 'number' },
          { generate: 'isNew', hardCodedValue: true },
          { extract: 'campaign', generate: 'leadSource', lookup: 'lookup1', immutable: true },
        ],
        lists: [{ generate: 'item', fields: [{ extract: 'lines[*].sku', generate: 'sku' }] }],
        lookups: { lookup1: { map: { key1: 'value1' }, allowFailures: '' }, lookup2: { recordType: '', pickFirstMatch: '' } },
      }),
    ).toBe(true);
    expect(mapping.Check({ fields: [], lookups: [{ name: 'l', map: {} }] })).toBe(true);
    expect(lookups.Check([{ name: 'l', relativeURI: '/x?id={id}', extract: '0.id', allowFailures: true, default: null }])).toBe(true);
  });

  it('reject wrong shapes', () => {
    expect(mapping.Check({ fields: [{ extract: 'a', generate: 'b', dataType: 'date' }] })).toBe(false);
    expect(mapping.Check({ fields: {} })).toBe(false);
    expect(mapping.Check({ fields: [{ generate: 5 }] })).toBe(false);
    expect(mapping.Check({ lists: [{ generate: 'x' }] })).toBe(false);
    expect(lookups.Check([{ map: {} }])).toBe(false);
    expect(lookups.Check([{ name: '' }])).toBe(false);
  });
});
