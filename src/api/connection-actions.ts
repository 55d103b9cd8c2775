import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Adaptor, AdaptorSession, Doc, RunContext } from '../adaptors/adaptor.js';
import { proxyRequest } from '../adaptors/http/index.js';
import { adaptorForConnection } from '../adaptors/registry.js';
import { connectionForAdaptor } from '../domain/adaptor-connections.js';
import type { Services } from '../domain/services.js';
import { ApiError } from '../errors.js';
import { apiRunContext, messageOf, withSession } from './adaptor-runs.js';
import { IdParams } from './resources.js';

const DEFAULT_PING_TIMEOUT_MS = 15_000;

export interface ConnectionActionOptions {
  services: Services;
  /** A ping answers within this many milliseconds (default INTEGRATOR_PING_TIMEOUT_MS, else 15 000). */
  pingTimeoutMs?: number;
}

/** The adaptor of a connection; legacy `rest` connections are served by the HTTP adaptor. */
function adaptorOf(connection: Doc): Adaptor | undefined {
  const type = String(connection.type);
  return adaptorForConnection(type === 'rest' ? 'http' : type);
}

/**
 * Opens a session and pings, answering within `timeoutMs` whatever the adaptor does: an unreachable or
 * silent host is a failure, not a hang. A session still opening when time runs out is closed later.
 */
async function pingWithin(adaptor: Adaptor, connection: Doc, ctx: RunContext, timeoutMs: number): Promise<void> {
  const timeout = new AbortController();
  const signal = AbortSignal.any([ctx.signal, timeout.signal]);
  let session: AdaptorSession | undefined;
  const attempt = (async () => {
    session = await adaptor.open(connection);
    await session.ping({ ...ctx, signal });
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timeout.abort(new Error('ping timed out'));
      reject(new Error(`no answer within ${formatSeconds(timeoutMs)}`));
    }, timeoutMs);
  });
  try {
    await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
    // Settled or timed out: close what is open now (that also drops a socket still waiting for a greeting).
    const close = () => session?.close().catch(() => undefined);
    if (session) void close();
    else void attempt.catch(() => undefined).finally(close);
  }
}

/** A ping failure as the answer states it: always saying what was being reached. */
function pingFailure(adaptor: Adaptor, err: unknown): string {
  const message = messageOf(err);
  return message.startsWith('connecting to ') ? message : `connecting to the ${adaptor.connectionType} application: ${message}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const PROXY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
// Hop-by-hop headers describe our socket to the remote, not the answer.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade', 'trailer', 'te']);

interface ProxyTarget {
  method: string;
  relativeURI?: string;
  netsuite?: { scriptId: string; deployId: string };
}

/** Reads the Integrator-* proxy headers (spec §3.1); a missing or inconsistent set is a 400. */
function proxyTarget(request: FastifyRequest): ProxyTarget {
  const header = (name: string): string | undefined => {
    const v = request.headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s.trim() === '' ? undefined : s.trim();
  };
  const bad = (message: string) => new ApiError('invalid_request_headers', message);
  const method = header('integrator-method')?.toUpperCase();
  if (!method) throw bad('Integrator-Method is required: the HTTP method of the proxied call (GET, POST, PUT, PATCH or DELETE).');
  if (!PROXY_METHODS.includes(method)) throw bad(`Integrator-Method "${method}" is not one of ${PROXY_METHODS.join(', ')}.`);
  const relativeURI = header('integrator-relative-uri');
  // Node lower-cases header names, so Integrator-NetSuite-… and Integrator-Netsuite-… both arrive here.
  const scriptId = header('integrator-netsuite-scriptid');
  const deployId = header('integrator-netsuite-deployid');
  if ((scriptId === undefined) !== (deployId === undefined)) {
    throw bad('Integrator-NetSuite-ScriptId and Integrator-NetSuite-DeployId go together: send both or neither.');
  }
  if (relativeURI !== undefined && scriptId !== undefined) {
    throw bad('Send either Integrator-Relative-URI or the Integrator-NetSuite-ScriptId/-DeployId pair, not both.');
  }
  if (relativeURI === undefined && scriptId === undefined) {
    throw bad('Integrator-Relative-URI is required (or Integrator-NetSuite-ScriptId and -DeployId for a NetSuite RESTlet).');
  }
  if (relativeURI !== undefined && (/^[a-z][a-z0-9+.-]*:/i.test(relativeURI) || relativeURI.startsWith('//'))) {
    // The connection's credentials must never be sent to another host.
    throw bad('Integrator-Relative-URI must be relative to the connection\'s base URI, not an absolute URL.');
  }
  return scriptId !== undefined ? { method, netsuite: { scriptId, deployId: deployId! } } : { method, relativeURI };
}

/**
 * Connection actions: `GET|POST /v1/connections/:id/ping` and `POST /v1/connections/:id/proxy`.
 * A ping answers 200 `{"code":200}`, or 200 `{"errors":[…]}` and marks the connection offline (§4.2).
 */
export async function connectionActionRoutes(app: FastifyInstance, options: ConnectionActionOptions) {
  const { services } = options;
  const envTimeout = Number(process.env.INTEGRATOR_PING_TIMEOUT_MS);
  const pingTimeoutMs = options.pingTimeoutMs ?? (Number.isInteger(envTimeout) && envTimeout > 0 ? envTimeout : DEFAULT_PING_TIMEOUT_MS);
  const tags = ['connections'];

  const ping = async (request: FastifyRequest, reply: FastifyReply) => {
    const { _id } = request.params as { _id: string };
    const accountId = request.identity.accountId;
    if (request.body !== undefined && request.body !== null && (typeof request.body !== 'object' || Array.isArray(request.body))) {
      throw new ApiError('invalid_field', 'The body is optional; when sent it must be a JSON object ({_flowId, _integrationId, _exportId | _importId}).', '(body)');
    }
    const connection = await connectionForAdaptor(services, accountId, _id);
    const adaptor = adaptorOf(connection);
    if (!adaptor) {
      throw new ApiError('not_implemented', `Pinging ${String(connection.type)} connections is not supported yet.`);
    }
    let failure: string | undefined;
    try {
      await pingWithin(adaptor, connection, apiRunContext(request, reply), pingTimeoutMs);
    } catch (err) {
      failure = pingFailure(adaptor, err);
    }
    await markOffline(request, accountId, connection, failure !== undefined);
    return failure === undefined ? { code: 200 } : { errors: [{ code: 'ping_failed', message: failure }] };
  };

  /** A failed ping sets `offline: true`; a successful one clears it. Saving is best effort: the ping's answer stands. */
  const markOffline = async (request: FastifyRequest, accountId: string, connection: Doc, offline: boolean) => {
    if ((connection.offline === true) === offline) return;
    try {
      await services.connections.patch(accountId, connection._id, [{ op: 'add', path: '/offline', value: offline }]);
    } catch (err) {
      request.log.warn({ err: messageOf(err), connectionId: connection._id }, 'could not record the ping result on the connection');
    }
  };

  // An unsaved connection (the body is the connection document): validated like a create, pinged, not stored.
  app.post('/v1/connections/ping', { schema: { tags, summary: 'Test an unsaved connection (body: the connection)' } }, async (request, reply) => {
    const connection = { ...(await services.connections.validateUnsaved(request.identity.accountId, request.body)), _id: 'unsaved' } as Doc;
    const adaptor = adaptorOf(connection);
    if (!adaptor) throw new ApiError('not_implemented', `Pinging ${String(connection.type)} connections is not supported yet.`);
    try {
      await pingWithin(adaptor, connection, apiRunContext(request, reply), pingTimeoutMs);
      return { code: 200 };
    } catch (err) {
      return { errors: [{ code: 'ping_failed', message: pingFailure(adaptor, err) }] };
    }
  });

  app.get('/v1/connections/:_id/ping', { schema: { tags, params: IdParams } }, ping);
  app.post('/v1/connections/:_id/ping', { schema: { tags, params: IdParams } }, ping);

  app.post('/v1/connections/:_id/proxy', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { _id } = request.params as { _id: string };
    const target = proxyTarget(request);
    const connection = await connectionForAdaptor(services, request.identity.accountId, _id);
    const type = String(connection.type);
    if (target.netsuite) {
      if (type !== 'netsuite') {
        throw new ApiError('invalid_request_headers', `Integrator-NetSuite-ScriptId/-DeployId need a NetSuite connection; connection ${_id} is of type ${type}: send Integrator-Relative-URI.`);
      }
      throw new ApiError('not_implemented', 'Proxying to NetSuite RESTlets needs the NetSuite adaptor, which is not available yet.');
    }
    if (type !== 'http' && type !== 'rest') {
      throw new ApiError('invalid_field', `The proxy works with HTTP connections only; connection ${_id} is of type ${type}.`, 'type');
    }
    const ctx = apiRunContext(request, reply);
    let answer;
    try {
      answer = await withSession(adaptorOf(connection)!, connection, (session) =>
        proxyRequest(session, { method: target.method, relativeURI: target.relativeURI!, body: request.body }, ctx.signal),
      );
    } catch (err) {
      throw new ApiError([{ code: 'proxy_failed', message: `proxying ${target.method} ${target.relativeURI}: ${messageOf(err)}` }], 502);
    }
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) reply.header(name, value);
    }
    reply.status(answer.status);
    return reply.send(answer.status === 204 || answer.status === 304 ? undefined : answer.body);
  });
}
