import Handlebars from 'handlebars';
import { formatDate } from '../common/templates.js';

/**
 * Handlebars for SQL: every `{{…}}` (and `{{{…}}}`) becomes a bind placeholder and its value a bind parameter;
 * no value is ever spliced into the SQL text.
 *
 * ```ts
 * renderSql("SELECT * FROM t WHERE updated > '{{lastExportDateTime}}' AND id = {{record.id}}", data, (n) => `$${n}`)
 * // → { sql: 'SELECT * FROM t WHERE updated > $1 AND id = $2', params: ['2024-05-01T00:00:00.000Z', 7] }
 * ```
 *
 * A placeholder written inside quotes (`'{{x}}'`, the reference's habit) stands for the whole quoted value,
 * so the quotes go. A placeholder inside a longer quoted string (`'%{{x}}%'`) cannot be bound and is refused:
 * put the `%` in the value, or concatenate in SQL.
 */
export interface RenderedSql {
  sql: string;
  params: unknown[];
}

const hbs = Handlebars.create();
const BIND = '__bind';
const MARK = '\u0000';

hbs.registerHelper(BIND, function (this: unknown, value: unknown, options: Handlebars.HelperOptions) {
  const binds = (options.data as { binds?: unknown[] } | undefined)?.binds;
  if (!binds) throw new Error('SQL template rendered without a bind list');
  binds.push(value);
  return `${MARK}${binds.length - 1}${MARK}`;
});

// The shared helpers that make sense in SQL (their results are bound like any value).
hbs.registerHelper('dateFormat', (...args: unknown[]) => {
  const [format, date, , timeZone] = args.slice(0, -1);
  const d = date === undefined ? new Date() : new Date(date as string | number | Date);
  if (Number.isNaN(d.getTime())) return '';
  return formatDate(d, typeof format === 'string' && format ? format : 'YYYY-MM-DDTHH:mm:ss.SSSZ', typeof timeZone === 'string' ? timeZone : undefined);
});
hbs.registerHelper('default', (...args: unknown[]) => args.slice(0, -1).find((v) => v !== undefined && v !== null && v !== '') ?? null);

const cache = new Map<string, HandlebarsTemplateDelegate>();
const CACHE_LIMIT = 500;

function compile(template: string): HandlebarsTemplateDelegate {
  let fn = cache.get(template);
  if (!fn) {
    const ast = hbs.parse(template);
    bindMustaches(ast);
    fn = hbs.compile(ast, { noEscape: true });
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(template, fn);
  }
  return fn;
}

/** Rewrites `{{path args}}` into `{{__bind (path args)}}` (or `{{__bind path}}`) throughout the tree. */
function bindMustaches(node: hbs.AST.Program): void {
  for (let i = 0; i < node.body.length; i++) {
    const stmt = node.body[i]!;
    if (stmt.type === 'MustacheStatement') {
      const m = stmt as hbs.AST.MustacheStatement;
      if (m.path.type === 'PathExpression' && (m.path as hbs.AST.PathExpression).original === BIND) continue;
      const path = m.path as hbs.AST.PathExpression;
      const isCall = m.params.length > 0 || (m.hash?.pairs?.length ?? 0) > 0 || (path.type === 'PathExpression' && isHelper(path));
      const arg: hbs.AST.Expression = isCall
        ? ({ type: 'SubExpression', path, params: m.params, hash: m.hash, loc: m.loc } as hbs.AST.SubExpression)
        : m.path;
      const bind: hbs.AST.MustacheStatement = {
        ...m,
        path: { type: 'PathExpression', data: false, depth: 0, parts: [BIND], original: BIND, loc: m.loc } as hbs.AST.PathExpression,
        params: [arg],
        hash: undefined as unknown as hbs.AST.Hash,
      };
      node.body[i] = bind;
    } else if (stmt.type === 'BlockStatement') {
      const b = stmt as hbs.AST.BlockStatement;
      if (b.program) bindMustaches(b.program);
      if (b.inverse) bindMustaches(b.inverse);
    }
  }
}

function isHelper(path: hbs.AST.PathExpression): boolean {
  return !path.data && path.parts.length === 1 && Object.hasOwn(hbs.helpers, path.parts[0]!);
}

export function renderSql(template: string, data: Record<string, unknown>, placeholder: (n: number) => string): RenderedSql {
  const binds: unknown[] = [];
  let text: string;
  try {
    text = compile(template)(data, { data: { binds } });
  } catch (err) {
    throw new Error(`rendering SQL template: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // '{{x}}' → the bare placeholder: the bound value is the whole literal.
  text = text.replace(new RegExp(`'${MARK}(\\d+)${MARK}'`, 'g'), `${MARK}$1${MARK}`);
  assertNotInsideLiteral(text);
  const params: unknown[] = [];
  const sql = text.replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_, index: string) => {
    params.push(binds[Number(index)]);
    return placeholder(params.length);
  });
  return { sql, params };
}

/** Refuses a placeholder that sits inside a longer quoted literal, where a bind parameter cannot go. */
function assertNotInsideLiteral(text: string): void {
  let inLiteral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") inLiteral = !inLiteral;
    else if (c === MARK && inLiteral) {
      throw new Error(
        "rendering SQL template: a {{value}} inside a longer quoted string cannot be a bind parameter; quote the whole value ('{{x}}') or build the string in SQL (e.g. '%' || {{x}} || '%')",
      );
    } else if (c === MARK) {
      i = text.indexOf(MARK, i + 1);
    }
  }
}

/** Why the template does not compile (Handlebars syntax), or undefined when it does. */
export function templateError(template: string): string | undefined {
  try {
    compile(template);
    hbs.precompile(template);
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

/** True when the template mentions `name` (e.g. `lastExportDateTime`) in any mustache. */
export function templateMentions(template: string, name: string): boolean {
  return new RegExp(`\\{\\{[^}]*\\b${name}\\b`).test(template);
}
