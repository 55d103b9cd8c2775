// Run by object-builder.test.ts under --disallow-code-generation-from-strings.
import { compileMapping, type FieldMapping } from './index.js';

const fields: FieldMapping[] = [
  { extract: 'a.b', generate: 'x.y', dataType: 'number' },
  { extract: '{a.b}-{c}', generate: 'x.t' },
  { generate: 'k', hardCodedValue: 'c' },
  { extract: 'c', generate: "['__proto__'].c" },
];
const record = { a: { b: '4' }, c: 'C' };
console.log(JSON.stringify(fields));
console.log(JSON.stringify(record));
console.log(JSON.stringify(compileMapping({ fields }).mapRecord(record)));
