import { describe, expect, it } from 'vitest';
import { compileMapping, MappingValidationError, validateMapping, type Mapping } from './index.js';
import { MAX_GENERATE_INDEX, MAX_PATH_SEGMENTS } from './path.js';
import { MAX_GENERATED_CELLS } from './plan.js';

const fieldsOf = (issues: { field: string }[]) => issues.map((i) => i.field);

describe('validateMapping', () => {
  it('accepts a valid mapping', () => {
    expect(
      validateMapping(
        {
          fields: [
            { extract: 'a', generate: 'x.a' },
            { extract: '{a} {b}', generate: 'x.b', dataType: 'string' },
            { generate: 'x.c', hardCodedValue: 1 },
            { extract: 'c', generate: 'x.d', lookupName: 'l' },
            { generate: 'e', default: 'only default' },
            { extract: 'lines[*].sku', generate: 'skus' },
          ],
          lists: [{ generate: 'items', fields: [{ extract: 'lines[*].sku', generate: 'sku' }] }],
        },
        [{ name: 'l', map: {} }],
      ),
    ).toEqual([]);
  });

  it('refuses paths deeper than MAX_PATH_SEGMENTS, in generate, extract, templates and lists, without overflowing the stack', () => {
    const deep = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`).join('.');
    const atLimit = deep(MAX_PATH_SEGMENTS);
    expect(validateMapping({ fields: [{ extract: atLimit, generate: atLimit }] })).toEqual([]);
    const tooDeep = deep(5000);
    const issues = validateMapping({
      fields: [
        { extract: 'a', generate: tooDeep },
        { extract: tooDeep, generate: 'b' },
        { extract: `x {${tooDeep}}`, generate: 'c' },
        { extract: 'a', generate: deep(MAX_PATH_SEGMENTS + 1) },
      ],
      lists: [{ generate: tooDeep, fields: [{ extract: 'a', generate: 'a' }] }],
    });
    expect(fieldsOf(issues)).toEqual([
      'mapping.fields[0].generate',
      'mapping.fields[1].extract',
      'mapping.fields[2].extract',
      'mapping.fields[3].generate',
      'mapping.lists[0].generate',
    ]);
    for (const i of issues) {
      expect(i.message).toContain(`more than ${MAX_PATH_SEGMENTS} segments`);
      expect(i.message.length).toBeLessThan(300);
    }
    expect(() => compileMapping({ fields: [{ extract: 'a', generate: tooDeep }] })).toThrow(MappingValidationError);
  });

  it('compiles and maps a rule at the deepest allowed path', () => {
    const keys = Array.from({ length: MAX_PATH_SEGMENTS }, (_, i) => `k${i}`);
    let input: Record<string, unknown> = { k63: 'leaf' };
    for (let i = MAX_PATH_SEGMENTS - 2; i >= 0; i--) input = { [`k${i}`]: input };
    const out = compileMapping({ fields: [{ extract: keys.join('.'), generate: keys.join('.') }] }).mapRecord(input);
    expect(out).toStrictEqual({ record: input });
  });

  it(`refuses a mapping whose generate paths make more than ${MAX_GENERATED_CELLS} array elements in all`, () => {
    const many = (n: number) => ({ fields: Array.from({ length: n }, (_, i) => ({ extract: 'id', generate: `x.${i}.${MAX_GENERATE_INDEX}` })) });
    expect(validateMapping(many(5))).toEqual([]);
    const issues = validateMapping(many(200));
    expect(fieldsOf(issues)).toEqual(['mapping.fields']);
    expect(issues[0]!.message).toMatch(/more than the 100000 a mapping may generate/);
  });

  it(`refuses generate array indexes above MAX_GENERATE_INDEX (${MAX_GENERATE_INDEX}); extract may read any index`, () => {
    expect(validateMapping({ fields: [{ extract: 'a', generate: `x.${MAX_GENERATE_INDEX}` }] })).toEqual([]);
    const issues = validateMapping({
      fields: [
        { extract: 'a', generate: 'x.10000000' },
        { extract: 'b', generate: 'y[4294967294].z' },
        { extract: 'lines.4294967294', generate: 'ok' },
      ],
      lists: [{ generate: 'rows.10000', fields: [{ extract: 'a', generate: 'a' }] }],
    });
    expect(fieldsOf(issues)).toEqual(['mapping.fields[0].generate', 'mapping.fields[1].generate', 'mapping.lists[0].generate']);
    expect(issues[0]!.message).toBe(
      `generate "x.10000000": array index 10000000 is above ${MAX_GENERATE_INDEX}, the largest index a mapping may generate`,
    );
    const big: unknown[] = [];
    big[4294967294] = 'far';
    expect(compileMapping({ fields: [{ extract: 'lines.4294967294', generate: 'v' }] }).mapRecord({ lines: big })).toStrictEqual({
      record: { v: 'far' },
    });
  });

  it('names an empty or missing generate', () => {
    const issues = validateMapping({ fields: [{ extract: 'a', generate: 'ok' }, { extract: 'b', generate: '' }, { extract: 'c' }] });
    expect(issues).toEqual([
      { code: 'invalid_field', field: 'mapping.fields[1].generate', message: 'generate is required' },
      { code: 'invalid_field', field: 'mapping.fields[2].generate', message: 'generate is required' },
    ]);
  });

  it('names two rules generating the same path, or a path and one inside it', () => {
    const issues = validateMapping({
      fields: [
        { extract: 'a', generate: 'a' },
        { extract: 'b', generate: 'a.b' },
        { extract: 'c', generate: 'x.y' },
        { extract: 'd', generate: 'x' },
        { extract: 'e', generate: 'k' },
        { extract: 'f', generate: 'k' },
        { extract: 'g', generate: 'arr.0' },
        { extract: 'h', generate: 'arr.key' },
      ],
    });
    expect(fieldsOf(issues)).toEqual([
      'mapping.fields[1].generate',
      'mapping.fields[3].generate',
      'mapping.fields[5].generate',
      'mapping.fields[7].generate',
    ]);
    expect(issues[0]!.message).toBe('"a.b" is inside "a", already generated by mapping.fields[0]');
    expect(issues[1]!.message).toBe('"x" would replace fields generated below it (mapping.fields[2])');
    expect(issues[2]!.message).toBe('"k" is generated twice, already generated by mapping.fields[4]');
    expect(issues[3]!.message).toMatch(/mixes array indexes and keys/);
  });

  it('sees the same path written two ways, and lists conflicting with fields', () => {
    const issues = validateMapping({
      fields: [
        { extract: 'a', generate: 'x.y' },
        { extract: 'a', generate: "x['y']" },
        { extract: 'b', generate: 'items' },
      ],
      lists: [
        { generate: 'items', fields: [{ extract: 'l[*].a', generate: 'a' }, { extract: 'l[*].b', generate: 'a' }] },
      ],
    });
    expect(fieldsOf(issues)).toEqual([
      'mapping.fields[1].generate',
      'mapping.lists[0].fields[1].generate',
      'mapping.lists[0].generate',
    ]);
  });

  it('names an unknown lookupName (or legacy lookup)', () => {
    const issues = validateMapping(
      {
        fields: [
          { extract: 'a', generate: 'a', lookupName: 'known' },
          { extract: 'b', generate: 'b', lookupName: 'unknown' },
          { extract: 'c', generate: 'c', lookup: 'legacyUnknown' },
        ],
      },
      [{ name: 'known', map: {} }],
    );
    expect(issues).toEqual([
      { code: 'invalid_field', field: 'mapping.fields[1].lookupName', message: 'unknown lookup "unknown"' },
      { code: 'invalid_field', field: 'mapping.fields[2].lookup', message: 'unknown lookup "legacyUnknown"' },
    ]);
  });

  it('names malformed templates (unbalanced braces) and paths', () => {
    const issues = validateMapping({
      fields: [
        { extract: 'Issue-{id', generate: 'a' },
        { extract: 'Issue-id}', generate: 'b' },
        { extract: '{}', generate: 'c' },
        { extract: 'a..b', generate: 'd' },
        { eField: 'x[', gField: 'e' },
      ],
    });
    expect(fieldsOf(issues)).toEqual([
      'mapping.fields[0].extract',
      'mapping.fields[1].extract',
      'mapping.fields[2].extract',
      'mapping.fields[3].extract',
      'mapping.fields[4].eField',
    ]);
    expect(issues[0]!.message).toBe('extract "Issue-{id": unbalanced "{" at 6');
  });

  it('names an invalid dataType', () => {
    const issues = validateMapping({
      fields: [
        { extract: 'a', generate: 'a', dataType: 'date' },
        { extract: 'b', generate: 'b', dataType: 'Number' },
        { extract: 'c', generate: 'c', dataType: 'number' },
      ],
    } as unknown as Mapping);
    expect(issues).toEqual([
      {
        code: 'invalid_field',
        field: 'mapping.fields[0].dataType',
        message: 'dataType must be one of string, number, boolean (got "date")',
      },
      {
        code: 'invalid_field',
        field: 'mapping.fields[1].dataType',
        message: 'dataType must be one of string, number, boolean (got "Number")',
      },
    ]);
  });

  it('names generate paths that cannot be written', () => {
    const issues = validateMapping({
      fields: [
        { extract: 'a', generate: 'lines[*].sku' },
        { extract: 'a', generate: '0.x' },
        { extract: 'a', generate: 'a.' },
      ],
    });
    expect(fieldsOf(issues)).toEqual(['mapping.fields[0].generate', 'mapping.fields[1].generate', 'mapping.fields[2].generate']);
  });

  it('names a rule with nothing to produce', () => {
    expect(validateMapping({ fields: [{ generate: 'a' }] })).toEqual([
      {
        code: 'invalid_field',
        field: 'mapping.fields[0].extract',
        message: 'a rule needs extract, hardCodedValue, lookupName or default',
      },
    ]);
  });

  it('names list fields that iterate different arrays, and empty lists', () => {
    const issues = validateMapping({
      lists: [
        {
          generate: 'rows',
          fields: [
            { extract: 'orders[*].lines[*].sku', generate: 'sku' },
            { extract: 'orders[*].id', generate: 'order' },
            { extract: 'returns[*].id', generate: 'ret' },
          ],
        },
        { generate: 'empty', fields: [] },
      ],
    });
    expect(issues).toEqual([
      {
        code: 'invalid_field',
        field: 'mapping.lists[0].fields[2].extract',
        message: '"returns[*].id" iterates returns[*] but the list iterates orders[*].lines[*]',
      },
      { code: 'invalid_field', field: 'mapping.lists[1].fields', message: 'a list needs at least one field rule' },
    ]);
  });

  it('names malformed lookups and duplicate names across both forms', () => {
    const issues = validateMapping(
      {
        fields: [],
        lookups: { a: { map: 'nope' }, b: 'not an object' },
      } as unknown as Mapping,
      [{ name: 'a', map: {} }, { map: {} }] as never,
    );
    expect(fieldsOf(issues)).toEqual(['mapping.lookups.a.map', 'mapping.lookups.b', 'lookups[0].name', 'lookups[1].name']);
  });

  it('never throws, whatever it is given', () => {
    for (const junk of [5, 'x', [], { fields: 'x' }, { fields: [null, 3] }, { lists: [{}] }, { lists: [{ fields: [{}] }] }]) {
      expect(() => validateMapping(junk as never)).not.toThrow();
      expect(validateMapping(junk as never).length).toBeGreaterThan(0);
    }
  });

  it('is what compileMapping throws', () => {
    const mapping = { fields: [{ extract: 'a', generate: '' }] };
    try {
      compileMapping(mapping);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MappingValidationError);
      expect((err as MappingValidationError).status).toBe(422);
      expect((err as MappingValidationError).items).toEqual(validateMapping(mapping));
    }
  });
});
