import { describe, expect, it } from 'vitest';
import { compileMapping, type FieldMapping, type MapOutcome } from './index.js';

const map = (fields: FieldMapping[], record: object): MapOutcome => compileMapping({ fields }).mapRecord(record);
const mapped = (fields: FieldMapping[], record: object): unknown => {
  const outcome = map(fields, record);
  if (!('record' in outcome)) throw new Error(JSON.stringify(outcome.errors));
  return outcome.record;
};

describe('field rules', () => {
  it('reads and writes nested paths, indexes and escaped keys', () => {
    const record = { a: { 'b.c': 1, 'd e': 2 }, lines: [{ sku: 'A' }, { sku: 'B' }] };
    expect(
      mapped(
        [
          { extract: "a['b.c']", generate: 'x.y' },
          { extract: 'a.d e', generate: "['out.key']" },
          { extract: 'lines.1.sku', generate: 'first.0' },
          { extract: 'lines[0].sku', generate: 'first.1' },
        ],
        record,
      ),
    ).toStrictEqual({ x: { y: 1 }, 'out.key': 2, first: ['B', 'A'] });
  });

  it('gives each record its own copy of object constants', () => {
    const compiled = compileMapping({ fields: [{ generate: 'tags', hardCodedValue: ['a'] }] });
    const one = compiled.mapRecord({}) as { record: { tags: string[] } };
    one.record.tags.push('changed');
    expect(compiled.mapRecord({})).toStrictEqual({ record: { tags: ['a'] } });
  });

  it('prefers hardCodedValue to extract, and keeps falsy constants', () => {
    expect(
      mapped(
        [
          { extract: 'x', hardCodedValue: 'fixed', generate: 'a' },
          { generate: 'b', hardCodedValue: false },
          { generate: 'c', hardCodedValue: 0 },
          { generate: 'd', hardCodedValue: null },
          { generate: 'e', hardCodedValue: '' },
        ],
        { x: 'from record' },
      ),
    ).toStrictEqual({ a: 'fixed', b: false, c: 0, d: null, e: '' });
  });

  it('accepts legacy eField/gField', () => {
    expect(mapped([{ eField: 'first', gField: 'name.first' }], { first: 'Ann' })).toStrictEqual({ name: { first: 'Ann' } });
  });

  it('copies extracted objects and arrays as they are', () => {
    expect(mapped([{ extract: 'addr', generate: 'address' }], { addr: { city: 'Oslo', tags: [1] } })).toStrictEqual({
      address: { city: 'Oslo', tags: [1] },
    });
  });

  it('collects an array through [*] outside lists, converting each element', () => {
    const record = { lines: [{ qty: '1' }, { qty: '2' }, {}] };
    expect(mapped([{ extract: 'lines[*].qty', generate: 'qtys', dataType: 'number' }], record)).toStrictEqual({ qtys: [1, 2] });
    expect(mapped([{ extract: 'lines[*].qty', generate: 'qtys' }], {})).toStrictEqual({});
  });
});

describe('DESIGN.md: missing values, defaults and dataType', () => {
  it('a missing source with no dataType, default or hardCodedValue leaves the target out', () => {
    expect(mapped([{ extract: 'nope', generate: 'a.b' }, { extract: 'x', generate: 'x' }], { x: 1 })).toStrictEqual({ x: 1 });
  });

  it('a branch whose every rule left its target out is left out too', () => {
    expect(mapped([{ extract: 'nope', generate: 'a.b' }, { extract: 'nope2', generate: 'a.c' }], {})).toStrictEqual({});
  });

  it('null and "" are values, not missing', () => {
    expect(mapped([{ extract: 'n', generate: 'n' }, { extract: 'e', generate: 'e' }], { n: null, e: '' })).toStrictEqual({
      n: null,
      e: '',
    });
  });

  it('with a dataType the conversion applies to a missing source (a missing number becomes 0)', () => {
    expect(
      mapped(
        [
          { extract: 'nope', generate: 'n', dataType: 'number' },
          { extract: 'nope', generate: 'b', dataType: 'boolean' },
          { extract: 'nope', generate: 's', dataType: 'string' },
        ],
        {},
      ),
    ).toStrictEqual({ n: 0, b: false, s: '' });
  });

  it('default replaces a missing, null or empty extract, and is converted too', () => {
    const fields: FieldMapping[] = [{ extract: 'v', generate: 'v', default: '7', dataType: 'number' }];
    expect(mapped(fields, {})).toStrictEqual({ v: 7 });
    expect(mapped(fields, { v: null })).toStrictEqual({ v: 7 });
    expect(mapped(fields, { v: '' })).toStrictEqual({ v: 7 });
    expect(mapped(fields, { v: '0' })).toStrictEqual({ v: 0 });
    expect(mapped([{ generate: 'k', default: 'only default' }], {})).toStrictEqual({ k: 'only default' });
  });

  it('dataType applies to hard-coded values: {"hardCodedValue": "45", "dataType": "number"} gives 45', () => {
    expect(mapped([{ generate: 'price', hardCodedValue: '45', dataType: 'number' }], {})).toStrictEqual({ price: 45 });
    expect(mapped([{ generate: 'flag', hardCodedValue: 'no', dataType: 'boolean' }], {})).toStrictEqual({ flag: false });
    expect(mapped([{ generate: 'obj', hardCodedValue: { a: 1 }, dataType: 'string' }], {})).toStrictEqual({ obj: '{"a":1}' });
  });

  it('dataType applies to template values', () => {
    expect(mapped([{ extract: '{a}{b}', generate: 'n', dataType: 'number' }], { a: 1, b: 2 })).toStrictEqual({ n: 12 });
  });

  it('dataType conversions follow the seed and DESIGN.md rules', () => {
    const record = { t: 'true', z: '0', no: ' No ', off: 'OFF', zero: 0, num: '1,000.50', hex: '0x10', obj: { a: 1 } };
    expect(
      mapped(
        [
          { extract: 't', generate: 't', dataType: 'boolean' },
          { extract: 'z', generate: 'z', dataType: 'boolean' },
          { extract: 'no', generate: 'no', dataType: 'boolean' },
          { extract: 'off', generate: 'off', dataType: 'boolean' },
          { extract: 'zero', generate: 'zero', dataType: 'boolean' },
          { extract: 'num', generate: 'num', dataType: 'number' },
          { extract: 'hex', generate: 'hex', dataType: 'number' },
          { extract: 'obj', generate: 'obj', dataType: 'string' },
          { extract: 'zero', generate: 'zs', dataType: 'string' },
        ],
        record,
      ),
    ).toStrictEqual({ t: true, z: true, no: false, off: false, zero: false, num: 0, hex: 0, obj: '{"a":1}', zs: '0' });
  });

  it('a template placeholder whose value is missing renders as empty text', () => {
    expect(mapped([{ extract: '{first} {middle}|{last}', generate: 'name' }], { first: 'A', last: 'C' })).toStrictEqual({
      name: 'A |C',
    });
    expect(mapped([{ extract: 'id={id} tags={tags}', generate: 's' }], { id: null, tags: ['x'] })).toStrictEqual({
      s: 'id= tags=["x"]',
    });
  });
});

describe('outcomes', () => {
  it('gives one outcome per record in order, and an error for a record that is not an object', async () => {
    const compiled = compileMapping({ fields: [{ extract: 'a', generate: 'b' }] });
    const outcomes = await compiled.mapPage([{ a: 1 }, null, 'text', [1], { a: 2 }]);
    expect(outcomes).toHaveLength(5);
    expect(outcomes[0]).toStrictEqual({ record: { b: 1 } });
    for (const i of [1, 2, 3]) expect(outcomes[i]).toMatchObject({ errors: [{ code: 'invalid_record' }] });
    expect(outcomes[4]).toStrictEqual({ record: { b: 2 } });
  });

  it('turns an unexpected failure into a mapping_failed error for that record only', () => {
    const compiled = compileMapping({ fields: [{ extract: 'v', generate: 'v', dataType: 'string' }] });
    expect(compiled.mapPageSync([{ v: { big: 1n } }, { v: 1 }])).toStrictEqual([
      { errors: [{ code: 'mapping_failed', message: 'mapping a record: Do not know how to serialize a BigInt' }] },
      { record: { v: '1' } },
    ]);
  });

  it('passes a record through untouched when there is no mapping, but still refuses non-objects', () => {
    const compiled = compileMapping(undefined);
    const record = { any: { thing: 1 } };
    expect(compiled.mapPageSync([record, 5])).toStrictEqual([
      { record },
      { errors: [{ code: 'invalid_record', message: 'mapping a record: a record must be a JSON object' }] },
    ]);
    expect((compiled.mapRecord(record) as { record: object }).record).toBe(record);
  });

  it('never shares an object between the input and the output', () => {
    const record = { a: { b: [1, 2] }, lines: [{ x: { y: 1 } }] };
    const compiled = compileMapping({
      fields: [
        { extract: 'a', generate: 'copy' },
        { extract: 'a.b', generate: 'b', default: [] },
        { extract: 'lines[*].x', generate: 'xs' },
      ],
      lists: [{ generate: 'rows', fields: [{ extract: 'lines[*].x', generate: 'x' }] }],
    });
    const out = (compiled.mapRecord(record) as { record: any }).record;
    expect(out).toStrictEqual({ copy: { b: [1, 2] }, b: [1, 2], xs: [{ y: 1 }], rows: [{ x: { y: 1 } }] });
    out.copy.b.push(3);
    out.b.push(3);
    out.xs[0].y = 2;
    out.rows[0].x.y = 3;
    expect(record).toStrictEqual({ a: { b: [1, 2] }, lines: [{ x: { y: 1 } }] });
  });

  it('writes __proto__ and other inherited names as own keys, without touching prototypes', () => {
    const out = mapped(
      [
        { extract: 'x', generate: "['__proto__'].polluted" },
        { extract: 'x', generate: 'constructor' },
      ],
      { x: 1 },
    ) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(out.constructor).toBe(1);
  });
});
