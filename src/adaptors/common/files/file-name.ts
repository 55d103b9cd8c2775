import Handlebars from 'handlebars';
import type { RunContext } from '../../adaptor.js';
import { formatDate, templateContext } from '../templates.js';

const hbs = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

hbs.registerHelper('dateFormat', (...args: unknown[]) => {
  const [format, date, , timeZone] = args.slice(0, -1);
  const d = date === undefined ? new Date() : new Date(date as string | number | Date);
  if (Number.isNaN(d.getTime())) return '';
  return formatDate(d, typeof format === 'string' && format ? format : 'YYYY-MM-DDTHH:mm:ss.SSSZ', typeof timeZone === 'string' ? timeZone : undefined);
});

/**
 * `{{timestamp}}` is the write time, safe in file names (`2024-05-01T10-20-30.123Z`); `{{timestamp "YYYYMMDD"}}`
 * formats it (moment-style tokens, UTC; a second argument names a time zone). `{{dateFormat}}` works as in
 * every other template.
 */
hbs.registerHelper('timestamp', function (this: unknown, ...args: unknown[]) {
  const format = args.length > 1 && typeof args[0] === 'string' ? args[0] : undefined;
  const now = new Date();
  if (!format) return now.toISOString().replaceAll(':', '-');
  return formatDate(now, format, typeof args[1] === 'string' && args.length > 2 ? args[1] : undefined);
});

/**
 * Renders a file-name template with the run's template data. The result must be a plain file name, or with
 * `allowFolders` (object keys) a relative path without `..` segments.
 */
export function renderFileName(template: string, ctx: RunContext, extra: Record<string, unknown> = {}, allowFolders = false): string {
  let fn = cache.get(template);
  if (!fn) {
    fn = hbs.compile(template, { noEscape: true });
    if (cache.size >= 500) cache.clear();
    cache.set(template, fn);
  }
  const data = templateContext(ctx, extra);
  let name: string;
  try {
    name = fn(data).trim();
  } catch (err) {
    throw new Error(`rendering file name "${template}": ${(err as Error).message}`, { cause: err });
  }
  const bad = allowFolders
    ? name.startsWith('/') || name.endsWith('/') || name.split('/').some((p) => p === '' || p === '.' || p === '..') || /[\\\0]/.test(name)
    : name === '.' || name === '..' || /[/\\\0]/.test(name);
  if (!name || bad) throw new Error(`file name template "${template}" gave "${name}", which is not a file name`);
  return name;
}
