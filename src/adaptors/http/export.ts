import type { DataRecord, ExportPage, ExportProblem, ExportRequest, RunContext } from '../adaptor.js';
import { formatDate, getPath as getValue, renderTemplate, templateContext } from '../common/templates.js';
import type { HttpSession } from './connection.js';
import type { HttpExportConfig } from './index.js';
import { httpExportBlock } from './legacy-rest.js';
import { createPager, loopProblem, type FetchedPage, type PageRequest } from './paging.js';
import { bodyText, errorMessageOf, extractRecords, parseBody, ResponseFormatError, ruleFailure, snippet } from './response.js';

/**
 * Runs an HTTPExport: requests pages as `http.paging` says, extracts records at `http.response.resourcePath`,
 * and yields them re-chunked into pages of `req.pageSize`, stopping at `req.limit` or when `ctx.signal` fires.
 *
 * Paging ends on an empty page, a 404 after the first page (or `lastPageStatusCode` when set),
 * `lastPagePath`/`lastPageValues`, the method's own end (no next link or token, `maxPagePath`…), or the
 * loop guard: a repeated request, link, token or page body ends paging, keeps the records already read
 * and reports a `paging_loop` problem on the last page.
 */
export async function* exportHttpPages(session: HttpSession, req: ExportRequest, ctx: RunContext): AsyncGenerator<ExportPage> {
  const exp = req.export;
  const http = httpExportBlock(exp);
  const pageSize = Math.max(1, req.pageSize || 20);
  const limit = req.limit !== undefined && req.limit >= 0 ? req.limit : Infinity;
  const method = (http.method ?? 'GET').toUpperCase();
  const paging = http.paging;
  const pager = createPager(paging, { uri: http.relativeURI ?? '', body: http.body });
  const baseData = exportTemplateData(session, exp, ctx);

  const problems: ExportProblem[] = [];
  const sentRequests = new Set<string>();
  let previousBody: Buffer | undefined;
  let buffer: DataRecord[] = [];
  let total = 0;
  let spec: PageRequest = { uri: http.relativeURI ?? '', body: http.body };
  let previous: FetchedPage | undefined;
  if (limit === 0) return;

  // A page that fails after others were read: the pages already read are delivered first, then the error.
  let failure: { err: unknown } | undefined;
  try {
    for (let index = 0; ; index++) {
      throwIfAborted(ctx.signal);
      const data: Record<string, unknown> = {
        ...baseData,
        export: { ...exp, http: { ...http, paging: { ...paging, ...pager.vars() } } },
      };
      if (spec.withPreviousPage && previous) data.previous_page = previousPage(previous);
      if (spec.url !== undefined) assertSameOrigin(session, spec.url);
      const target = spec.url ?? renderTemplate(spec.uri ?? '', data);
      const body = renderBody(spec.body, data, http.requestMediaType);
      // Headers see the paging variables too (a cursor sent as `X-Cursor: {{export.http.paging.token}}`).
      const headers: Record<string, string> = {};
      for (const h of http.headers ?? []) headers[h.name.toLowerCase()] = renderTemplate(String(h.value ?? ''), data);
      const headerKey = Object.entries(headers)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n');
      const requestKey = `${method} ${session.resolve(target)}\n${headerKey}\n${body ?? ''}`;
      if (sentRequests.has(requestKey)) {
        problems.push(loopProblem('the page request', `${method} ${spec.url ?? target}${body ? ` with body ${snippet(body, 200)}` : ''}`));
        break;
      }
      sentRequests.add(requestKey);

      const page = await fetchPage(session, http, { method, target, body, headers, index }, ctx);
      if (page === 'end') break;
      // An API that ignores its paging parameter sends the same page again; comparing with the page before
      // catches it without hashing every body (links, tokens and requests have their own guards).
      if (previousBody && previousBody.equals(page.raw)) {
        problems.push(loopProblem('the page it had just sent, at', page.url));
        break;
      }
      previousBody = page.raw;

      const take = Math.min(page.records.length, limit - total);
      for (let i = 0; i < take; i++) buffer.push(page.records[i]!);
      total += take;
      while (buffer.length > pageSize) yield { records: buffer.splice(0, pageSize) };
      if (total >= limit || page.records.length === 0) break;
      if (paging?.lastPagePath && matchesLastPage(page.body, paging.lastPagePath, paging.lastPageValues)) break;

      const fetched: FetchedPage = {
        status: page.status,
        headers: page.headers,
        body: page.body,
        url: page.url,
        records: page.records,
        index,
        recordsSoFar: total,
      };
      const decision = pager.next(fetched);
      if ('stop' in decision) {
        if (decision.problem) problems.push(decision.problem);
        break;
      }
      previous = fetched;
      spec = decision.next;
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    failure = { err };
  }

  while (buffer.length > pageSize) yield { records: buffer.splice(0, pageSize) };
  if (buffer.length > 0 || problems.length > 0) {
    yield problems.length > 0 ? { records: buffer, problems } : { records: buffer };
  }
  for (const p of problems) ctx.log.warn({ exportId: exp._id, code: p.code }, p.message);
  if (failure) throw failure.err;
}

/**
 * A next-page URL taken from a response (body path, Link header) is sent with the connection's
 * credentials, so it must stay on the connection's origin: one that leads elsewhere fails the export.
 */
function assertSameOrigin(session: HttpSession, next: string): void {
  const base = session.config.baseURI;
  let want: string;
  let got: string;
  try {
    want = new URL(base).origin;
    got = new URL(next).origin;
  } catch {
    return; // A relative or unparsable URL is judged by the request itself.
  }
  if (want !== got) {
    throw new Error(
      `paging stopped: the next page is on ${got}, not on the connection's ${want} (${session.redact(next)}); ` +
        `the connection's credentials are only sent to its own host, so paging may not leave it`,
    );
  }
}

function matchesLastPage(body: unknown, path: string, values: unknown[] | undefined): boolean {
  const v = path ? getValue(body, path) : undefined;
  const text = v === undefined ? '' : v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return (values ?? []).some((x) => (x === null ? 'null' : String(x)) === text);
}

/** Templates of an export see the run's data, `connection`, `export`, and delta times in `delta.dateFormat`. */
function exportTemplateData(session: HttpSession, exp: Record<string, unknown>, ctx: RunContext): Record<string, unknown> {
  const data = templateContext(ctx, session.templateBase());
  const fmt = (exp.delta as { dateFormat?: string } | undefined)?.dateFormat;
  if (fmt) {
    for (const k of ['lastExportDateTime', 'currentExportDateTime', 'lastExportDateTimeUTC']) {
      const v = data[k];
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) data[k] = formatDate(new Date(v), fmt);
    }
  }
  return data;
}

function previousPage(p: FetchedPage): Record<string, unknown> {
  return {
    full_response: p.body,
    last_record: p.records[p.records.length - 1],
    headers: p.headers,
    page_index: p.index,
  };
}

const MEDIA_TYPES: Record<string, string> = {
  json: 'application/json',
  xml: 'application/xml',
  urlencoded: 'application/x-www-form-urlencoded',
  plaintext: 'text/plain',
  csv: 'text/csv',
};

/** A body template (text) is rendered; a JSON value is sent as JSON (or form fields when urlencoded). */
export function renderBody(body: unknown, data: Record<string, unknown>, mediaType?: string): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  if (typeof body === 'string') return renderTemplate(body, data);
  if ((mediaType ?? '').toLowerCase() === 'urlencoded' && typeof body === 'object') {
    return new URLSearchParams(Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v ?? '')])).toString();
  }
  return JSON.stringify(body);
}

export function contentTypeFor(mediaType: string | undefined): string {
  return MEDIA_TYPES[(mediaType ?? 'json').toLowerCase()] ?? 'application/json';
}

interface Fetched {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  raw: Buffer;
  url: string;
  records: DataRecord[];
}

async function fetchPage(
  session: HttpSession,
  http: HttpExportConfig,
  r: { method: string; target: string; body?: string; headers: Record<string, string>; index: number },
  ctx: RunContext,
): Promise<Fetched | 'end'> {
  const url = session.resolve(r.target);
  const what = `exporting from ${r.method} ${session.redact(url)}`;
  const headers: Record<string, string> = {};
  if (r.body !== undefined) headers['content-type'] = contentTypeFor(http.requestMediaType);
  Object.assign(headers, r.headers);
  let res;
  try {
    res = await session.send({ method: r.method, uri: url, headers, body: r.body, signal: ctx.signal, idempotent: true });
  } catch (err) {
    throwIfAborted(ctx.signal);
    throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
  }
  const paging = http.paging;
  if (paging?.lastPageStatusCode !== undefined) {
    if (res.status === paging.lastPageStatusCode) return 'end';
  } else if (res.status === 404 && r.index > 0) {
    return 'end';
  }
  if (res.status < 200 || res.status >= 300) {
    let detail: string | undefined;
    try {
      detail = errorMessageOf(parseBody(res), http.response);
    } catch {
      // The error body is not JSON: quote it as text below.
    }
    throw new Error(`${what}: HTTP ${res.status}: ${detail ?? snippet(bodyText(res), 500)}`);
  }
  let body: unknown;
  try {
    body = parseBody(res, http.successMediaType ?? session.config.mediaType);
  } catch (err) {
    if (err instanceof ResponseFormatError) throw new Error(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
  const failed = ruleFailure(body, http.response);
  if (failed) throw new Error(`${what}: the response reports a failure: ${failed}`);
  const resourcePath = r.index > 0 && paging?.resourcePath ? paging.resourcePath : http.response?.resourcePath;
  return { status: res.status, headers: res.headers, body, raw: res.body, url, records: extractRecords(body, resourcePath) };
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('export canceled');
}
