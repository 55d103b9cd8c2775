import { Type, type Static } from 'typebox';
import type { Adaptor, Doc } from '../adaptor.js';
import { openHttpSession } from './connection.js';

/**
 * The HTTP/REST adaptor: `http` connections (and legacy `rest` ones), `HTTPExport`, `HTTPImport`, REST
 * lookups, and the proxy helper (`proxyRequest` in `connection.ts`).
 */

const NameValue = Type.Object(
  {
    name: Type.String({ description: 'Header name.' }),
    value: Type.String({ description: 'Header value (Handlebars allowed, e.g. `{{{connection.http.encrypted.apiKey}}}`).' }),
  },
  { additionalProperties: true },
);

const StringList = Type.Union([Type.String(), Type.Array(Type.String())]);
const MatchValues = Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]));

const SuccessRules = {
  successPath: Type.Optional(Type.String({ description: 'Path in the response whose value must be one of `successValues`.' })),
  successValues: Type.Optional(MatchValues),
  failPath: Type.Optional(Type.String({ description: 'Path in the response; a value in `failValues` marks a failure even with a 2xx status.' })),
  failValues: Type.Optional(MatchValues),
  errorPath: Type.Optional(Type.String({ description: 'Path of the error message in a failed response.' })),
};

export const HttpConnectionBlock = Type.Object(
  {
    baseURI: Type.String({ description: 'Base URI every relative URI is resolved against.', examples: ['https://api.example.com/v1'] }),
    mediaType: Type.Optional(Type.String({ description: 'Default request/response media type.', default: 'json' })),
    headers: Type.Optional(Type.Array(NameValue, { description: 'Headers sent with every request.' })),
    disableStrictSSL: Type.Optional(Type.Boolean({ description: 'Accept invalid or self-signed TLS certificates.', default: false })),
    concurrencyLevel: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 50, description: 'Most requests in flight on this connection across every flow; absent = no cap.' }),
    ),
    retryHeader: Type.Optional(Type.String({ description: 'Response header carrying the wait on a rate-limit answer.', default: 'Retry-After' })),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        default: 60000,
        description:
          'Per attempt: longest wait for the response headers, and longest silence while reading the body (default 60 s). ' +
          'Network errors and 500/502/503/504 answers of idempotent requests are tried 4 times in all, with backoff; ' +
          'a response body larger than 64 MiB fails the request. API previews (invoke) answer within 30 s whatever this says.',
      }),
    ),
    clientCertificates: Type.Optional(
      Type.Object(
        {
          cert: Type.Optional(Type.String({ description: 'PEM client certificate.' })),
          key: Type.Optional(Type.String({ description: 'PEM private key.', secret: true })),
          ca: Type.Optional(Type.String({ description: 'PEM CA bundle to trust.' })),
          passphrase: Type.Optional(Type.String({ description: 'Key passphrase.', secret: true })),
          pfx: Type.Optional(Type.String({ description: 'PKCS#12 bundle, base64.', secret: true })),
        },
        { description: 'Mutual TLS.' },
      ),
    ),
    ping: Type.Optional(
      Type.Object(
        {
          relativeURI: Type.String({ description: 'Cheap request that proves the credentials work.', examples: ['/me'] }),
          method: Type.Optional(Type.String({ default: 'GET' })),
          body: Type.Optional(Type.Unknown({ description: 'Request body (Handlebars text or JSON).' })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 100, default: 15000, description: 'A ping that takes longer fails.' })),
          ...SuccessRules,
        },
        { additionalProperties: true, description: 'The request `ping` sends to test the connection.' },
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(
            Type.String({ description: '`basic`, `token`, `cookie`, `oauth`, `custom` (token fetched by a request) or none.' }),
          ),
          failStatusCode: Type.Optional(Type.Integer({ description: 'Status meaning the credentials failed (default 401).' })),
          failPath: Type.Optional(Type.String()),
          failValues: Type.Optional(MatchValues),
          basic: Type.Optional(
            Type.Object({ username: Type.String(), password: Type.String({ secret: true }) }, { additionalProperties: true }),
          ),
          token: Type.Optional(
            Type.Object(
              {
                token: Type.Optional(Type.String({ description: 'The token.', secret: true })),
                location: Type.Optional(Type.String({ description: '`header` (default) or `url` (query parameter).' })),
                headerName: Type.Optional(Type.String({ default: 'Authorization' })),
                scheme: Type.Optional(Type.String({ description: '`Bearer` (default), any custom scheme, or `None`.' })),
                paramName: Type.Optional(Type.String({ description: 'Query parameter name when `location` is `url`.' })),
                refreshRelativeURI: Type.Optional(Type.String({ description: 'Request fetching a fresh token (custom auth).' })),
                refreshMethod: Type.Optional(Type.String({ default: 'POST' })),
                refreshBody: Type.Optional(Type.Unknown({ description: 'Body of the token request (Handlebars with `connection`).' })),
                refreshHeaders: Type.Optional(Type.Array(NameValue)),
                refreshTokenPath: Type.Optional(Type.String({ description: 'Path of the token in the token response.', default: 'access_token' })),
                refreshToken: Type.Optional(Type.String({ secret: true })),
              },
              { additionalProperties: true },
            ),
          ),
          oauth: Type.Optional(
            Type.Object(
              {
                grantType: Type.Optional(Type.String({ description: '`clientcredentials` or `authorizecode`; inferred when absent.' })),
                clientId: Type.Optional(Type.String()),
                clientSecret: Type.Optional(Type.String({ secret: true })),
                tokenURI: Type.Optional(Type.String({ description: 'Token endpoint (absolute).' })),
                scope: Type.Optional(StringList),
                accessToken: Type.Optional(Type.String({ secret: true })),
                refreshToken: Type.Optional(Type.String({ secret: true })),
                expiresAt: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'When the access token expires.' })),
                clientCredentialsLocation: Type.Optional(Type.String({ description: '`body` (default) or `basicauthheader`.' })),
              },
              { additionalProperties: true },
            ),
          ),
          cookie: Type.Optional(
            Type.Object(
              {
                uri: Type.String({ description: 'Login request URI (relative or absolute).' }),
                method: Type.Optional(Type.String({ default: 'POST' })),
                body: Type.Optional(Type.Unknown()),
                successStatusCode: Type.Optional(Type.Integer()),
              },
              { additionalProperties: true },
            ),
          ),
        },
        { additionalProperties: true, description: 'Authentication.' },
      ),
    ),
    rateLimit: Type.Optional(
      Type.Object(
        {
          limit: Type.Optional(Type.Integer({ minimum: 0, description: 'Minimum milliseconds between two requests (200 = 5 per second).' })),
          failStatusCode: Type.Optional(Type.Integer({ description: 'Status of a rate-limit answer (default 429).' })),
          failPath: Type.Optional(Type.String()),
          failValues: Type.Optional(MatchValues),
        },
        { additionalProperties: true, description: 'Request spacing and rate-limit answers.' },
      ),
    ),
  },
  { additionalProperties: true, description: 'HTTP connection block.' },
);

const Paging = Type.Object(
  {
    method: Type.Optional(
      Type.String({ description: '`page`, `skip`, `token`, `url`, `linkheader`, `relativeuri`, `body`; absent = one request.' }),
    ),
    page: Type.Optional(Type.Integer({ description: 'First page number (default 0).' })),
    skip: Type.Optional(Type.Integer({ description: 'First offset (default 0).' })),
    token: Type.Optional(Type.String({ description: 'Initial token.' })),
    path: Type.Optional(Type.String({ description: 'Where the next token or URL is (body path or header name).' })),
    pathLocation: Type.Optional(Type.String({ description: '`body` (default) or `header`.' })),
    pathAfterFirstRequest: Type.Optional(Type.String()),
    relativeURI: Type.Optional(Type.String({ description: 'URI for pages ≥ 2 (Handlebars with `previous_page`).' })),
    body: Type.Optional(Type.String({ description: 'Body for pages ≥ 2 (Handlebars with `previous_page`).' })),
    linkHeaderRelation: Type.Optional(Type.String({ default: 'next' })),
    resourcePath: Type.Optional(Type.String({ description: 'Record path for pages ≥ 2.' })),
    maxPagePath: Type.Optional(Type.String()),
    maxCountPath: Type.Optional(Type.String()),
    lastPageStatusCode: Type.Optional(Type.Integer()),
    lastPagePath: Type.Optional(Type.String()),
    lastPageValues: Type.Optional(MatchValues),
  },
  { additionalProperties: true, description: 'How to ask for the next page and when to stop (§5.2).' },
);

export const HttpExportBlock = Type.Object(
  {
    method: Type.Optional(Type.String({ default: 'GET', description: 'HTTP method of the page requests.' })),
    relativeURI: Type.Optional(Type.String({ description: 'Handlebars; `{{export.http.paging.page}}`, `{{lastExportDateTime}}`…' })),
    headers: Type.Optional(Type.Array(NameValue, { description: 'Extra headers of the page requests (Handlebars).' })),
    requestMediaType: Type.Optional(Type.String({ description: '`json` (default), `urlencoded`, `xml` or `plaintext`.' })),
    successMediaType: Type.Optional(Type.String({ description: '`json` (default), `xml` or `plaintext`.' })),
    body: Type.Optional(Type.Unknown({ description: 'Request body: Handlebars text, or JSON.' })),
    paging: Type.Optional(Paging),
    response: Type.Optional(
      Type.Object(
        {
          resourcePath: Type.Optional(Type.String({ description: 'Dot path to the record array; absent = the body.' })),
          resourceIdPath: Type.Optional(Type.String()),
          ...SuccessRules,
        },
        { additionalProperties: true, description: 'Where the records are and how success is recognised.' },
      ),
    ),
  },
  { additionalProperties: true, description: 'HTTPExport block.' },
);

export const HttpImportBlock = Type.Object(
  {
    method: Type.Union([Type.String(), Type.Array(Type.String())], { description: 'One method, or [update, create].' }),
    relativeURI: Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Handlebars with `record`, aligned with `method`.' }),
    body: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.Union([Type.String(), Type.Null()]))], {
        description: 'Body templates aligned with `method`; absent = the mapped record as JSON.',
      }),
    ),
    headers: Type.Optional(Type.Array(NameValue, { description: 'Extra headers (Handlebars with `record`).' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Records per request.' })),
    existingExtract: Type.Optional(Type.String({ description: 'Record field holding the remote id: present → first method (update).' })),
    ignoreLookupName: Type.Optional(Type.String({ description: 'Lookup (in `lookups[]`) that finds the existing record: found → first method.' })),
    ignoreExtract: Type.Optional(Type.String({ description: 'Like `existingExtract`.' })),
    compositeType: Type.Optional(Type.String({ description: '`createandupdate`, `createandignore` or `updateandignore`.' })),
    requestMediaType: Type.Optional(Type.String({ description: '`json` (default), `urlencoded`, `xml` or `plaintext`.' })),
    successMediaType: Type.Optional(Type.String({ description: 'Media type of the answers (default: by Content-Type).' })),
    response: Type.Optional(
      Type.Object(
        {
          resourceIdPath: Type.Optional(Type.String({ description: 'Path of the new id (default `id`).' })),
          resourcePath: Type.Optional(Type.String({ description: 'Path of the per-record results of a batch.' })),
          ...SuccessRules,
        },
        { additionalProperties: true, description: 'Where ids and per-record results are, and how success is recognised.' },
      ),
    ),
  },
  { additionalProperties: true, description: 'HTTPImport block.' },
);

export type HttpConnectionConfig = Static<typeof HttpConnectionBlock>;
export type HttpExportConfig = Static<typeof HttpExportBlock>;
export type HttpImportConfig = Static<typeof HttpImportBlock>;
export type HttpPagingConfig = Static<typeof Paging>;

export const httpAdaptor: Adaptor = {
  connectionType: 'http',
  // Legacy RESTExport/RESTImport run here too: their `rest` block is read as an `http` one (legacy-rest.ts).
  exportTypes: ['HTTPExport', 'RESTExport'],
  importTypes: ['HTTPImport', 'RESTImport'],
  blockName: 'http',
  schemas: { connection: HttpConnectionBlock, export: HttpExportBlock, import: HttpImportBlock },
  open: (connection: Doc) => openHttpSession(connection),
};

export { proxyRequest } from './connection.js';
export type { HttpSession, ProxyRequest, ProxyResponse } from './connection.js';
