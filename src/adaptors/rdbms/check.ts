import type { BlockProblem } from '../adaptor.js';
import { checkIdentifier } from './driver.js';
import { refusal } from './policy.js';
import { templateError } from './sql-template.js';

type Block = Record<string, unknown>;

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * What can be checked in an `rdbms` block when it is saved (beyond its schema): table names are plain
 * identifiers, SQL templates compile, and a connection's target is one the server's policy allows.
 */
export function checkRdbmsBlock(resource: 'connection' | 'export' | 'import', block: Block): BlockProblem[] {
  const problems: BlockProblem[] = [];
  const template = (value: unknown, field: string) => {
    if (typeof value !== 'string') return;
    const error = templateError(value);
    if (error) problems.push({ code: 'invalid_field', field, message: `${field} is not a valid template: ${error}` });
  };
  const table = (value: unknown, field: string) => {
    if (value === undefined) return;
    try {
      checkIdentifier(value, field);
    } catch (err) {
      problems.push({ code: 'invalid_field', field, message: err instanceof Error ? err.message : String(err) });
    }
  };

  if (resource === 'connection') {
    const why = refusal(block);
    if (why) problems.push({ code: 'invalid_field', field: 'rdbms.database', message: why });
  } else if (resource === 'export') {
    template(block.query, 'rdbms.query');
    template((block.once as Block | undefined)?.query, 'rdbms.once.query');
  } else {
    if (Array.isArray(block.query)) block.query.forEach((q, i) => template(q, `rdbms.query[${i}]`));
    else template(block.query, 'rdbms.query');
    table((block.bulkInsert as Block | undefined)?.tableName, 'rdbms.bulkInsert.tableName');
    table((block.bulkLoad as Block | undefined)?.tableName, 'rdbms.bulkLoad.tableName');
    list((block.bulkLoad as Block | undefined)?.primaryKeys).forEach((k, i) => table(k, `rdbms.bulkLoad.primaryKeys[${i}]`));
  }
  return problems;
}
