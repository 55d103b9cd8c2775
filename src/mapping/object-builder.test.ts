import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMapping, type FieldMapping } from './index.js';
import { loopedObjectBuilder, objectBuilder } from './object-builder.js';
import { NO_ROW, withHint, type Cx, type Produce } from './runtime.js';

const cx: Cx = { errors: null, rowIndex: 0, dynamic: () => [] };

describe('objectBuilder', () => {
  it('builds the same objects as the plain loop, leaving undefined values out', () => {
    const keyArb = fc.oneof(fc.string(), fc.constantFrom('constructor', 'toString', '0', 'a"b', "a'b", '\u2028', '`${x}`'));
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 8 }), fc.array(fc.option(fc.jsonValue(), { nil: undefined })), (keys, values) => {
        fc.pre(!keys.includes('__proto__'));
        const fns: Produce[] = keys.map((_, i) => () => values[i]);
        const a = objectBuilder(keys, fns)({}, NO_ROW, cx);
        const b = loopedObjectBuilder(keys, fns)({}, NO_ROW, cx);
        expect(a).toStrictEqual(b);
      }),
    );
  });

  it('inlines hinted path reads with the same results as the closures', () => {
    const get: Produce = (r) => (r as { a?: { b?: unknown } }).a?.b;
    const fns = [
      withHint(get, { kind: 'path', depth: 0, keys: ['a', 'b'], dataType: undefined }),
      withHint(() => 'k', { kind: 'const', value: 'k' }),
      withHint((_r, w) => (w[1] as { n?: unknown } | undefined)?.n, { kind: 'path', depth: 1, keys: ['n'], dataType: 'number' }),
    ];
    const build = objectBuilder(['x', 'y', 'z'], fns);
    expect(build({ a: { b: 1 } }, [null, { n: '5' }], cx)).toStrictEqual({ x: 1, y: 'k', z: 5 });
    expect(build({ a: 'text' }, [null, {}], cx)).toStrictEqual({ y: 'k', z: 0 });
  });

  it('falls back to the loop where code generation is disallowed', () => {
    const script = fileURLToPath(new URL('./object-builder.fixture.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', script], {
      encoding: 'utf8',
    });
    const fields: FieldMapping[] = JSON.parse(out.split('\n')[0]!);
    const record = JSON.parse(out.split('\n')[1]!);
    expect(out.split('\n')[2]).toBe(JSON.stringify(compileMapping({ fields }).mapRecord(record)));
  });
});
