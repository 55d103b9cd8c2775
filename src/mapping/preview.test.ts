import { describe, expect, it } from 'vitest';
import { MappingValidationError, previewMapping, type LookupPort } from './index.js';

describe('previewMapping', () => {
  it('maps sample records, listing errors by input index', async () => {
    const result = await previewMapping(
      {
        fields: [
          { extract: 'first', generate: 'firstName' },
          { extract: 'country', generate: 'currency', lookupName: 'currency' },
        ],
        lookups: [{ name: 'currency', map: { US: 'USD' } }],
      },
      [{ first: 'A', country: 'US' }, { first: 'B', country: 'SE' }, 'junk'],
    );
    expect(result).toStrictEqual({
      data: [{ firstName: 'A', currency: 'USD' }],
      errors: [
        { index: 1, code: 'lookup_failed', message: 'lookup "currency": no match for "SE"', field: 'currency' },
        { index: 2, code: 'invalid_record', message: 'mapping a record: a record must be a JSON object' },
      ],
    });
  });

  it('takes a single record, and a port for dynamic lookups', async () => {
    const port: LookupPort = { lookup: async (_l, values) => values.map((v) => [`id-${String(v)}`]) };
    const mapping = {
      fields: [{ extract: 'email', generate: 'customer', lookupName: 'c' }],
      lookups: { c: { relativeURI: '/customers?email={email}', extract: '0.id' } },
    };
    expect(await previewMapping(mapping, { email: 'a@x' }, port)).toStrictEqual({ data: [{ customer: 'id-a@x' }], errors: [] });
    const withoutPort = await previewMapping(mapping, { email: 'a@x' });
    expect(withoutPort.errors).toMatchObject([{ index: 0, code: 'lookup_failed', field: 'customer' }]);
  });

  it('throws MappingValidationError for an invalid mapping', async () => {
    await expect(previewMapping({ fields: [{ extract: '{x', generate: 'x' }] }, [])).rejects.toBeInstanceOf(MappingValidationError);
    const tooDeep = Array.from({ length: 5000 }, () => 'a').join('.');
    await expect(previewMapping({ fields: [{ extract: 'a', generate: tooDeep }] }, [{ a: 1 }])).rejects.toMatchObject({
      items: [{ field: 'mapping.fields[0].generate' }],
    });
    await expect(previewMapping({ fields: [{ extract: 'a', generate: 'x.10000000' }] }, [{ a: 1 }])).rejects.toMatchObject({
      items: [{ field: 'mapping.fields[0].generate' }],
    });
  });
});
