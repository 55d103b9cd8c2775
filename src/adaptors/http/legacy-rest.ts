import type { HttpExportConfig, HttpImportConfig, HttpPagingConfig } from './index.js';

/**
 * Legacy `RESTExport`/`RESTImport` (the `rest` block, spec §5.2/§5.4) read into the `http` shape, the way
 * legacy `rest` connections are (connection.ts `connectionConfig`), so one adaptor runs both.
 *
 * Paging (`rest.pagingMethod`): `nextpageurl` → url at `nextPagePath`; `linkheader`; `token` → the token
 * at `nextPagePath` sent as the `pageArgument` query parameter; `pageargument` → the page number (from 1)
 * as `pageArgument`; `skipargument` → the offset as `skipArgument` (or `pageArgument`); `relativeuri` →
 * `nextPageRelativeURI` (Handlebars with `previous_page`); `postbody` → `nextPagePostBody`/`postBody`.
 */
export function httpExportBlock(exp: Record<string, unknown>): HttpExportConfig {
  if (exp.http && typeof exp.http === 'object') return exp.http as HttpExportConfig;
  const rest = exp.rest as Record<string, any> | undefined;
  if (!rest || typeof rest !== 'object') return {};
  let relativeURI: string = rest.relativeURI ?? '';
  const addParam = (name: string | undefined, value: string) => {
    if (!name) return;
    relativeURI += `${relativeURI.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=${value}`;
  };
  let paging: HttpPagingConfig | undefined;
  switch (String(rest.pagingMethod ?? '').toLowerCase()) {
    case 'nextpageurl':
      paging = { method: 'url', path: rest.nextPagePath };
      break;
    case 'linkheader':
      paging = { method: 'linkheader', ...(rest.linkHeaderRelation ? { linkHeaderRelation: rest.linkHeaderRelation } : {}) };
      break;
    case 'token':
      paging = { method: 'token', path: rest.nextPagePath, ...(rest.nextPagePathLocation ? { pathLocation: rest.nextPagePathLocation } : {}) };
      if (rest.pageArgument && !relativeURI.includes('paging.token')) {
        // The first request goes without the parameter; later ones carry the token.
        paging.relativeURI = `${relativeURI}${relativeURI.includes('?') ? '&' : '?'}${encodeURIComponent(rest.pageArgument)}={{export.http.paging.token}}`;
      }
      break;
    case 'pageargument':
      paging = { method: 'page', page: typeof rest.firstPage === 'number' ? rest.firstPage : 1, maxPagePath: rest.maxPagePath, maxCountPath: rest.maxCountPath };
      if (!relativeURI.includes('paging.page')) addParam(rest.pageArgument, '{{export.http.paging.page}}');
      break;
    case 'skipargument':
      paging = { method: 'skip', skip: 0, maxPagePath: rest.maxPagePath, maxCountPath: rest.maxCountPath };
      if (!relativeURI.includes('paging.skip')) addParam(rest.skipArgument ?? rest.pageArgument, '{{export.http.paging.skip}}');
      break;
    case 'relativeuri':
      paging = { method: 'relativeuri', relativeURI: rest.nextPageRelativeURI };
      break;
    case 'postbody':
      paging = { method: 'body', body: rest.nextPagePostBody ?? rest.postBody };
      break;
    default:
      paging = undefined;
  }
  if (paging) for (const k of Object.keys(paging) as (keyof HttpPagingConfig)[]) if (paging[k] === undefined) delete paging[k];
  return {
    method: rest.method ?? 'GET',
    relativeURI,
    ...(rest.headers ? { headers: rest.headers } : {}),
    ...(rest.postBody !== undefined ? { body: rest.postBody } : {}),
    ...(paging ? { paging } : {}),
    response: {
      ...(rest.resourcePath ? { resourcePath: rest.resourcePath } : {}),
      ...(rest.successPath ? { successPath: rest.successPath, successValues: rest.successValues } : {}),
    },
  };
}

/** A `RESTImport`'s `rest` block as an `http` one: same operation fields, `responseIdPath` → `response.resourceIdPath`. */
export function httpImportBlock(imp: Record<string, unknown>): HttpImportConfig & Record<string, unknown> {
  if (imp.http && typeof imp.http === 'object') return imp.http as HttpImportConfig & Record<string, unknown>;
  const rest = imp.rest as Record<string, any> | undefined;
  if (!rest || typeof rest !== 'object') return {} as HttpImportConfig & Record<string, unknown>;
  return {
    ...rest,
    method: rest.method,
    relativeURI: rest.relativeURI,
    ...(rest.body !== undefined ? { body: rest.body } : rest.postBody !== undefined ? { body: rest.postBody } : {}),
    response: {
      ...(rest.response ?? {}),
      ...(rest.responseIdPath ? { resourceIdPath: rest.responseIdPath } : {}),
      ...(rest.successPath ? { successPath: rest.successPath, successValues: rest.successValues } : {}),
    },
  };
}
