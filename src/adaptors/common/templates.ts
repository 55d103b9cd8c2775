import Handlebars from 'handlebars';
import { compileDateFormatter, type DateFormatter } from '../../mapping/dates.js';

/**
 * Handlebars as every adaptor uses it: one isolated environment, `noEscape: true` (URIs, JSON bodies and
 * SQL are not HTML), a bounded cache of compiled templates, and a few helpers:
 *
 * - `{{dateFormat "YYYY-MM-DD" lastExportDateTime}}` (moment-style tokens; optional 3rd arg ignored,
 *   4th arg an IANA time zone, default UTC);
 * - `{{join array ","}}` or `{{join "," a b c}}`;
 * - `{{default value "fallback"}}` — the first argument that is not null, undefined or "";
 * - `{{lookup obj "key"}}` — own properties only; `{{lookup "lookupName" value}}` reads a pre-resolved
 *   result from `lookupResults[lookupName][value]` in the data (the mapper resolves lookups first);
 * - `{{jsonSerialize value}}` / `{{json value}}`, `{{encodeURIComponent value}}`.
 *
 * @example
 * renderTemplate('/orders?since={{lastExportDateTime}}&page={{export.http.paging.page}}', data)
 */
export type TemplateData = Record<string, unknown>;

const hbs = Handlebars.create();
const CACHE_LIMIT = 2000;
const cache = new Map<string, Handlebars.TemplateDelegate>();

/** True when the text contains a Handlebars expression (plain text renders to itself). */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

/** Compiles (once; cached) a template. Throws on a syntax error, with the template named. */
export function compileTemplate(template: string): (data: TemplateData) => string {
  let fn = cache.get(template);
  if (!fn) {
    try {
      const source = protectClosingBraces(template);
      const compiled = hbs.compile(source, { noEscape: true, strict: false });
      fn = source === template ? compiled : (data: unknown, options?: Handlebars.RuntimeOptions) => compiled(data, options).replaceAll(BRACE, '}');
      // Compile eagerly so syntax errors surface here, not at the first render.
      fn({});
    } catch (err) {
      throw new Error(`compiling template ${JSON.stringify(truncate(template, 200))}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(template, fn);
  }
  return fn as (data: TemplateData) => string;
}

const BRACE = '\uE000';

/**
 * JSON bodies end expressions next to their own braces: `{"after": {{cursor}}}`. Handlebars reads `}}}`
 * as the end of a triple-stash and fails; a `}` right after an expression's closing `}}` is text, so it is
 * swapped for a private-use character during compilation and put back in the output.
 */
function protectClosingBraces(template: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const open = template.indexOf('{{', i);
    if (open < 0) break;
    const triple = template.startsWith('{{{', open);
    const closer = triple ? '}}}' : '}}';
    const close = template.indexOf(closer, open + closer.length);
    if (close < 0) break;
    let end = close + closer.length;
    out += template.slice(i, end);
    while (template[end] === '}') {
      out += BRACE;
      end++;
    }
    i = end;
  }
  return out + template.slice(i);
}

/** Renders a template with the given data. Text without `{{` is returned unchanged, without compiling. */
export function renderTemplate(template: string, data: TemplateData): string {
  if (!isTemplate(template)) return template;
  const fn = compileTemplate(template);
  try {
    return fn(data);
  } catch (err) {
    throw new Error(`rendering template ${JSON.stringify(truncate(template, 200))}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The data templates of one run see: the run's `templateData` (settings, state…), the delta times, and
 * the step values (`export`, `record`, `batch_of_records`, `connection`, `previous_page`…).
 */
export function templateContext(
  ctx: { templateData?: Record<string, unknown>; lastExportDateTime?: string; currentExportDateTime?: string },
  extra: TemplateData = {},
): TemplateData {
  const data: TemplateData = { ...(ctx.templateData ?? {}) };
  if (data.lastExportDateTime === undefined && ctx.lastExportDateTime !== undefined) {
    data.lastExportDateTime = ctx.lastExportDateTime;
  }
  if (data.currentExportDateTime === undefined && ctx.currentExportDateTime !== undefined) {
    data.currentExportDateTime = ctx.currentExportDateTime;
  }
  if (data.lastExportDateTimeUTC === undefined && data.lastExportDateTime !== undefined) {
    data.lastExportDateTimeUTC = data.lastExportDateTime;
  }
  return Object.assign(data, extra);
}

/**
 * Reads a dot path (`a.b.0.c`; `a[0].b` also accepted). An empty or missing path returns the value
 * itself. Only own properties are followed.
 */
export function getPath(value: unknown, path: string | undefined): unknown {
  if (path === undefined || path === '' || path === '$') return value;
  let cur: unknown = value;
  for (const part of splitPath(path)) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const pathCache = new Map<string, string[]>();
function splitPath(path: string): string[] {
  let parts = pathCache.get(path);
  if (!parts) {
    parts = path
      .replace(/^\$\.?/, '')
      .replace(/\[(\d+|"[^"]*"|'[^']*')\]/g, (_m, p: string) => `.${p.replace(/^["']|["']$/g, '')}`)
      .split('.')
      .filter((p) => p !== '');
    if (pathCache.size > 5000) pathCache.clear();
    pathCache.set(path, parts);
  }
  return parts;
}

/**
 * Fills legacy single-brace placeholders (`/customers?email={email}`) from a record by dot path, or from
 * a resolver function; a missing value renders as empty text. `{{…}}` Handlebars expressions are left alone.
 */
export function fillPlaceholders(
  template: string,
  source: unknown | ((path: string) => unknown),
  encode?: (v: string) => string,
): string {
  if (!template.includes('{')) return template;
  return template.replace(/(?<!\{)\{([^{}]+)\}(?!\})/g, (_m, path: string) => {
    const v = typeof source === 'function' ? (source as (p: string) => unknown)(path.trim()) : getPath(source, path.trim());
    const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return encode ? encode(text) : text;
  });
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

// ---------------------------------------------------------------------------------------------- helpers

type HelperOptions = Handlebars.HelperOptions;
const isOptions = (v: unknown): v is HelperOptions =>
  typeof v === 'object' && v !== null && 'hash' in v && 'data' in v;
const argsOf = (args: unknown[]): { values: unknown[]; options: HelperOptions } => {
  const options = args[args.length - 1] as HelperOptions;
  return { values: args.slice(0, -1).filter((v) => !isOptions(v)), options };
};

hbs.registerHelper('dateFormat', (...args: unknown[]) => {
  const { values } = argsOf(args);
  const [format, date, , timeZone] = values;
  const d = toDate(date === undefined ? new Date() : date);
  if (!d) return '';
  return formatDate(d, typeof format === 'string' && format ? format : 'YYYY-MM-DDTHH:mm:ss.SSSZ', asZone(timeZone));
});

hbs.registerHelper('join', (...args: unknown[]) => {
  const { values } = argsOf(args);
  if (Array.isArray(values[0])) {
    return (values[0] as unknown[]).map(str).join(typeof values[1] === 'string' ? values[1] : ',');
  }
  const [sep, ...rest] = values;
  return rest.flatMap((v) => (Array.isArray(v) ? v : [v])).map(str).join(typeof sep === 'string' ? sep : ',');
});

hbs.registerHelper('default', (...args: unknown[]) => {
  const { values } = argsOf(args);
  return values.find((v) => v !== undefined && v !== null && v !== '') ?? '';
});

hbs.registerHelper('lookup', (...args: unknown[]) => {
  const { values, options } = argsOf(args);
  const [obj, key] = values;
  if (typeof obj === 'string') {
    const results = getPath(options.data?.root, 'lookupResults') as Record<string, Record<string, unknown>> | undefined;
    const byName = results && Object.prototype.hasOwnProperty.call(results, obj) ? results[obj] : undefined;
    const k = str(key);
    return byName && Object.prototype.hasOwnProperty.call(byName, k) ? byName[k] : '';
  }
  if (obj === null || obj === undefined || typeof obj !== 'object' || key === undefined || key === null) return undefined;
  const k = String(key);
  return Object.prototype.hasOwnProperty.call(obj, k) ? (obj as Record<string, unknown>)[k] : undefined;
});

const jsonHelper = (...args: unknown[]) => {
  const { values } = argsOf(args);
  return JSON.stringify(values[0] === undefined ? null : values[0]);
};
hbs.registerHelper('jsonSerialize', jsonHelper);
hbs.registerHelper('json', jsonHelper);
hbs.registerHelper('encodeURIComponent', (...args: unknown[]) => encodeURIComponent(str(argsOf(args).values[0])));

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// ------------------------------------------------------------------------------------------------ dates

function toDate(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === 'number') return new Date(v < 1e11 ? v * 1000 : v);
  if (typeof v === 'string' && v.trim() !== '') {
    const s = v.trim();
    const d = /^\d+$/.test(s) ? new Date(Number(s) < 1e11 ? Number(s) * 1000 : Number(s)) : new Date(s);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

function asZone(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v.toUpperCase() !== 'UTC' && v !== 'Z' ? v : undefined;
}

const dateFormatters = new Map<string, DateFormatter>();

/** Formats a date with moment-style tokens (YYYY YY MM M DD D HH H hh h mm m ss s SSS A a Z ZZ X x, [literal]). */
export function formatDate(date: Date, format: string, timeZone?: string): string {
  const key = `${timeZone ?? ''}\n${format}`;
  let formatter = dateFormatters.get(key);
  if (!formatter) {
    // The mapper's formatter, compiled once per format and zone (template formats are few and fixed).
    if (dateFormatters.size >= 1000) dateFormatters.clear();
    formatter = compileDateFormatter(format, timeZone);
    dateFormatters.set(key, formatter);
  }
  return formatter(date.getTime());
}
