import type { LookupRequest, RunContext } from '../adaptor.js';
import { fillPlaceholders, getPath, renderTemplate, templateContext } from '../common/templates.js';
import type { HttpSession } from './connection.js';
import { contentTypeFor } from './export.js';
import { runPool } from './import.js';
import { bodyText, errorMessageOf, extractRecords, parseBody, snippet } from './response.js';

/**
 * REST/HTTP dynamic lookups (§6.3): `{name, relativeURI, method (GET|POST), body|postData, extract,
 * resourcePath?}`. Each value is searched with one request; the answer lists its matches:
 *
 * - `relativeURI`/`body` take `{field}` placeholders (URL-encoded in the URI) and Handlebars with `record`
 *   and `value`; an object value fills placeholders by path, a plain value fills every placeholder;
 * - `extract` starting with an index (`0.id`) reads one value; otherwise, when the response (at
 *   `resourcePath`) is an array, it reads `extract` from every item; no `extract` returns the records;
 * - a 404 is "no match"; any other failure throws, naming the lookup.
 */
export async function lookupHttp(session: HttpSession, req: LookupRequest, ctx: RunContext): Promise<unknown[][]> {
  return findMatches(session, req.import, req.lookup, req.values, ctx);
}

export async function findMatches(
  session: HttpSession,
  imp: Record<string, unknown>,
  lookup: Record<string, unknown>,
  values: unknown[],
  ctx: RunContext,
): Promise<unknown[][]> {
  const name = String(lookup.name ?? '');
  const uriTemplate = lookup.relativeURI;
  if (typeof uriTemplate !== 'string') throw new Error(`lookup "${name}": relativeURI is required`);
  const method = String(lookup.method ?? 'GET').toUpperCase();
  const bodyTemplate = lookup.body ?? lookup.postData;
  const extract = typeof lookup.extract === 'string' ? lookup.extract : undefined;
  const resourcePath = typeof lookup.resourcePath === 'string' ? lookup.resourcePath : undefined;
  const results: unknown[][] = new Array(values.length);

  await runPool(
    values.map((v, i) => i),
    Math.min(values.length, session.config.concurrencyLevel ?? 4),
    async (i) => {
      const value = values[i];
      const isObject = value !== null && typeof value === 'object';
      const source = isObject ? value : () => value;
      const data = templateContext(ctx, { ...session.templateBase(), import: imp, record: isObject ? value : {}, value });
      const uri = fillPlaceholders(renderTemplate(uriTemplate, data), source, encodeURIComponent);
      let body: string | undefined;
      if (bodyTemplate !== undefined && bodyTemplate !== null && bodyTemplate !== '' && method !== 'GET') {
        body = typeof bodyTemplate === 'string' ? fillPlaceholders(renderTemplate(bodyTemplate, data), source) : JSON.stringify(bodyTemplate);
      }
      let res;
      try {
        res = await session.send({
          method,
          uri,
          headers: body !== undefined ? { 'content-type': contentTypeFor(lookup.requestMediaType as string | undefined) } : undefined,
          body,
          signal: ctx.signal,
          idempotent: true,
        });
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : err;
        throw new Error(`lookup "${name}": ${(err as Error).message}`, { cause: err });
      }
      if (res.status === 404) return void (results[i] = []);
      if (res.status < 200 || res.status >= 300) {
        let detail: string | undefined;
        try {
          detail = errorMessageOf(parseBody(res), lookup as { errorPath?: string });
        } catch {
          // Quote the raw text below.
        }
        throw new Error(`lookup "${name}": ${method} ${session.resolve(uri)}: HTTP ${res.status}: ${detail ?? snippet(bodyText(res), 500)}`);
      }
      let parsed: unknown;
      try {
        parsed = parseBody(res, lookup.successMediaType as string | undefined);
      } catch (err) {
        throw new Error(`lookup "${name}": ${(err as Error).message}`, { cause: err });
      }
      results[i] = extractMatches(parsed, extract, resourcePath);
    },
  );
  return results;
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
