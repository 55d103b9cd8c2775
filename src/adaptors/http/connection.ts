import {
  credentialsSinkOf,
  type AdaptorSession,
  type Doc,
  type ExportPage,
  type ExportRequest,
  type ImportRequest,
  type LookupAnswers,
  type LookupRequest,
  type RecordOutcome,
  type RunContext,
} from '../adaptor.js';
import { governorFor } from '../common/governor.js';
import { maskSecrets, MASK } from '../../domain/secrets.js';
import { createHttpClient, HttpRequestError, redactUrl, type HttpClient, type HttpResponse } from '../common/http-client.js';
import { getPath, renderTemplate } from '../common/templates.js';
import { createAuth, type Auth } from './auth.js';
import { exportHttpPages } from './export.js';
import { importHttpRecords } from './import.js';
import type { HttpConnectionConfig } from './index.js';
import { lookupHttp } from './lookup.js';
import { bodyText, matches, parseBody, ruleFailure, snippet } from './response.js';

/** One request through a session: relative URIs resolve against the base URI; auth and headers are added. */
export interface SendRequest {
  method: string;
  /** Relative to `baseURI`, or absolute. */
  uri: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  idempotent?: boolean;
  noRetry?: boolean;
  timeoutMs?: number;
}

export interface HttpSession extends AdaptorSession {
  readonly kind: 'http';
  exportPages(req: ExportRequest, ctx: RunContext): AsyncIterable<ExportPage>;
  importRecords(req: ImportRequest, ctx: RunContext): Promise<RecordOutcome[]>;
  lookup(req: LookupRequest, ctx: RunContext): Promise<LookupAnswers>;
  readonly connection: Doc;
  readonly config: HttpConnectionConfig;
  /** Sends with auth, connection headers and the governor; renews credentials once on an auth failure. */
  send(req: SendRequest): Promise<HttpResponse>;
  /** Absolute URL of a relative URI. */
  resolve(uri: string): string;
  /** A URL fit for messages: no user info, secret-looking and auth query parameters masked. */
  redact(url: string): string;
  /** Data for templates: `connection` (the stored document). For requests actually sent only. */
  templateBase(): Record<string, unknown>;
  /**
   * Data for templates whose output is shown to an API client (test-mode would-be requests, previews):
   * the connection with every secret read as "******".
   */
  maskedTemplateBase(): Record<string, unknown>;
  /**
   * The headers a request would carry, as shown to an API client: the connection's headers rendered with
   * masked secrets, `extra`, and the auth header (or query parameter, on `url`) with its secret masked.
   */
  previewRequest(uri: string, extra?: Record<string, string>): { url: string; headers: Record<string, string> };
  /** Current auth secrets (after a refresh), for storing back on the connection. */
  credentials(): Record<string, unknown>;
}

export interface SessionOptions {
  /** Overrides for tests and the bench (timeouts, retry delays). */
  client?: Partial<Parameters<typeof createHttpClient>[0]>;
}

/** Reads a connection document (`http` block, or a legacy `rest` block) into the `http` shape. */
export function connectionConfig(connection: Doc): HttpConnectionConfig {
  const http = connection.http as HttpConnectionConfig | undefined;
  if (http && typeof http === 'object') return http;
  const rest = connection.rest as Record<string, any> | undefined;
  if (rest && typeof rest === 'object') return fromLegacyRest(rest);
  throw new Error(`connection ${connection._id} has no http block`);
}

function fromLegacyRest(rest: Record<string, any>): HttpConnectionConfig {
  const authType = String(rest.authType ?? '').toLowerCase();
  const auth: NonNullable<HttpConnectionConfig['auth']> = {};
  if (authType === 'basic') {
    auth.type = 'basic';
    auth.basic = { username: rest.basicAuth?.username ?? '', password: rest.basicAuth?.password ?? '' };
  } else if (authType === 'token' || authType === 'custom' || (authType === 'oauth' && rest.bearerToken)) {
    auth.type = 'token';
    auth.token = {
      token: rest.bearerToken ?? '',
      location: rest.tokenLocation === 'url' ? 'url' : 'header',
      headerName: rest.authHeader,
      scheme: rest.authScheme,
      paramName: rest.tokenParam,
    };
  }
  return {
    baseURI: rest.baseURI ?? '',
    mediaType: rest.mediaType,
    headers: rest.headers,
    disableStrictSSL: rest.disableStrictSSL,
    concurrencyLevel: rest.concurrencyLevel,
    retryHeader: rest.retryHeader,
    auth,
    ...(rest.pingRelativeURI
      ? { ping: { relativeURI: rest.pingRelativeURI, method: rest.pingMethod ?? 'GET', successPath: rest.pingSuccessPath, successValues: rest.pingSuccessValues } }
      : {}),
  };
}

/** Joins a base URI and a relative URI the way the reference does: by concatenation, not RFC resolution. */
export function joinURI(baseURI: string, uri: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  if (uri === '') return baseURI;
  const base = baseURI.replace(/\/+$/, '');
  if (uri.startsWith('?') || uri.startsWith('#')) return base + uri;
  return uri.startsWith('/') ? base + uri : `${base}/${uri}`;
}

const PING_TIMEOUT_MS = 15_000;

export async function openHttpSession(connection: Doc, options: SessionOptions = {}): Promise<HttpSession> {
  const config = connectionConfig(connection);
  if (!config.baseURI && !config.ping?.relativeURI?.match(/^https?:/)) {
    throw new Error(`connection ${connection._id}: http.baseURI is required`);
  }
  const rl = config.rateLimit;
  const governor = governorFor(connection._id, {
    concurrency: config.concurrencyLevel ?? (connection.concurrencyLevel as number | undefined),
    minIntervalMs: rl?.limit,
  });
  const certs = config.clientCertificates;
  const client = createHttpClient({
    governor,
    connections: config.concurrencyLevel,
    retryHeader: config.retryHeader,
    tls: {
      rejectUnauthorized: !config.disableStrictSSL,
      cert: certs?.cert,
      key: certs?.key,
      ca: certs?.ca,
      passphrase: certs?.passphrase,
      pfx: certs?.pfx ? Buffer.from(certs.pfx, 'base64') : undefined,
    },
    isRateLimited: rateLimitRecogniser(rl),
    ...(config.timeoutMs ? { headersTimeoutMs: config.timeoutMs, bodyTimeoutMs: config.timeoutMs } : {}),
    ...options.client,
  });
  return new HttpSessionImpl(connection, config, client);
}

function rateLimitRecogniser(rl: HttpConnectionConfig['rateLimit']): ((res: HttpResponse) => boolean) | undefined {
  if (!rl?.failStatusCode && !rl?.failPath) return undefined;
  return (res) => {
    if (rl.failStatusCode && res.status !== rl.failStatusCode) return false;
    if (!rl.failPath) return true;
    try {
      return matches(getPath(parseBody(res), rl.failPath), rl.failValues);
    } catch {
      return false;
    }
  };
}

class HttpSessionImpl implements HttpSession {
  readonly kind = 'http' as const;
  readonly connection: Doc;
  readonly config: HttpConnectionConfig;
  readonly #client: HttpClient;
  readonly #auth: Auth;
  readonly #headers: [string, string][];
  readonly #templateBase: Record<string, unknown>;
  #maskedBase: Record<string, unknown> | undefined;

  constructor(connection: Doc, config: HttpConnectionConfig, client: HttpClient) {
    this.connection = connection;
    this.config = config;
    this.#client = client;
    this.#templateBase = { connection };
    this.#headers = (config.headers ?? []).map((h) => [h.name.toLowerCase(), renderTemplate(String(h.value ?? ''), this.#templateBase)]);
    this.#auth = createAuth(config, this.#templateBase, (r) =>
      this.#client.request({
        method: r.method,
        url: this.resolve(r.uri),
        headers: { ...Object.fromEntries(this.#headers), ...r.headers },
        body: r.body,
        signal: r.signal,
        idempotent: true,
      }),
      () => this.#storeCredentials(),
    );
  }

  /**
   * Requests carry the connection's credentials, so with a baseURI they stay on its origin: an absolute
   * relativeURI (export, import, lookup, ping) pointing elsewhere is refused before anything is sent.
   */
  #assertOwnOrigin(url: URL): void {
    if (!this.config.baseURI) return;
    let own: string;
    try {
      own = new URL(this.config.baseURI).origin;
    } catch {
      return;
    }
    if (url.origin !== own) {
      throw new Error(`${this.redact(url.toString())} is not on the connection's ${own}: its credentials are only sent to its own host (use a relative URI, or another connection)`);
    }
  }

  /**
   * Writes renewed credentials back to the stored connection (through the sink the platform attached),
   * so the next session starts from them: with refresh-token rotation the old refresh token is dead.
   * A failure to store does not fail the request that is waiting for the token.
   */
  async #storeCredentials(): Promise<void> {
    const sink = credentialsSinkOf(this.connection);
    if (!sink || !this.connection.http) return;
    const c = this.#auth.credentials();
    const type = (this.config.auth?.type ?? '').toLowerCase();
    const update: Record<string, unknown> = {};
    if (type === 'oauth') {
      if (c.accessToken) update['http.auth.oauth.accessToken'] = c.accessToken;
      if (c.refreshToken) update['http.auth.oauth.refreshToken'] = c.refreshToken;
      if (c.expiresAt) update['http.auth.oauth.expiresAt'] = c.expiresAt;
    } else if (c.token) {
      update['http.auth.token.token'] = c.token;
    }
    if (Object.keys(update).length === 0) return;
    try {
      await sink(update);
    } catch {
      // Best effort: the session keeps the new tokens; a later renewal tries to store again.
    }
  }

  templateBase(): Record<string, unknown> {
    return this.#templateBase;
  }

  maskedTemplateBase(): Record<string, unknown> {
    this.#maskedBase ??= { connection: maskSecrets(this.connection) };
    return this.#maskedBase;
  }

  previewRequest(uri: string, extra: Record<string, string> = {}): { url: string; headers: Record<string, string> } {
    const masked = this.maskedTemplateBase();
    const headers: Record<string, string> = {};
    for (const h of this.config.headers ?? []) headers[h.name.toLowerCase()] = renderTemplate(String(h.value ?? ''), masked);
    for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
    const url = new URL(this.resolve(uri));
    const a = this.config.auth ?? {};
    const type = (a.type ?? '').toLowerCase();
    if (type === 'basic') headers.authorization = `Basic ${MASK}`;
    else if (type === 'cookie') headers.cookie = MASK;
    else if (type === 'token' || type === 'custom' || type === 'oauth') {
      const t = a.token ?? {};
      const location = (t.location ?? 'header').toLowerCase();
      if (location === 'url' || location === 'query' || location === 'queryparam') url.searchParams.set(t.paramName || 'access_token', MASK);
      else {
        const name = (t.headerName || 'Authorization').toLowerCase();
        const scheme = t.scheme === undefined ? (name === 'authorization' || type === 'oauth' ? 'Bearer' : '') : t.scheme;
        const noScheme = scheme === '' || ['none', 'custom'].includes(scheme.toLowerCase());
        headers[name] = noScheme ? MASK : `${scheme} ${MASK}`;
      }
    }
    return { url: url.toString(), headers };
  }

  credentials(): Record<string, unknown> {
    return this.#auth.credentials();
  }

  resolve(uri: string): string {
    return joinURI(this.config.baseURI, uri);
  }

  redact(url: string): string {
    return redactUrl(url, this.#secretParams);
  }

  /** The query parameter carrying the token, when the auth puts it in the URL. */
  get #secretParams(): string[] {
    const t = this.config.auth?.token;
    const location = (t?.location ?? '').toLowerCase();
    return location === 'url' || location === 'query' || location === 'queryparam' ? [t?.paramName || 'access_token'] : [];
  }

  async send(req: SendRequest): Promise<HttpResponse> {
    const url = new URL(this.resolve(req.uri));
    this.#assertOwnOrigin(url);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {};
      for (const [k, v] of this.#headers) headers[k] = v;
      if (req.headers) for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
      const target = { url: new URL(url), headers };
      const generation = await this.#auth.apply(target, req.signal);
      let res: HttpResponse;
      try {
        res = await this.#client.request({
          method: req.method,
          url: target.url.toString(),
          headers: target.headers,
          body: req.body,
          signal: req.signal,
          idempotent: req.idempotent,
          noRetry: req.noRetry,
          timeoutMs: req.timeoutMs,
        });
      } catch (err) {
        // The client masks secret-looking parameters; the token parameter may be named anything ("pw").
        if (err instanceof HttpRequestError && this.#secretParams.length > 0) {
          err.message = err.message.split(redactUrl(err.url)).join(this.redact(err.url));
        }
        throw err;
      }
      if (attempt === 0 && this.#isAuthFailure(res) && (await this.#auth.renew(generation, req.signal))) continue;
      return res;
    }
  }

  #isAuthFailure(res: HttpResponse): boolean {
    const a = this.config.auth;
    const code = a?.failStatusCode;
    if (code === undefined && res.status === 401) return true;
    if (a?.failPath) {
      if (code !== undefined && res.status !== code) return false;
      try {
        return matches(getPath(parseBody(res), a.failPath), a.failValues);
      } catch {
        return false;
      }
    }
    return code !== undefined && res.status === code;
  }

  async ping(ctx: RunContext): Promise<void> {
    const p = this.config.ping;
    const timeoutMs = p?.timeoutMs ?? PING_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const uri = p?.relativeURI ?? '';
    const where = this.resolve(uri);
    try {
      const data = { ...ctx.templateData, ...this.#templateBase };
      const body =
        p?.body === undefined || p.body === null ? undefined : typeof p.body === 'string' ? renderTemplate(p.body, data) : JSON.stringify(p.body);
      const res = await this.send({
        method: (p?.method ?? 'GET').toUpperCase(),
        uri: renderTemplate(uri, data),
        headers: body !== undefined ? { 'content-type': 'application/json' } : undefined,
        body,
        signal,
        // A ping answers "reachable now?": a refused port or a 5xx is the answer, not a reason to wait.
        noRetry: true,
      });
      if (!p?.relativeURI) {
        // Without a ping request, any answer proves the host is reachable; only an auth refusal fails.
        if (res.status === 401 || res.status === 403) throw new Error(`HTTP ${res.status}: ${snippet(bodyText(res), 300)}`);
        return;
      }
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}: ${snippet(bodyText(res), 300)}`);
      if (p.successPath || p.failPath) {
        const failed = ruleFailure(parseBody(res, this.config.mediaType), p);
        if (failed) throw new Error(failed);
      }
    } catch (err) {
      if (timeout.aborted && !ctx.signal.aborted) {
        throw new Error(`connecting to ${redact(where)}: no answer within ${Math.round(timeoutMs / 1000)} s`, { cause: err });
      }
      throw new Error(`connecting to ${redact(where)}: ${(err as Error).message}`, { cause: err });
    }
  }

  exportPages(req: ExportRequest, ctx: RunContext) {
    return exportHttpPages(this, req, ctx);
  }

  importRecords(req: ImportRequest, ctx: RunContext) {
    return importHttpRecords(this, req, ctx);
  }

  lookup(req: LookupRequest, ctx: RunContext) {
    return lookupHttp(this, req, ctx);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url;
  }
}

export interface ProxyRequest {
  method: string;
  relativeURI: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The remote body, byte for byte. */
  body: Buffer;
}

/**
 * `POST /connections/:id/proxy`: one request through the connection (auth, headers, governor), the
 * remote status, headers and body returned unchanged. Non-idempotent methods are not retried.
 */
export async function proxyRequest(session: AdaptorSession, req: ProxyRequest, signal?: AbortSignal): Promise<ProxyResponse> {
  if ((session as Partial<HttpSession>).kind !== 'http') throw new Error('proxyRequest needs an HTTP connection session');
  const s = session as HttpSession;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | Uint8Array | undefined;
  if (req.body !== undefined && req.body !== null && req.method.toUpperCase() !== 'GET') {
    body = typeof req.body === 'string' || req.body instanceof Uint8Array ? req.body : JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await s.send({ method: req.method.toUpperCase(), uri: req.relativeURI, headers, body, signal });
  return { status: res.status, headers: res.headers, body: res.body };
}
