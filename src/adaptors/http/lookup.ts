import type { LookupAnswers, LookupRequest, RunContext } from '../adaptor.js';
import { fillPlaceholders, getPath, renderTemplate, templateContext } from '../common/templates.js';
import type { HttpSession } from './connection.js';
import { contentTypeFor } from './export.js';
import { runPool } from './import.js';
import { bodyText, errorMessageOf, extractRecords, parseBody, snippet } from './response.js';

/** One value's answer: its matches, or why searching it failed. */
export type MatchAnswer = LookupAnswers[number];

/**
 * REST/HTTP dynamic lookups (§6.3): `{name, relativeURI, method (GET|POST), body|postData, extract,
 * resourcePath?}`. Each value is searched with one request; the answer lists its matches:
 *
 * - `relativeURI`/`body` take `{field}` placeholders (URL-encoded in the URI) and Handlebars with `record`
 *   and `value`; an object value fills placeholders by path, a plain value fills every placeholder;
 * - a JSON body (`{…}` or `[…]`, JSON media type) gets its placeholders as JSON: inside a string literal
 *   the text is escaped (`"{name}"` with `Ann "q"` sends `"Ann \"q\""`), elsewhere a number, boolean,
 *   null or object is written as JSON and other text as a JSON string (a missing value is `null`);
 * - `extract` starting with an index (`0.id`) reads one value; otherwise, when the response (at
 *   `resourcePath`) is an array, it reads `extract` from every item; no `extract` returns the records;
 * - a 404 is "no match"; any other failure is that value's `{error}`, naming the lookup and the request.
 *   Only a canceled run rejects.
 */
export async function lookupHttp(session: HttpSession, req: LookupRequest, ctx: RunContext): Promise<MatchAnswer[]> {
  return searchEach(session, req.import, req.lookup, req.values, ctx);
}

/** As searchEach, but throws the first value's failure (for callers that need every answer). */
export async function findMatches(
  session: HttpSession,
  imp: Record<string, unknown>,
  lookup: Record<string, unknown>,
  values: unknown[],
  ctx: RunContext,
): Promise<unknown[][]> {
  const answers = await searchEach(session, imp, lookup, values, ctx);
  return answers.map((a) => {
    if (!Array.isArray(a)) throw new Error(a.error);
    return a;
  });
}

/** Searches every value; one answer per value, in order. Rejects only when the run is canceled. */
export async function searchEach(
  session: HttpSession,
  imp: Record<string, unknown>,
  lookup: Record<string, unknown>,
  values: unknown[],
  ctx: RunContext,
): Promise<MatchAnswer[]> {
  const name = String(lookup.name ?? '');
  const uriTemplate = lookup.relativeURI;
  if (typeof uriTemplate !== 'string') return values.map(() => ({ error: `lookup "${name}": relativeURI is required` }));
  const method = String(lookup.method ?? 'GET').toUpperCase();
  const bodyTemplate = lookup.body ?? lookup.postData;
  const mediaType = lookup.requestMediaType as string | undefined;
  const jsonBody = contentTypeFor(mediaType) === 'application/json';
  const extract = typeof lookup.extract === 'string' ? lookup.extract : undefined;
  const resourcePath = typeof lookup.resourcePath === 'string' ? lookup.resourcePath : undefined;
  const results: MatchAnswer[] = new Array(values.length);

  const searchOne = async (value: unknown): Promise<MatchAnswer> => {
    const isObject = value !== null && typeof value === 'object';
    const source = isObject ? value : () => value;
    let uri: string;
    let body: string | undefined;
    try {
      const data = templateContext(ctx, { ...session.templateBase(), import: imp, record: isObject ? value : {}, value });
      uri = fillPlaceholders(renderTemplate(uriTemplate, data), source, encodeURIComponent);
      if (bodyTemplate !== undefined && bodyTemplate !== null && bodyTemplate !== '' && method !== 'GET') {
        if (typeof bodyTemplate !== 'string') body = JSON.stringify(bodyTemplate);
        else {
          const text = renderTemplate(bodyTemplate, data);
          body = jsonBody && /^\s*[[{]/.test(text) ? fillJsonPlaceholders(text, source) : fillPlaceholders(text, source);
        }
      }
    } catch (err) {
      return { error: `lookup "${name}": ${(err as Error).message}` };
    }
    let res;
    try {
      res = await session.send({
        method,
        uri,
        headers: body !== undefined ? { 'content-type': contentTypeFor(mediaType) } : undefined,
        body,
        signal: ctx.signal,
        idempotent: true,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : err;
      return { error: `lookup "${name}": ${method} ${session.resolve(uri)}: ${(err as Error).message}` };
    }
    if (res.status === 404) return [];
    if (res.status < 200 || res.status >= 300) {
      let detail: string | undefined;
      try {
        detail = errorMessageOf(parseBody(res), lookup as { errorPath?: string });
      } catch {
        // Quote the raw text below.
      }
      return { error: `lookup "${name}": ${method} ${session.resolve(uri)}: HTTP ${res.status}: ${detail ?? snippet(bodyText(res), 500)}` };
    }
    try {
      return extractMatches(parseBody(res, lookup.successMediaType as string | undefined), extract, resourcePath);
    } catch (err) {
      return { error: `lookup "${name}": ${method} ${session.resolve(uri)}: ${(err as Error).message}` };
    }
  };

  await runPool(
    values.map((v, i) => i),
    Math.min(values.length, session.config.concurrencyLevel ?? 4),
    async (i) => {
      results[i] = await searchOne(values[i]);
    },
  );
  return results;
}

const PLACEHOLDER = /\{([^{}]+)\}/y;
const JSON_LITERAL = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

/**
 * Fills `{path}` placeholders in a JSON text so that it stays JSON: inside a string literal the value's
 * text is escaped; outside one, a number, boolean or null is written as is, an object or array as JSON,
 * other text as a JSON string, a missing value as `null`. A brace opening an object (`{"a": 1}`) is not
 * a placeholder.
 */
export function fillJsonPlaceholders(template: string, source: unknown | ((path: string) => unknown)): string {
  let out = '';
  let inString = false;
  let i = 0;
  while (i < template.length) {
    const ch = template[i] as string;
    if (inString && ch === '\\') {
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (ch === '{' && template[i - 1] !== '{') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      if (m && (inString || !/^\s*"/.test(m[1] as string))) {
        const path = (m[1] as string).trim();
        const v = typeof source === 'function' ? (source as (p: string) => unknown)(path) : getPath(source, path);
        out += inString ? jsonInString(v) : jsonOutsideString(v);
        i += m[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

function textOf(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function jsonInString(v: unknown): string {
  return JSON.stringify(textOf(v)).slice(1, -1);
}

function jsonOutsideString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  const text = String(v);
  return JSON_LITERAL.test(text.trim()) ? text.trim() : JSON.stringify(text);
}

export function extractMatches(body: unknown, extract: string | undefined, resourcePath?: string): unknown[] {
  if (!extract) return extractRecords(body, resourcePath);
  const base = getPath(body, resourcePath);
  const defined = (v: unknown) => v !== undefined && v !== null && v !== '';
  if (Array.isArray(base) && !/^\d/.test(extract)) return base.map((item) => getPath(item, extract)).filter(defined);
  const v = getPath(base, extract);
  if (!defined(v)) return [];
  return Array.isArray(v) ? v.filter(defined) : [v];
}
