import { toBoolean, toNumber, toStringValue } from './convert.js';
import { copyValue } from './copy.js';
import { assignKey } from './path.js';
import { inlineHints, type InlineHint, type Produce } from './runtime.js';

/**
 * Builds an object from fixed keys, each value from a producer; `undefined` values leave their key
 * out, and an object with no key set is itself `undefined`.
 *
 * Computed-key stores in a loop, and closures shared by every rule, keep V8 from specialising
 * anything: they cost several times what a hand-written function does, and objects are most of the
 * mapper's work. So each output object gets a small generated function: an object literal, and for
 * plain path rules (`inlineHints`) the property reads and conversion written out. The generated text
 * holds only fixed code, keys as JSON string literals and integer indexes, never anything evaluated
 * from the mapping; other producers are called as closures. Where code generation is disallowed
 * (`--disallow-code-generation-from-strings`) the plain loop is used.
 */
export function objectBuilder(keys: readonly string[], fns: readonly Produce[]): Produce {
  if (keys.length > 0 && keys.length <= 200 && !keys.includes('__proto__')) {
    try {
      return generated(keys, fns);
    } catch {
      // fall through to the loop
    }
  }
  return loopedObjectBuilder(keys, fns);
}

/** The same builder without code generation. */
export function loopedObjectBuilder(keys: readonly string[], fns: readonly Produce[]): Produce {
  const n = keys.length;
  return (record, row, cx) => {
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < n; i++) {
      const v = (fns[i] as Produce)(record, row, cx);
      if (v !== undefined) assignKey((out ??= {}), keys[i] as string, v);
    }
    return out;
  };
}

const CONVERT = { number: 'toNumber', boolean: 'toBoolean', string: 'toStringValue' } as const;

const literal = (k: string | number): string => (typeof k === 'number' ? String(k) : JSON.stringify(k));

function valueCode(name: string, i: number, hint: InlineHint | undefined): string[] {
  if (hint === undefined) return [`  const ${name} = f${i}(r, w, c);`];
  if (hint.kind === 'const') return [`  const ${name} = consts[${i}];`];
  const lines = [`  let ${name} = ${hint.depth === 0 ? 'r' : `w[${hint.depth}]`};`];
  for (const k of hint.keys) {
    lines.push(`  ${name} = typeof ${name} === 'object' && ${name} !== null ? ${name}[${literal(k)}] : undefined;`);
  }
  if (hint.dataType !== undefined) lines.push(`  ${name} = ${CONVERT[hint.dataType]}(${name});`);
  else lines.push(`  if (typeof ${name} === 'object' && ${name} !== null) ${name} = copyValue(${name});`);
  return lines;
}

function generated(keys: readonly string[], fns: readonly Produce[]): Produce {
  const hints = fns.map((f) => inlineHints.get(f));
  const consts = hints.map((h) => (h?.kind === 'const' ? h.value : undefined));
  const k = keys.map(literal);
  const v = keys.map((_, i) => `v${i}`);
  const body = [
    `const [${keys.map((_, i) => `f${i}`).join(', ')}] = fns;`,
    'return function buildObject(r, w, c) {',
    ...v.flatMap((name, i) => valueCode(name, i, hints[i])),
    `  if (${v.map((name) => `${name} !== undefined`).join(' && ')}) {`,
    `    return { ${k.map((key, i) => `${key}: v${i}`).join(', ')} };`,
    '  }',
    '  let o;',
    ...v.map((name, i) => `  if (${name} !== undefined) (o ??= {})[${k[i]}] = ${name};`),
    '  return o;',
    '};',
  ].join('\n');
  const factory = new Function('fns', 'consts', 'toNumber', 'toBoolean', 'toStringValue', 'copyValue', body);
  return factory(fns, consts, toNumber, toBoolean, toStringValue, copyValue) as Produce;
}
