import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import type { Governor } from './governor.js';

/**
 * The outbound HTTP client every HTTP-speaking adaptor uses: one undici Agent per connection (keep-alive
 * pools per origin, TLS options), the connection's governor around every attempt, timeouts, a response
 * size limit, and retries:
 *
 * - network errors and 500/502/504 are retried with bounded exponential backoff and full jitter — for
 *   idempotent methods only (GET, HEAD, OPTIONS, PUT, DELETE) unless the request says `idempotent: true`,
 *   except a refused connection, which never reached the server and is always retried;
 * - 429 and 503 (and answers `isRateLimited` recognises) honour `Retry-After` (seconds or HTTP date),
 *   pausing the whole connection's governor; without the header they back off like errors.
 *
 * Failures that are not an HTTP answer throw `HttpRequestError` with a message naming the request.
 * Non-2xx answers are returned, not thrown: the caller decides what a status means.
 */
export interface HttpClientOptions {
  governor?: Governor;
  tls?: TlsOptions;
  /** Sockets per origin (default: undici's, unlimited). */
  connections?: number;
  /** Time to connect (default 10 s). */
  connectTimeoutMs?: number;
  /** Time from sending to the response headers (default 60 s). */
  headersTimeoutMs?: number;
  /** Longest silence while reading the body (default 60 s). */
  bodyTimeoutMs?: number;
  /** Whole-request ceiling including retries and waits (default none). */
  requestTimeoutMs?: number;
  /** Largest response body accepted (default 64 MiB). */
  maxResponseBytes?: number;
  retry?: RetryOptions;
  /**
   * Redirects followed (default 5; 0 = answer 3xx as is). A redirect to another origin (scheme, host or
   * port) carries only the headers in SAFE_CROSS_ORIGIN_HEADERS: every credential (Authorization, Cookie,
   * a custom API-key header, the connection's own headers) stays behind.
   */
  maxRedirections?: number;
  /** Extra rate-limit recognition (a 200 with `{"error":"rate_limited"}`…); 429 is always one. */
  isRateLimited?: (res: HttpResponse) => boolean;
  /** Header carrying the wait (default `Retry-After`). */
  retryHeader?: string;
}

export interface TlsOptions {
  rejectUnauthorized?: boolean;
  cert?: string;
  key?: string;
  ca?: string | string[];
  passphrase?: string;
  pfx?: string | Buffer;
}

export interface RetryOptions {
  /** Attempts for network errors and 5xx, the first included (default 4). */
  maxAttempts?: number;
  /** Extra attempts after rate-limit answers (default 10). */
  maxRateLimitRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this fails the request instead of waiting (default 5 min). */
  maxRetryAfterMs?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Allow retrying a non-idempotent request after a 5xx or a dropped connection. */
  idempotent?: boolean;
  /** Send without retries (a proxied call, a token request). */
  noRetry?: boolean;
  maxResponseBytes?: number;
  /** This request's own ceiling (overrides the client's `requestTimeoutMs`). */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The URL that answered. */
  url: string;
  attempts: number;
}

export type HttpErrorKind = 'network' | 'timeout' | 'response_too_large' | 'aborted' | 'rate_limited';

export class HttpRequestError extends Error {
  readonly kind: HttpErrorKind;
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  constructor(kind: HttpErrorKind, method: string, url: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(`${method} ${redactUrl(url)}: ${message}`, options);
    this.name = 'HttpRequestError';
    this.kind = kind;
    this.method = method;
    this.url = url;
    this.status = options?.status;
  }
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
/** The only request headers that follow a redirect to another origin: none of them can carry a credential. */
export const SAFE_CROSS_ORIGIN_HEADERS = new Set(['accept', 'accept-language', 'accept-encoding', 'content-type', 'content-length', 'user-agent', 'cache-control', 'pragma']);

function crossOriginHeaders(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!headers) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => SAFE_CROSS_ORIGIN_HEADERS.has(k.toLowerCase())));
}

function withoutHeaders(headers: Record<string, string> | undefined, names: string[]): Record<string, string> | undefined {
  if (!headers) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k.toLowerCase())));
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const RETRY_STATUS = new Set([500, 502, 504]);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Failures that another attempt cannot fix: certificates and unknown hosts. */
const PERMANENT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ENOTFOUND',
  'ERR_INVALID_URL',
]);
const errorCode = (err: unknown): string =>
  (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code ?? '';

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  return new HttpClientImpl(options);
}

class HttpClientImpl implements HttpClient {
  readonly #opts: HttpClientOptions;
  readonly #agent: Agent;
  readonly #redirects: number;
  readonly #retry: Required<RetryOptions>;

  constructor(opts: HttpClientOptions) {
    this.#opts = opts;
    const tls = opts.tls ?? {};
    this.#agent = new Agent({
      connections: opts.connections,
      headersTimeout: opts.headersTimeoutMs ?? 60_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
      connect: {
        timeout: opts.connectTimeoutMs ?? 10_000,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
        ...(tls.pfx ? { pfx: tls.pfx } : {}),
      },
    });
    this.#redirects = Math.max(0, opts.maxRedirections ?? 5);
    this.#retry = {
      maxAttempts: opts.retry?.maxAttempts ?? 4,
      maxRateLimitRetries: opts.retry?.maxRateLimitRetries ?? 10,
      baseDelayMs: opts.retry?.baseDelayMs ?? 250,
      maxDelayMs: opts.retry?.maxDelayMs ?? 10_000,
      maxRetryAfterMs: opts.retry?.maxRetryAfterMs ?? 300_000,
    };
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method.toUpperCase();
    const timeoutMs = req.timeoutMs ?? this.#opts.requestTimeoutMs;
    const signals = [req.signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const retryable = !req.noRetry;
    const idempotent = req.idempotent ?? IDEMPOTENT.has(method);
    let errorAttempts = 0;
    let rateLimitRetries = 0;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.#attempt(method, req, signal, attempt);
      } catch (err) {
        const e = this.#toError(err, method, req.url, signal, req.signal, timeoutMs);
        errorAttempts++;
        const code = errorCode(err);
        const refused = code === 'ECONNREFUSED';
        if (!retryable || e.kind === 'aborted' || e.kind === 'response_too_large' || PERMANENT_CODES.has(code) || !(idempotent || refused)) throw e;
        if (errorAttempts >= this.#retry.maxAttempts) {
          throw new HttpRequestError(e.kind, method, req.url, `${stripPrefix(e.message)} (after ${errorAttempts} attempts)`, {
            cause: err,
          });
        }
        await sleep(backoffDelay(errorAttempts, this.#retry.baseDelayMs, this.#retry.maxDelayMs), signal).catch((abortErr) => {
          throw this.#toError(abortErr, method, req.url, signal, req.signal, timeoutMs);
        });
        continue;
      }
      const rateLimited = res.status === 429 || (this.#opts.isRateLimited?.(res) ?? false);
      if (retryable && (rateLimited || res.status === 503)) {
        const wait = parseRetryAfter(headerValue(res.headers, this.#opts.retryHeader ?? 'retry-after'));
        if (wait !== undefined || rateLimited) {
          rateLimitRetries++;
          if (rateLimitRetries > this.#retry.maxRateLimitRetries) {
            if (rateLimited) {
              throw new HttpRequestError('rate_limited', method, req.url, `still rate limited (HTTP ${res.status}) after ${rateLimitRetries} attempts`, {
                status: res.status,
              });
            }
            return res;
          }
          if (wait !== undefined && wait > this.#retry.maxRetryAfterMs) {
            throw new HttpRequestError(
              'rate_limited',
              method,
              req.url,
              `rate limited (HTTP ${res.status}); the server asks to wait ${Math.ceil(wait / 1000)} s, more than the ${Math.ceil(this.#retry.maxRetryAfterMs / 1000)} s allowed`,
              { status: res.status },
            );
          }
          const delay = wait ?? backoffDelay(rateLimitRetries, this.#retry.baseDelayMs, this.#retry.maxDelayMs);
          this.#opts.governor?.pause(delay);
          await sleep(delay, signal).catch((abortErr) => {
            throw this.#toError(abortErr, method, req.url, signal, req.signal, timeoutMs);
          });
          continue;
        }
      }
      if (retryable && idempotent && (RETRY_STATUS.has(res.status) || res.status === 503)) {
        errorAttempts++;
        if (errorAttempts < this.#retry.maxAttempts) {
          await sleep(backoffDelay(errorAttempts, this.#retry.baseDelayMs, this.#retry.maxDelayMs), signal).catch((abortErr) => {
            throw this.#toError(abortErr, method, req.url, signal, req.signal, timeoutMs);
          });
          continue;
        }
      }
      return res;
    }
  }

  async #attempt(method: string, req: HttpRequest, signal: AbortSignal | undefined, attempt: number): Promise<HttpResponse> {
    const release = this.#opts.governor ? await this.#opts.governor.acquire(signal) : undefined;
    try {
      let url = req.url;
      let verb = method;
      let headers = req.headers;
      let body = req.body;
      for (let hops = 0; ; hops++) {
        const res = await undiciRequest(url, {
          method: verb as Dispatcher.HttpMethod,
          headers,
          body,
          signal,
          dispatcher: this.#agent,
        });
        const location = headerValue(res.headers, 'location');
        if (REDIRECT_STATUS.has(res.statusCode) && location && hops < this.#redirects) {
          discard(res.body);
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            throw new HttpRequestError('network', method, req.url, `redirected to an invalid URL ${JSON.stringify(location)}`);
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            throw new HttpRequestError('network', method, req.url, `redirected to a ${next.protocol} URL, which is not followed`);
          }
          // 303 always, and 301/302 after a POST, become a GET without body (what browsers and undici do).
          if (res.statusCode === 303 ? verb !== 'HEAD' : (res.statusCode === 301 || res.statusCode === 302) && verb === 'POST') {
            verb = 'GET';
            body = undefined;
            headers = withoutHeaders(headers, ['content-type', 'content-length', 'content-encoding']);
          }
          if (next.origin !== new URL(url).origin) headers = crossOriginHeaders(headers);
          url = next.toString();
          continue;
        }
        const limit = req.maxResponseBytes ?? this.#opts.maxResponseBytes ?? DEFAULT_MAX_BYTES;
        const data = await readBody(res, limit, method, url);
        return { status: res.statusCode, headers: res.headers, body: data, url, attempts: attempt };
      }
    } finally {
      release?.();
    }
  }

  #toError(
    err: unknown,
    method: string,
    url: string,
    signal: AbortSignal | undefined,
    callerSignal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ): HttpRequestError {
    if (err instanceof HttpRequestError) return err;
    if (signal?.aborted) {
      if (callerSignal?.aborted) return new HttpRequestError('aborted', method, url, 'request canceled', { cause: err });
      return new HttpRequestError('timeout', method, url, `no complete answer within ${timeoutMs} ms`, { cause: err });
    }
    const code = (err as { code?: string })?.code ?? '';
    const msg = (err as Error)?.message ?? String(err);
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return new HttpRequestError('timeout', method, url, 'timed out waiting for the response headers', { cause: err });
    if (code === 'UND_ERR_BODY_TIMEOUT') return new HttpRequestError('timeout', method, url, 'timed out reading the response body', { cause: err });
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new HttpRequestError('timeout', method, url, 'timed out connecting', { cause: err });
    const detail = [code, (err as { cause?: Error })?.cause?.message].filter(Boolean).join(' ');
    return new HttpRequestError('network', method, url, detail ? `${msg} (${detail})` : msg, { cause: err });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

async function readBody(res: Dispatcher.ResponseData, limit: number, method: string, url: string): Promise<Buffer> {
  const declared = Number(headerValue(res.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    discard(res.body);
    throw new HttpRequestError('response_too_large', method, url, `response of ${declared} bytes is larger than the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      discard(res.body);
      throw new HttpRequestError('response_too_large', method, url, `response is larger than the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function discard(body: Dispatcher.ResponseData['body']): void {
  // Destroying an undici body emits an AbortError; nobody else listens any more.
  body.on('error', () => {});
  body.destroy();
}

/** The first value of a response header, by case-insensitive name. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()] ?? headers[name];
  if (v !== undefined) return Array.isArray(v) ? v[0] : v;
  const lower = name.toLowerCase();
  for (const [k, val] of Object.entries(headers)) if (k.toLowerCase() === lower) return Array.isArray(val) ? val[0] : val;
  return undefined;
}

/** Milliseconds a Retry-After value asks to wait: delta seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, base·2^(attempt-1))], at least 1/4 of the cap. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 4 + Math.random() * (cap * 3) / 4);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A URL without its query string's secret-looking values and user info, for messages and logs.
 * `secretParams` names more parameters to mask (a connection's token parameter, whatever its name).
 */
export function redactUrl(url: string, secretParams: readonly string[] = []): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const extra = new Set(secretParams.map((p) => p.toLowerCase()));
    for (const k of [...u.searchParams.keys()]) {
      if (/token|key|secret|password|auth|signature|sig/i.test(k) || extra.has(k.toLowerCase())) u.searchParams.set(k, '***');
    }
    return u.toString();
  } catch {
    return url;
  }
}

function stripPrefix(message: string): string {
  const i = message.indexOf(': ');
  return i >= 0 ? message.slice(i + 2) : message;
}
