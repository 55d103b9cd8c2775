import { createAccount, createToken } from '../../src/store/accounts.js';
import type { TestIntegrator } from './integrator.js';

export type Api = TestIntegrator['api'];

/** A second account with its own owner and token, in the same installation. */
export async function addAccount(t: TestIntegrator, name: string, role = 'owner') {
  const db = t.app.services.store.db;
  const email = `${name.toLowerCase()}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}@example.com`;
  const { accountId, userId } = await createAccount(db, { name, email, userName: name });
  if (role !== 'owner') await db.updateTable('users').set({ role }).where('_id', '=', userId).execute();
  const { token } = await createToken(db, { accountId, userId, name: 'test' });
  return { accountId, userId, email, token, api: asToken(t, token) };
}

/** The test client's `api`, with another bearer token. */
export function asToken(t: TestIntegrator, token: string): Api {
  return (method, path, body, headers = {}) => t.api(method, path, body, { authorization: `Bearer ${token}`, ...headers });
}

/** One valid document per resource family, created with the given client; returns every id. */
export async function seedResources(api: Api) {
  const ok = <T extends { status: number; body: any }>(r: T, what: string) => {
    if (r.status !== 201) throw new Error(`creating ${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body._id as string;
  };
  const integration = ok(await api('POST', '/v1/integrations', { name: 'Integration' }), 'integration');
  const connection = ok(await api('POST', '/v1/connections', { name: 'API', type: 'http', _integrationId: integration, http: { baseURI: 'http://127.0.0.1:9', auth: { type: 'basic', basic: { username: 'u', password: 'pw-secret-1' } } } }), 'connection');
  const exp = ok(await api('POST', '/v1/exports', { name: 'Export', adaptorType: 'HTTPExport', _connectionId: connection, _integrationId: integration, http: { relativeURI: '/x' } }), 'export');
  const imp = ok(await api('POST', '/v1/imports', { name: 'Import', adaptorType: 'HTTPImport', _connectionId: connection, _integrationId: integration, http: { method: ['POST'], relativeURI: ['/p'] } }), 'import');
  const flow = ok(await api('POST', '/v1/flows', { name: 'Flow', disabled: true, _integrationId: integration, pageGenerators: [{ _exportId: exp }], pageProcessors: [{ type: 'import', _importId: imp }] }), 'flow');
  const connector = ok(await api('POST', '/v1/connectors', { name: 'Connector', applications: ['http'] }), 'connector');
  const iClient = ok(await api('POST', '/v1/iClients', { name: 'App', provider: 'custom', oauth2: { clientId: 'cid', clientSecret: 'client-secret-1' } }), 'iClient');
  const template = ok(await api('POST', '/v1/templates', { name: 'Template', applications: ['http'] }), 'template');
  const script = ok(await api('POST', '/v1/scripts', { name: 'Script', content: 'function preSavePage(o) { return o; }' }), 'script');
  const stack = ok(await api('POST', '/v1/stacks', { name: 'Stack', type: 'server', server: { hostURI: 'http://127.0.0.1:9' } }), 'stack');
  return { integration, connection, export: exp, import: imp, flow, connector, iClient, template, script, stack };
}

/** Collection path of each seeded family. */
export const collectionOf = {
  integration: 'integrations',
  connection: 'connections',
  export: 'exports',
  import: 'imports',
  flow: 'flows',
  connector: 'connectors',
  iClient: 'iClients',
  template: 'templates',
  script: 'scripts',
  stack: 'stacks',
} as const;
