import type { HttpResponse } from '../common/http-client.js';
import { getPath, renderTemplate } from '../common/templates.js';
import type { HttpConnectionConfig } from './index.js';
import { bodyText, parseBody, snippet } from './response.js';

/**
 * Connection authentication: puts credentials on each request and renews them when the application
 * says they expired. Types: `basic`, `token` (header with a scheme, custom header, or query parameter),
 * `cookie` (a login request whose Set-Cookie is replayed), `oauth` (client credentials, or authorization
 * code with refresh token), `custom` (a token fetched by a request, refreshed on 401). A token-style auth
 * with `token.refreshRelativeURI` also refreshes on 401.
 */
export interface OutgoingRequest {
  url: URL;
  headers: Record<string, string>;
}

export interface Auth {
  /** Adds the credentials (fetching them first when there are none yet); returns their generation. */
  apply(req: OutgoingRequest, signal?: AbortSignal): Promise<number>;
  /**
   * After an auth failure of a request sent with credentials of `generation`: renews them unless another
   * request already did; true when the request is worth one more try.
   */
  renew(generation: number, signal?: AbortSignal): Promise<boolean>;
  /** Current secrets (after a refresh), so a caller may store them back on the connection. */
  credentials(): Record<string, unknown>;
}

/** Sends a request without auth (token and login calls). */
export type RawSend = (req: {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}) => Promise<HttpResponse>;

type AuthConfig = NonNullable<HttpConnectionConfig['auth']>;

/**
 * `renewed` is called after each successful token fetch (before the requests waiting for it go on), so
 * the new credentials can be stored back on the connection.
 */
export function createAuth(
  config: HttpConnectionConfig,
  templateData: Record<string, unknown>,
  send: RawSend,
  renewed: () => Promise<void> = async () => {},
): Auth {
  const auth = config.auth ?? {};
  const type = (auth.type ?? '').toLowerCase();
  switch (type) {
    case '':
    case 'none':
      return noAuth;
    case 'basic':
      return basicAuth(auth);
    case 'token':
      return auth.token?.refreshRelativeURI ? fetchedTokenAuth(auth, templateData, send, renewed) : staticTokenAuth(auth);
    case 'custom':
      return fetchedTokenAuth(auth, templateData, send, renewed);
    case 'cookie':
      return cookieAuth(auth, templateData, send);
    case 'oauth':
      return oauthAuth(auth, send, renewed);
    default:
      throw new Error(`HTTP auth type "${auth.type}" is not supported (use basic, token, cookie, oauth or custom)`);
  }
}

const noAuth: Auth = {
  apply: async () => 0,
  renew: async () => false,
  credentials: () => ({}),
};

function basicAuth(auth: AuthConfig): Auth {
  const { username = '', password = '' } = auth.basic ?? { username: '', password: '' };
  const value = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return {
    apply: async (req) => {
      req.headers.authorization = value;
      return 0;
    },
    renew: async () => false,
    credentials: () => ({}),
  };
}

/** Places a token where `auth.token` says: header (scheme or none) or query parameter. */
function placeToken(auth: AuthConfig, token: string, req: OutgoingRequest): void {
  const t = auth.token ?? {};
  const location = (t.location ?? 'header').toLowerCase();
  if (location === 'url' || location === 'query' || location === 'queryparam') {
    req.url.searchParams.set(t.paramName || 'access_token', token);
    return;
  }
  const headerName = (t.headerName || 'Authorization').toLowerCase();
  const scheme = t.scheme === undefined ? (headerName === 'authorization' ? 'Bearer' : '') : t.scheme;
  const noScheme = scheme === '' || scheme.toLowerCase() === 'none' || scheme.toLowerCase() === 'custom';
  req.headers[headerName] = noScheme ? token : `${scheme} ${token}`;
}

function staticTokenAuth(auth: AuthConfig): Auth {
  const token = auth.token?.token ?? '';
  return {
    apply: async (req) => {
      placeToken(auth, token, req);
      return 0;
    },
    renew: async () => false,
    credentials: () => ({}),
  };
}

/**
 * Credentials renewal shared by concurrent requests: one fetch at a time, and a request that failed with
 * credentials older than the current ones just retries with the new ones.
 */
function renewer(fetch: (signal?: AbortSignal) => Promise<void>) {
  let generation = 0;
  let running: Promise<void> | undefined;
  const run = (signal?: AbortSignal) => {
    running ??= fetch(signal)
      .then(() => void generation++)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  return {
    get generation() {
      return generation;
    },
    run,
    async renew(used: number, signal?: AbortSignal): Promise<boolean> {
      if (used === generation) await run(signal);
      return true;
    },
  };
}

function renderBody(body: unknown, data: Record<string, unknown>): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  return typeof body === 'string' ? renderTemplate(body, data) : JSON.stringify(body);
}

function failure(what: string, res: HttpResponse): Error {
  return new Error(`${what}: HTTP ${res.status}: ${snippet(bodyText(res), 300)}`);
}

function fetchedTokenAuth(auth: AuthConfig, templateData: Record<string, unknown>, send: RawSend, renewed: () => Promise<void>): Auth {
  const t = auth.token ?? {};
  let token = t.token ?? '';
  const fetcher = renewer(async (signal) => {
    if (!t.refreshRelativeURI) throw new Error('fetching an auth token: auth.token.refreshRelativeURI is not set');
    const data = templateData;
    const body = renderBody(t.refreshBody, data);
    const headers: Record<string, string> = {};
    for (const h of t.refreshHeaders ?? []) headers[h.name.toLowerCase()] = renderTemplate(h.value, data);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await send({
      method: (t.refreshMethod ?? 'POST').toUpperCase(),
      uri: renderTemplate(t.refreshRelativeURI, data),
      headers,
      body,
      signal,
    });
    if (res.status < 200 || res.status >= 300) throw failure('fetching an auth token', res);
    const value = getPath(parseBody(res), t.refreshTokenPath || 'access_token');
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`fetching an auth token: no token at "${t.refreshTokenPath || 'access_token'}" in the response: ${snippet(bodyText(res), 300)}`);
    }
    token = String(value);
    await renewed();
  });
  return {
    apply: async (req, signal) => {
      if (!token) await fetcher.run(signal);
      placeToken(auth, token, req);
      return fetcher.generation;
    },
    renew: (used, signal) => fetcher.renew(used, signal),
    credentials: () => ({ token }),
  };
}

function cookieAuth(auth: AuthConfig, templateData: Record<string, unknown>, send: RawSend): Auth {
  const c = auth.cookie;
  if (!c?.uri) throw new Error('HTTP cookie auth needs auth.cookie.uri (the login request)');
  let cookie = '';
  const login = renewer(async (signal) => {
    const body = renderBody(c.body, templateData);
    const res = await send({
      method: (c.method ?? 'POST').toUpperCase(),
      uri: renderTemplate(c.uri, templateData),
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body,
      signal,
    });
    const ok = c.successStatusCode ? res.status === c.successStatusCode : res.status >= 200 && res.status < 300;
    if (!ok) throw failure('logging in for a session cookie', res);
    const set = res.headers['set-cookie'];
    const list = Array.isArray(set) ? set : set ? [set] : [];
    if (list.length === 0) throw new Error('logging in for a session cookie: the response set no cookie');
    cookie = list.map((s) => s.split(';')[0]!.trim()).join('; ');
  });
  return {
    apply: async (req, signal) => {
      if (!cookie) await login.run(signal);
      req.headers.cookie = req.headers.cookie ? `${req.headers.cookie}; ${cookie}` : cookie;
      return login.generation;
    },
    renew: (used, signal) => login.renew(used, signal),
    credentials: () => ({}),
  };
}

function oauthAuth(auth: AuthConfig, send: RawSend, renewed: () => Promise<void>): Auth {
  const o = auth.oauth ?? {};
  let accessToken = o.accessToken ?? '';
  let refreshToken = o.refreshToken ?? '';
  let expiresAt = o.expiresAt !== undefined ? new Date(o.expiresAt).getTime() : Number.NaN;
  const grant = (o.grantType ?? (refreshToken || accessToken ? 'authorizecode' : 'clientcredentials')).toLowerCase();
  const isClientCredentials = grant.replace(/[_\s-]/g, '') === 'clientcredentials';

  const fetcher = renewer(async (signal) => {
    if (!o.tokenURI) throw new Error('refreshing the OAuth 2.0 token: auth.oauth.tokenURI is not set');
    const form = new URLSearchParams();
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (isClientCredentials) {
      form.set('grant_type', 'client_credentials');
    } else {
      if (!refreshToken) throw new Error('refreshing the OAuth 2.0 token: there is no refresh token; authorize the connection again');
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', refreshToken);
    }
    const scope = Array.isArray(o.scope) ? o.scope.join(' ') : o.scope;
    if (scope) form.set('scope', scope);
    if ((o.clientCredentialsLocation ?? 'body').toLowerCase() === 'basicauthheader') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(o.clientId ?? '')}:${encodeURIComponent(o.clientSecret ?? '')}`).toString('base64')}`;
    } else {
      if (o.clientId) form.set('client_id', o.clientId);
      if (o.clientSecret) form.set('client_secret', o.clientSecret);
    }
    const res = await send({ method: 'POST', uri: o.tokenURI, headers, body: form.toString(), signal });
    if (res.status < 200 || res.status >= 300) throw failure('refreshing the OAuth 2.0 token', res);
    const body = parseBody(res) as Record<string, unknown> | undefined;
    const token = body?.access_token;
    if (typeof token !== 'string' || !token) {
      throw new Error(`refreshing the OAuth 2.0 token: no access_token in the response: ${snippet(bodyText(res), 300)}`);
    }
    accessToken = token;
    if (typeof body?.refresh_token === 'string' && body.refresh_token) refreshToken = body.refresh_token;
    const expiresIn = Number(body?.expires_in);
    expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number.NaN;
    await renewed();
  });

  // Renew a little before the announced expiry so a request never leaves with a token about to die.
  const expired = () => Number.isFinite(expiresAt) && Date.now() >= expiresAt - 30_000;
  return {
    apply: async (req, signal) => {
      if (!accessToken || expired()) await fetcher.run(signal);
      placeToken({ ...auth, token: { scheme: 'Bearer', ...auth.token } }, accessToken, req);
      return fetcher.generation;
    },
    renew: (used, signal) => fetcher.renew(used, signal),
    credentials: () => ({
      accessToken,
      refreshToken,
      ...(Number.isFinite(expiresAt) ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
    }),
  };
}
