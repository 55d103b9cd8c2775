import { attachCredentialsSink, type Doc } from '../adaptors/adaptor.js';
import { ApiError } from '../errors.js';
import type { Services } from './services.js';

/**
 * The connection document an adaptor session is opened on, for every caller (flow runs, lookups,
 * imports, pings, invokes, the proxy, previews):
 *
 * - secrets decrypted (`getInternal`);
 * - an OAuth connection naming an iClient (`http._iClientId`, §4.2/§4.10) takes the iClient's
 *   `oauth2.clientId`/`clientSecret` (legacy: the same fields flat) where its own are absent;
 * - credentials the session renews are written back to the stored connection, sealed like any secret
 *   (the audit trail shows them masked), so a rotated refresh token survives the session.
 */
export async function connectionForAdaptor(services: Services, accountId: string, connectionId: string): Promise<Doc> {
  const connection = await services.connections.getInternal(accountId, connectionId);
  await applyIClient(services, accountId, connection);
  return attachCredentialsSink(connection, (update) => saveCredentials(services, accountId, connectionId, update));
}

async function applyIClient(services: Services, accountId: string, connection: Doc): Promise<void> {
  const http = connection.http as Record<string, any> | undefined;
  const iClientId = http?._iClientId ?? (connection.rest as Record<string, any> | undefined)?._iClientId;
  const oauth = http?.auth?.oauth as Record<string, unknown> | undefined;
  if (!iClientId || !oauth || typeof oauth !== 'object') return;
  const missing = (v: unknown) => v === undefined || v === null || v === '';
  if (!missing(oauth.clientId) && !missing(oauth.clientSecret)) return;
  let iClient: Record<string, any>;
  try {
    iClient = await services.iClients.getInternal(accountId, String(iClientId));
  } catch (err) {
    if (err instanceof ApiError) throw new Error(`connection ${connection._id}: http._iClientId ${String(iClientId)} is not an iClient of this account`);
    throw err;
  }
  const source = (iClient.oauth2 && typeof iClient.oauth2 === 'object' ? iClient.oauth2 : iClient) as Record<string, unknown>;
  // A copy: the document may be shared with other callers.
  const filled = { ...oauth };
  if (missing(filled.clientId) && !missing(source.clientId)) filled.clientId = source.clientId;
  if (missing(filled.clientSecret) && !missing(source.clientSecret)) filled.clientSecret = source.clientSecret;
  connection.http = { ...http, auth: { ...http!.auth, oauth: filled } };
}

async function saveCredentials(services: Services, accountId: string, connectionId: string, update: Record<string, unknown>): Promise<void> {
  const ops = Object.entries(update)
    .filter(([, v]) => v !== undefined)
    .map(([path, value]) => ({ op: 'add', path: `/${path.split('.').map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`, value }));
  if (ops.length === 0) return;
  // Through the service, so the values are sealed at rest and the audit entry holds them masked.
  await services.connections.patch({ accountId, source: 'engine' }, connectionId, ops);
}
