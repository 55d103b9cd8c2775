import { describe, expect, it } from 'vitest';
import { compileMapping, validateMapping, type DynamicLookup, type FieldMapping, type LookupAnswer, type LookupPort, type MapOutcome } from './index.js';

const map = (fields: FieldMapping[], record: object, lookups?: object[]): MapOutcome =>
  compileMapping({ fields }, lookups as never).mapRecord(record);
/** The value one rule (generating `out`) gives for `value` in the source field `v`. */
const one = (rule: Omit<FieldMapping, 'generate'>, value: unknown): unknown => {
  const outcome = map([{ extract: 'v', generate: 'out', ...rule }], { v: value });
  if (!('record' in outcome)) throw new Error(JSON.stringify(outcome.errors));
  return outcome.record.out;
};
const fieldsOf = (issues: { field: string }[]) => issues.map((i) => i.field);

describe('date rules', () => {
  it('parses with extractDateFormat and writes with generateDateFormat', () => {
    expect(one({ extractDateFormat: 'MM/DD/YYYY', generateDateFormat: 'YYYY-MM-DD' }, '12/31/2024')).toBe('2024-12-31');
    expect(one({ extractDateFormat: 'M/D/YY', generateDateFormat: 'DD.MM.YYYY' }, '1/5/24')).toBe('05.01.2024');
    expect(one({ extractDateFormat: 'M/D/YY', generateDateFormat: 'YYYY' }, '1/5/69')).toBe('1969');
    expect(one({ extractDateFormat: 'YYYYMMDDHHmmss' }, '20241231235958')).toBe('2024-12-31T23:59:58.000Z');
    expect(one({ extractDateFormat: 'MM/DD/YYYY h:mm A', generateDateFormat: 'HH:mm' }, '07/04/2024 1:05 PM')).toBe('13:05');
    expect(one({ extractDateFormat: 'MM/DD/YYYY hh:mm a', generateDateFormat: 'HH:mm' }, '07/04/2024 12:30 am')).toBe('00:30');
    expect(one({ extractDateFormat: 'YYYY-MM-DD HH:mm:ss.SSS' }, ' 2024-01-02 03:04:05.6 ')).toBe('2024-01-02T03:04:05.600Z');
    expect(one({ extractDateFormat: '[Date:] YYYY-MM-DD', generateDateFormat: '[on] D/M/YYYY h A' }, 'Date: 2024-02-29')).toBe('on 29/2/2024 12 AM');
  });

  it('reads unix seconds ("X") and milliseconds ("x"), and writes them', () => {
    expect(one({ extractDateFormat: 'X', generateDateFormat: 'YYYY-MM-DD HH:mm' }, 1735689600)).toBe('2025-01-01 00:00');
    expect(one({ extractDateFormat: 'X' }, '1735689600.5')).toBe('2025-01-01T00:00:00.500Z');
    expect(one({ extractDateFormat: 'x' }, '1735689600123')).toBe('2025-01-01T00:00:00.123Z');
    expect(one({ generateDateFormat: 'X', dataType: 'number' }, '2025-01-01T00:00:00Z')).toBe(1735689600);
    expect(one({ generateDateFormat: 'x' }, '2025-01-01T00:00:00.123Z')).toBe('1735689600123');
  });

  it('reads the wall time in extractDateTimezone, across DST changes', () => {
    const paris = (v: string) => one({ extractDateFormat: 'YYYY-MM-DD HH:mm', extractDateTimezone: 'Europe/Paris' }, v);
    expect(paris('2024-03-31 01:30')).toBe('2024-03-31T00:30:00.000Z'); // CET
    expect(paris('2024-03-31 03:30')).toBe('2024-03-31T01:30:00.000Z'); // CEST
    expect(paris('2024-03-31 02:30')).toBe('2024-03-31T01:30:00.000Z'); // in the gap: moved forward (03:30 CEST)
    expect(paris('2024-10-27 02:30')).toBe('2024-10-27T00:30:00.000Z'); // ambiguous: the earlier (CEST)
    expect(paris('2024-10-27 03:30')).toBe('2024-10-27T02:30:00.000Z');
    expect(paris('2024-07-14 12:00')).toBe('2024-07-14T10:00:00.000Z');
    // An offset in the value wins over the zone.
    expect(one({ extractDateFormat: 'YYYY-MM-DD HH:mm ZZ', extractDateTimezone: 'Asia/Tokyo' }, '2024-01-01 10:00 +0200')).toBe('2024-01-01T08:00:00.000Z');
    expect(one({ extractDateFormat: 'YYYY-MM-DD HH:mm Z' }, '2024-01-01 10:00 -05:30')).toBe('2024-01-01T15:30:00.000Z');
  });

  it('writes in generateDateTimezone', () => {
    const rule = { generateDateFormat: 'YYYY-MM-DD HH:mm Z', generateDateTimezone: 'America/New_York' };
    expect(one(rule, '2024-07-01T12:00:00Z')).toBe('2024-07-01 08:00 -04:00');
    expect(one(rule, '2024-01-01T12:00:00Z')).toBe('2024-01-01 07:00 -05:00');
    expect(one({ ...rule, generateDateFormat: 'ZZ' }, '2024-01-01T12:00:00Z')).toBe('-0500');
    expect(one({ extractDateFormat: 'ISO', generateDateTimezone: 'Asia/Kolkata' }, '2024-01-01T00:00:00Z')).toBe('2024-01-01T05:30:00.000+05:30');
    expect(
      one({ extractDateFormat: 'DD/MM/YYYY HH:mm', extractDateTimezone: 'Europe/Paris', generateDateFormat: 'YYYY-MM-DD HH:mm', generateDateTimezone: 'America/Los_Angeles' }, '31/12/2024 08:00'),
    ).toBe('2024-12-30 23:00');
  });

  it('reads ISO 8601 (and Date.parse forms) when only generateDateFormat is given', () => {
    expect(one({ generateDateFormat: 'YYYY-MM-DD' }, '2024-12-31T23:30:00-02:00')).toBe('2025-01-01');
    expect(one({ generateDateFormat: 'YYYY-MM-DD HH:mm' }, '2024-12-31')).toBe('2024-12-31 00:00');
    expect(one({ generateDateFormat: 'HH:mm', extractDateTimezone: 'America/New_York' }, '2024-01-15T09:00:00')).toBe('14:00');
    expect(one({ extractDateFormat: 'ISO', extractDateTimezone: 'America/New_York', generateDateFormat: 'HH:mm' }, '2024-01-15T09:00:00')).toBe('14:00');
    expect(one({ generateDateFormat: 'YYYY-MM-DD HH:mm:ss' }, 'Tue, 31 Dec 2024 10:00:00 GMT')).toBe('2024-12-31 10:00:00');
    expect(one({ generateDateFormat: 'YYYY' }, 1735689600000)).toBe('2025');
  });

  it('makes an unparsable date a record error naming the field and the value, unless the rule has a default', () => {
    const rule = { extract: 'd', generate: 'out.date', extractDateFormat: 'MM/DD/YYYY', generateDateFormat: 'YYYY-MM-DD' };
    for (const bad of ['31/12/2024', '02/30/2024', '12/31/2024 extra', true, { y: 1 }]) {
      expect(map([rule, { extract: 'n', generate: 'n' }], { d: bad, n: 1 })).toStrictEqual({
        errors: [{ code: 'invalid_date', message: `${JSON.stringify(bad)} is not a date in the format "MM/DD/YYYY"`, field: 'out.date' }],
      });
    }
    expect(map([{ extract: 'd', generate: 'd', generateDateFormat: 'YYYY' }], { d: 'soon' })).toStrictEqual({
      errors: [{ code: 'invalid_date', message: '"soon" is not an ISO 8601 date', field: 'd' }],
    });
    expect(map([{ ...rule, default: 'n/a' }], { d: '31/12/2024' })).toStrictEqual({ record: { out: { date: 'n/a' } } });
    // An empty value is no date error: it is left out, or given the default.
    expect(map([rule], { d: '' })).toStrictEqual({ record: { out: { date: '' } } });
    expect(map([rule], {})).toStrictEqual({ record: {} });
    expect(map([{ ...rule, default: 'none' }], {})).toStrictEqual({ record: { out: { date: 'none' } } });
  });

  it('converts each element of a [*] collect and each list row, naming the row in errors', () => {
    const rule = { extract: 'ds[*]', generate: 'ds', extractDateFormat: 'D.M.YYYY', generateDateFormat: 'YYYY-MM-DD' };
    expect(map([rule], { ds: ['1.2.2024', '3.4.2025'] })).toStrictEqual({ record: { ds: ['2024-02-01', '2025-04-03'] } });
    expect(map([{ ...rule, default: '?' }], { ds: ['1.2.2024', 'x'] })).toStrictEqual({ record: { ds: ['2024-02-01', '?'] } });
    const lists = [{ generate: 'items', fields: [{ extract: 'lines[*].on', generate: 'on', extractDateFormat: 'D.M.YYYY', generateDateFormat: 'YYYY-MM-DD' }] }];
    const compiled = compileMapping({ lists });
    expect(compiled.mapRecord({ lines: [{ on: '1.1.2024' }, { on: '2.1.2024' }] })).toStrictEqual({ record: { items: [{ on: '2024-01-01' }, { on: '2024-01-02' }] } });
    expect(compiled.mapRecord({ lines: [{ on: '1.1.2024' }, { on: 'bad' }] })).toStrictEqual({
      errors: [{ code: 'invalid_date', message: '"bad" is not a date in the format "D.M.YYYY"', field: 'items[1].on' }],
    });
  });

  it('applies the date before a lookup and dataType', () => {
    const lookups = [{ name: 'days', map: { '2024-12-31': 'new year eve' } }];
    expect(map([{ extract: 'd', generate: 'd', extractDateFormat: 'MM/DD/YYYY', generateDateFormat: 'YYYY-MM-DD', lookupName: 'days' }], { d: '12/31/2024' }, lookups)).toStrictEqual({
      record: { d: 'new year eve' },
    });
    expect(one({ extractDateFormat: 'MM/DD/YYYY', generateDateFormat: 'YYYYMMDD', dataType: 'number' }, '12/31/2024')).toBe(20241231);
  });
});

describe('discardIfEmpty', () => {
  it('leaves the target out when the final value is undefined, null or ""', () => {
    const rules: FieldMapping[] = [
      { extract: 'a', generate: 'a', discardIfEmpty: true },
      { extract: 'b', generate: 'b', discardIfEmpty: true },
      { extract: 'c', generate: 'x.c', discardIfEmpty: true, dataType: 'string' },
      { generate: 'd', hardCodedValue: '', discardIfEmpty: true },
      { extract: 'e', generate: 'e', discardIfEmpty: true, default: 'E' },
      { extract: 'f', generate: 'f', discardIfEmpty: true },
      { extract: 'g', generate: 'g', discardIfEmpty: false },
    ];
    expect(map(rules, { a: '', b: null, f: 0, g: '' })).toStrictEqual({ record: { e: 'E', f: 0, g: '' } });
    expect(map(rules, { a: 'A', b: false, c: 1 })).toStrictEqual({ record: { a: 'A', b: false, x: { c: '1' }, e: 'E' } });
    const lookups = [{ name: 'l', map: { k: '' }, allowFailures: true }];
    expect(map([{ extract: 'v', generate: 'v', lookupName: 'l', discardIfEmpty: true }], { v: 'k' }, lookups)).toStrictEqual({ record: {} });
  });
});

describe('conditional.when', () => {
  const lookups = [{ name: 'm', map: { a: 'A' } }];

  it('extract_not_empty applies the rule only when the extracted value is not empty', () => {
    const rule = { extract: 'v', generate: 'v', default: 'D', conditional: { when: 'extract_not_empty' } };
    expect(map([rule], {})).toStrictEqual({ record: {} });
    expect(map([rule], { v: '' })).toStrictEqual({ record: {} });
    expect(map([rule], { v: 0 })).toStrictEqual({ record: { v: 0 } });
    expect(map([{ ...rule, extract: 'vs[*]', generate: 'vs' }], { vs: [] })).toStrictEqual({ record: {} });
    expect(map([{ ...rule, extract: 'vs[*]', generate: 'vs' }], { vs: [1] })).toStrictEqual({ record: { vs: [1] } });
  });

  it('lookup_not_empty / lookup_empty apply the rule only when its lookup finds / does not find a value', () => {
    const found = { extract: 'k', generate: 'v', lookupName: 'm', conditional: { when: 'lookup_not_empty', lookupName: 'm' } };
    expect(map([found], { k: 'a' }, lookups)).toStrictEqual({ record: { v: 'A' } });
    expect(map([found], { k: 'z' }, lookups)).toStrictEqual({ record: {} });
    expect(map([found], {}, lookups)).toStrictEqual({ record: {} });
    const empty = { extract: 'k', generate: 'v', lookupName: 'm', default: 'NEW', conditional: { when: 'lookup_empty' } };
    expect(map([empty], { k: 'z' }, lookups)).toStrictEqual({ record: { v: 'NEW' } });
    expect(map([empty], { k: 'a' }, lookups)).toStrictEqual({ record: {} });
    expect(map([{ ...empty, default: undefined }], { k: 'z' }, lookups)).toStrictEqual({ record: {} });
  });

  it('lookup conditions work with dynamic lookups, and a port failure stays a record error', async () => {
    const port: LookupPort = {
      async lookup(_l: DynamicLookup, values: readonly unknown[]): Promise<LookupAnswer[]> {
        return values.map((v) => (v === 'boom' ? { error: 'down' } : v === 'a' ? ['ID-A'] : v === 'many' ? ['X', 'Y'] : []));
      },
    };
    const compiled = compileMapping(
      { fields: [{ extract: 'k', generate: 'id', lookupName: 'find', conditional: { when: 'lookup_not_empty' } }] },
      [{ name: 'find', relativeURI: '/find?k={k}', method: 'GET' }],
    );
    expect(await compiled.mapPage([{ k: 'a' }, { k: 'z' }, { k: 'boom' }, { k: 'many' }], port)).toStrictEqual([
      { record: { id: 'ID-A' } },
      { record: {} },
      { errors: [{ code: 'lookup_failed', message: 'lookup "find" failed for "boom": down', field: 'id' }] },
      // Several matches are not "empty": they fail as without the condition.
      { errors: [{ code: 'lookup_failed', message: 'lookup "find": 2 matches for "many"', field: 'id' }] },
    ]);
  });

  it('record_created, record_updated and ignore_if_set depend on the destination: the rule always applies', () => {
    for (const when of ['record_created', 'record_updated', 'ignore_if_set']) {
      expect(map([{ extract: 'v', generate: 'v', conditional: { when } }], { v: 1 })).toStrictEqual({ record: { v: 1 } });
    }
  });
});

describe('validation of the rule options', () => {
  it('accepts token-free formats, known zones and known conditions', () => {
    expect(
      validateMapping({
        fields: [
          { extract: 'a', generate: 'a', extractDateFormat: 'hello', generateDateFormat: 'ISO', extractDateTimezone: 'Europe/Paris', generateDateTimezone: 'UTC' },
          { extract: 'b', generate: 'b', discardIfEmpty: 'true', conditional: { when: 'record_created' } },
          { extract: 'c', generate: 'c', lookupName: 'm', conditional: { when: 'lookup_empty', lookupName: 'm' } },
        ],
      }, [{ name: 'm', map: {} }]),
    ).toEqual([]);
  });

  it('names the field of a non-string format, an unknown zone, an unknown condition', () => {
    const issues = validateMapping(
      {
        fields: [
          { extract: 'a', generate: 'a', extractDateFormat: 5 as never, generateDateFormat: {} as never },
          { extract: 'b', generate: 'b', extractDateTimezone: 'Mars/Olympus', generateDateTimezone: 3 as never, generateDateFormat: 'YYYY' },
          { extract: 'c', generate: 'c', conditional: { when: 'sometimes' } },
          { extract: 'd', generate: 'd', conditional: { when: 'lookup_empty' } },
          { extract: 'e', generate: 'e', lookupName: 'm', conditional: { when: 'lookup_empty', lookupName: 'other' } },
          { extract: 'f', generate: 'f', discardIfEmpty: 'yes' as never, conditional: 'x' as never },
        ],
        lists: [{ generate: 'l', fields: [{ extract: 'x[*]', generate: 'x', conditional: { when: 1 as never } }] }],
      },
      [{ name: 'm', map: {} }],
    );
    expect(fieldsOf(issues)).toEqual([
      'mapping.fields[0].extractDateFormat',
      'mapping.fields[0].generateDateFormat',
      'mapping.fields[1].extractDateTimezone',
      'mapping.fields[1].generateDateTimezone',
      'mapping.fields[2].conditional.when',
      'mapping.fields[3].conditional.when',
      'mapping.fields[4].conditional.lookupName',
      'mapping.fields[5].discardIfEmpty',
      'mapping.fields[5].conditional',
      'mapping.lists[0].fields[0].conditional.when',
    ]);
    expect(issues[2]?.message).toBe('extractDateTimezone: unknown time zone "Mars/Olympus"');
    expect(issues[4]?.message).toMatch(/^conditional.when must be one of record_created, .* \(got "sometimes"\)$/);
  });
});
