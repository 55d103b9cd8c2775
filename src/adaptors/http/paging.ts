import type { DataRecord, ExportProblem } from '../adaptor.js';
import { headerValue } from '../common/http-client.js';
import { getPath } from '../common/templates.js';
import type { HttpPagingConfig } from './index.js';

/**
 * Paging of HTTP exports (§5.2): one function per method, each returning a Pager that says how to ask
 * for the next page after seeing one. The export loop (export.ts) owns what is common to every method:
 * the empty-page, 404/`lastPageStatusCode` and `lastPagePath` stops, and the repeated request and body guards.
 */

/** A page as the export loop fetched it. */
export interface FetchedPage {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  url: string;
  records: DataRecord[];
  /** 0 for the first request. */
  index: number;
  /** Records read so far, this page included. */
  recordsSoFar: number;
}

/** The next request: a URI template (rendered by the loop), or an absolute URL used as is. */
export interface PageRequest {
  uri?: string;
  url?: string;
  body?: unknown;
  /** Expose `previous_page` to the templates. */
  withPreviousPage?: boolean;
}

export type PagingDecision = { next: PageRequest } | { stop: true; problem?: ExportProblem };

export interface Pager {
  /** Values templates see as `export.http.paging.*`. */
  vars(): Record<string, unknown>;
  /**
   * Decides after each non-empty page that was not the last. A request identical to one already sent is
   * caught by the export loop; pagers guard their own tokens and links.
   */
  next(page: FetchedPage): PagingDecision;
}

export interface PagingBase {
  /** `http.relativeURI` and `http.body` of the export: the first request. */
  uri: string;
  body: unknown;
}

const stop = { stop: true } as const;
/** The problem reported when paging meets something it has already seen. */
export const loopProblem = (what: string, value: string): ExportProblem => ({
  code: 'paging_loop',
  message: `paging stopped: the API repeated ${what} ${value}; the records read before it were kept`,
});
const loop = (what: string, value: string): PagingDecision => ({ stop: true, problem: loopProblem(what, value) });

export function createPager(paging: HttpPagingConfig | undefined, base: PagingBase): Pager {
  const method = (paging?.method ?? '').toLowerCase();
  if (!paging || method === '' || method === 'none') return noPaging();
  switch (method) {
    case 'page':
    case 'pageargument':
      return pageNumberPaging(paging, base);
    case 'skip':
    case 'skipargument':
      return skipPaging(paging, base);
    case 'token':
      return tokenPaging(paging, base);
    case 'url':
    case 'nextpageurl':
      return nextUrlPaging(paging);
    case 'linkheader':
      return linkHeaderPaging(paging);
    case 'relativeuri':
      return relativeUriPaging(paging);
    case 'body':
    case 'postbody':
      return bodyPaging(paging, base);
    default:
      throw new Error(`paging method "${paging.method}" is not supported (page, skip, token, url, linkheader, relativeuri, body)`);
  }
}

export function noPaging(): Pager {
  return { vars: () => ({}), next: () => stop };
}

/** The URI/body for pages ≥ 2: `paging.relativeURI`/`paging.body` when set, else the first request's. */
function laterRequest(paging: HttpPagingConfig, base: PagingBase): PageRequest {
  return {
    uri: paging.relativeURI || base.uri,
    body: paging.body ?? base.body,
    withPreviousPage: Boolean(paging.relativeURI || paging.body),
  };
}

/** True when `maxPagePath`/`maxCountPath` say the page just read was the last one. */
function pastLimits(paging: HttpPagingConfig, page: FetchedPage, pagesRead: number): boolean {
  if (paging.maxPagePath) {
    const max = Number(getPath(page.body, paging.maxPagePath));
    if (Number.isFinite(max)) return pagesRead >= max;
  }
  if (paging.maxCountPath) {
    const max = Number(getPath(page.body, paging.maxCountPath));
    if (Number.isFinite(max)) return page.recordsSoFar >= max;
  }
  return false;
}

export function pageNumberPaging(paging: HttpPagingConfig, base: PagingBase): Pager {
  const first = paging.page ?? 0;
  let page = first;
  return {
    vars: () => ({ page }),
    next: (fetched) => {
      if (pastLimits(paging, fetched, page - first + 1)) return stop;
      page++;
      return { next: laterRequest(paging, base) };
    },
  };
}

export function skipPaging(paging: HttpPagingConfig, base: PagingBase): Pager {
  let skip = paging.skip ?? 0;
  let pages = 0;
  return {
    vars: () => ({ skip }),
    next: (fetched) => {
      pages++;
      if (pastLimits(paging, fetched, pages)) return stop;
      skip += fetched.records.length;
      return { next: laterRequest(paging, base) };
    },
  };
}

export function tokenPaging(paging: HttpPagingConfig, base: PagingBase): Pager {
  let token: string = paging.token ?? '';
  const seen = new Set<string>();
  if (token) seen.add(token);
  return {
    vars: () => ({ token }),
    next: (fetched) => {
      const path = fetched.index > 0 && paging.pathAfterFirstRequest ? paging.pathAfterFirstRequest : paging.path;
      if (!path) throw new Error('token paging needs http.paging.path (where the next token is)');
      const raw =
        (paging.pathLocation ?? 'body').toLowerCase() === 'header' ? headerValue(fetched.headers, path) : getPath(fetched.body, path);
      if (raw === undefined || raw === null || raw === '' || raw === false) return stop;
      const next = typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
      if (seen.has(next)) return loop('the paging token', JSON.stringify(next));
      seen.add(next);
      token = next;
      return { next: laterRequest(paging, base) };
    },
  };
}

function absolute(next: string, current: string): string {
  try {
    return new URL(next, current).toString();
  } catch {
    throw new Error(`paging: the next-page URL ${JSON.stringify(next)} is not a valid URL`);
  }
}

/** Guards a sequence of next URLs: the first repeat ends paging with a problem. */
function urlFollower() {
  const seen = new Set<string>();
  return (fetched: FetchedPage, next: unknown, what: string): PagingDecision => {
    seen.add(fetched.url);
    if (next === undefined || next === null || next === '' || next === false) return stop;
    const url = absolute(String(next), fetched.url);
    if (seen.has(url)) return loop(what, url);
    seen.add(url);
    return { next: { url } };
  };
}

export function nextUrlPaging(paging: HttpPagingConfig): Pager {
  if (!paging.path) throw new Error('url paging needs http.paging.path (where the next-page URL is)');
  const follow = urlFollower();
  return {
    vars: () => ({}),
    next: (fetched) => {
      const next =
        (paging.pathLocation ?? 'body').toLowerCase() === 'header'
          ? headerValue(fetched.headers, paging.path!)
          : getPath(fetched.body, paging.path);
      return follow(fetched, next, 'the next-page URL');
    },
  };
}

/** Parses an RFC 8288 Link header into `rel → URL` (first occurrence wins). */
export function parseLinkHeader(value: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  for (const header of Array.isArray(value) ? value : [value]) {
    for (const m of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g)) {
      const url = m[1]!;
      const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))/i.exec(m[2] ?? '');
      for (const r of (rel?.[1] ?? rel?.[2] ?? '').split(/\s+/)) if (r && !out.has(r)) out.set(r, url);
    }
  }
  return out;
}

export function linkHeaderPaging(paging: HttpPagingConfig): Pager {
  const relation = paging.linkHeaderRelation || 'next';
  const follow = urlFollower();
  return {
    vars: () => ({}),
    next: (fetched) => follow(fetched, parseLinkHeader(fetched.headers.link).get(relation), 'the next link'),
  };
}

export function relativeUriPaging(paging: HttpPagingConfig): Pager {
  if (!paging.relativeURI) throw new Error('relativeuri paging needs http.paging.relativeURI (the URI of pages ≥ 2)');
  return {
    vars: () => ({}),
    next: () => ({ next: { uri: paging.relativeURI, withPreviousPage: true } }),
  };
}

export function bodyPaging(paging: HttpPagingConfig, base: PagingBase): Pager {
  if (!paging.body) throw new Error('body paging needs http.paging.body (the request body of pages ≥ 2)');
  return {
    vars: () => ({}),
    next: () => ({ next: { uri: paging.relativeURI || base.uri, body: paging.body, withPreviousPage: true } }),
  };
}
