import Handlebars from 'handlebars';
import type { RunContext } from '../../adaptor.js';

const hbs = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

/**
 * `{{timestamp}}` is the write time, safe in file names (`2024-05-01T10-20-30.123Z`); `{{timestamp "YYYYMMDD"}}`
 * formats it (YYYY MM DD HH mm ss SSS, UTC).
 */
hbs.registerHelper('timestamp', function (this: unknown, ...args: unknown[]) {
  const format = args.length > 1 && typeof args[0] === 'string' ? args[0] : undefined;
  const now = new Date();
  if (!format) return now.toISOString().replaceAll(':', '-');
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    YYYY: String(now.getUTCFullYear()),
    MM: pad(now.getUTCMonth() + 1),
    DD: pad(now.getUTCDate()),
    HH: pad(now.getUTCHours()),
    mm: pad(now.getUTCMinutes()),
    ss: pad(now.getUTCSeconds()),
    SSS: pad(now.getUTCMilliseconds(), 3),
  };
  return format.replace(/YYYY|MM|DD|HH|mm|ss|SSS/g, (t) => parts[t]!);
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
  const data = { ...ctx.templateData, currentExportDateTime: ctx.currentExportDateTime, lastExportDateTime: ctx.lastExportDateTime, ...extra };
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
