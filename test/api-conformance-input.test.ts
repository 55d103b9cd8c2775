import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { adaptors } from '../src/adaptors/registry.js';
import { checkJsonShape, defaultJsonBodyLimits } from '../src/api/json-body.js';
import { IClientSchema } from '../src/domain/schemas/iclient.js';
import { StackSchema } from '../src/domain/schemas/stack.js';
import { isSecretField } from '../src/domain/secrets.js';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

/** Every property flagged `writeOnly` or `secret` in a JSON schema, with its path. */
function secretFields(schema: unknown, path = '', out: string[] = []): string[] {
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as Record<string, unknown>;
  for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
    const p = path ? `${path}.${k}` : k;
    const vs = v as Record<string, unknown>;
    if (vs.writeOnly === true || vs.secret === true) out.push(p);
    secretFields(v, p, out);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const sub of (s[key] as unknown[]) ?? []) secretFields(sub, path, out);
  if (s.items) secretFields(s.items, path, out);
  return out;
}

describe('secret fields of every adaptor and resource schema', () => {
  const schemas: [string, TSchema | undefined][] = [
    ...adaptors.map((a) => [`${a.connectionType} connection`, a.schemas.connection] as [string, TSchema | undefined]),
    ['iClient', IClientSchema],
    ['stack', StackSchema],
  ];
  it.each(schemas)('%s: each write-only field is encrypted at rest and masked', (_name, schema) => {
    const fields = secretFields(schema);
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) expect(isSecretField(f.split('.').pop()!), f).toBe(true);
  });
});

describe('JSON shape limits', () => {
  it('measures depth and array length on the raw text, ignoring brackets and commas inside strings', () => {
    expect(checkJsonShape('{"a":"[[[[,,,,"}', { maxDepth: 2, maxArrayLength: 2, maxObjectKeys: 5, maxTotalValues: 100 })).toBeUndefined();
    expect(checkJsonShape('[[[1]]]', { maxDepth: 2, maxArrayLength: 10, maxObjectKeys: 5, maxTotalValues: 100 })).toMatch(/deeper than 2/);
    expect(checkJsonShape('[1,2,3]', { maxDepth: 5, maxArrayLength: 3, maxObjectKeys: 5, maxTotalValues: 100 })).toBeUndefined();
    expect(checkJsonShape('[1,2,3,4]', { maxDepth: 5, maxArrayLength: 3, maxObjectKeys: 5, maxTotalValues: 100 })).toMatch(/more than 3/);
    expect(checkJsonShape('{"a":1,"b":2,"c":3}', { maxDepth: 5, maxArrayLength: 2, maxObjectKeys: 5, maxTotalValues: 100 })).toBeUndefined();
    expect(checkJsonShape('["a\\"[", [1]]', { maxDepth: 2, maxArrayLength: 5, maxObjectKeys: 5, maxTotalValues: 100 })).toBeUndefined();
    expect(checkJsonShape('{"a":1,"b":2,"c":3}', { maxDepth: 5, maxArrayLength: 50, maxObjectKeys: 3, maxTotalValues: 100 })).toBeUndefined();
    expect(checkJsonShape('{"a":1,"b":2,"c":3,"d":4}', { maxDepth: 5, maxArrayLength: 50, maxObjectKeys: 3, maxTotalValues: 100 })).toMatch(/more than 3 keys/);
    expect(checkJsonShape('[{"a":1,"b":2},{"a":1,"b":2},{"a":1,"b":2}]', { maxDepth: 5, maxArrayLength: 50, maxObjectKeys: 3, maxTotalValues: 5 })).toMatch(/more than 5 values in all/);
  });
});

describe.each(dialects)('bad input and secrets on %s', (dialect) => {
  let t: TestIntegrator;
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
  });
  afterAll(async () => {
    await t?.stop();
  });
  const count = async () => (await t.app.services.store.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  it('answers invalid JSON 400, oversized 413, deep nesting and huge arrays 422, wrong types 422, and stores nothing', async () => {
    const before = Number(await count());
    const cases: [unknown, number, string][] = [
      ['{"name": ', 400, 'invalid_json'],
      ['', 400, 'invalid_json'],
      [JSON.stringify({ name: 'x', description: 'y'.repeat(6 * 1024 * 1024) }), 413, 'payload_too_large'],
      [`{"name":"x","settings":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`, 422, 'body_too_complex'],
      [`{"name":"x","aliases":[${'1,'.repeat(defaultJsonBodyLimits.maxArrayLength + 5)}1]}`, 422, 'body_too_complex'],
      ['{"name":"x","__proto__":{"polluted":true}}', 400, 'invalid_json'],
      ['{"name":"x","settings":{"\\u005f_proto__":{"polluted":true}}}', 400, 'invalid_json'],
      [`{"name":"x","settings":{${Array.from({ length: defaultJsonBodyLimits.maxObjectKeys + 1 }, (_, i) => `"k${i}":1`).join(',')}}}`, 422, 'body_too_complex'],
      [`{"name":"x","settings":{${Array.from({ length: 30 }, (_, j) => `"o${j}":{${Array.from({ length: 9000 }, (_, i) => `"k${i}":1`).join(',')}}`).join(',')}}}`, 422, 'body_too_complex'],
      [{ name: 'x', disabled: 'yes' }, 422, 'invalid_field'],
      [[{ name: 'x' }], 422, 'invalid_field'],
    ];
    for (const [body, status, code] of cases) {
      const r = await t.api('POST', '/v1/flows', body);
      expect(r.status, String(body).slice(0, 40)).toBe(status);
      expect(r.body.errors[0].code).toBe(code);
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/);
    }
    const typed = await t.api('POST', '/v1/flows', { name: 'x', disabled: 'yes' });
    expect(typed.body.errors[0].field).toBe('disabled');
    const text = await t.api('POST', '/v1/flows', 'name=x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(422);
    expect(text.body.errors[0].field).toBe('(body)');
    expect(Number(await count())).toBe(before);
  });

  it('encrypts and masks export secrets (webhook verification, distributed bearer token), not ordinary settings', async () => {
    const conn = await t.api('POST', '/v1/connections', { name: 'W', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
    const made = await t.api('POST', '/v1/exports', {
      name: 'Hook', adaptorType: 'WebhookExport', webhook: { verify: 'token', token: 'S-wh-token', key: 'S-wh-key' },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.webhook).toMatchObject({ token: '******', key: '******' });
    const dist = await t.api('POST', '/v1/exports', {
      name: 'Dist', adaptorType: 'HTTPExport', _connectionId: conn.body._id, http: { relativeURI: '/x', paging: { method: 'token', path: 'next', token: 'not-a-secret' } }, distributed: { bearerToken: 'S-dist-token' },
    });
    expect(dist.status, JSON.stringify(dist.body)).toBe(201);
    expect(dist.body.distributed.bearerToken).toBe('******');
    expect(dist.body.http.paging.token).toBe('not-a-secret');
    const rows = await t.app.services.store.db.selectFrom('resources').select(['doc']).execute();
    const audit = await t.app.services.store.db.selectFrom('audit_log').select(['before_doc', 'after_doc']).execute();
    expect(JSON.stringify(rows)).not.toMatch(/S-(wh|dist)-/);
    expect(JSON.stringify(audit)).not.toMatch(/S-(wh|dist)-/);
    const internal = await t.app.services.exports.getInternal(t.app.owner.accountId, made.body._id);
    expect((internal.webhook as any).key).toBe('S-wh-key');
    // Sending the mask back keeps the secret; the mask where nothing is stored is refused.
    expect((await t.api('PUT', `/v1/exports/${made.body._id}`, { name: 'Hook', adaptorType: 'WebhookExport', webhook: { verify: 'token', token: '******', key: '******' } })).status).toBe(200);
    expect(((await t.app.services.exports.getInternal(t.app.owner.accountId, made.body._id)).webhook as any).token).toBe('S-wh-token');
    const masked = await t.api('POST', '/v1/connections', { name: 'M', type: 'http', http: { baseURI: 'http://127.0.0.1:9', auth: { type: 'basic', basic: { username: 'u', password: '******' } } } });
    expect(masked.status).toBe(422);
    expect(masked.body.errors[0].field).toBe('http.auth.basic.password');
  });

  it('stores keys named like Object.prototype members as plain data', async () => {
    const made = await t.api('POST', '/v1/integrations', { name: 'Proto-named keys', settings: { toString: 'x', constructor: 'Person', valueOf: 1, hasOwnProperty: true } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.settings).toEqual({ toString: 'x', constructor: 'Person', valueOf: 1, hasOwnProperty: true });
  });

  it('keeps JSON Patch pointers out of shared prototypes: __proto__ refused, constructor/toString not found', async () => {
    const flow = await t.api('POST', '/v1/integrations', { name: 'Patched' });
    const url = `/v1/integrations/${flow.body._id}`;
    const proto = await t.api('PATCH', url, [{ op: 'add', path: '/__proto__/polluted', value: 1 }]);
    expect(proto.status).toBe(422);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await t.api('PATCH', url, [{ op: 'add', path: '/constructor/prototype/polluted', value: 1 }])).status).toBe(422);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await t.api('PATCH', url, [{ op: 'copy', from: '/toString', path: '/description' }])).status).toBe(422);
    expect((await t.api('PATCH', url, [{ op: 'replace', path: '/name', value: 'still writable' }])).status).toBe(204);
    expect((await t.api('GET', url)).body.name).toBe('still writable');
  });

  it('encrypts every adaptor\'s connection secrets and iClient/stack secrets at rest, masks them, keeps them on a masked PUT', async () => {
    const bodies = [
      { name: 'H', type: 'http', http: { baseURI: 'http://127.0.0.1:9', auth: { type: 'token', token: { token: 'S-http-token' } }, clientCertificates: { key: 'S-http-key', pfx: 'S-http-pfx' } } },
      { name: 'R', type: 'rdbms', rdbms: { type: 'postgresql', host: '127.0.0.1', user: 'u', password: 'S-rdbms-pw' } },
      { name: 'F', type: 'ftp', ftp: { type: 'sftp', hostURI: '127.0.0.1', username: 'u', password: 'S-ftp-pw', authKey: 'S-ftp-key', passphrase: 'S-ftp-pass' } },
      { name: 'S3', type: 's3', s3: { region: 'us-east-1', accessKeyId: 'AK', secretAccessKey: 'S-s3-secret' } },
    ];
    const created: [string, string][] = [];
    for (const body of bodies) {
      const r = await t.api('POST', '/v1/connections', body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(JSON.stringify(r.body)).not.toMatch(/S-/);
      created.push(['connections', r.body._id]);
    }
    const ic = await t.api('POST', '/v1/iclients', { name: 'OAuth', provider: 'custom', oauth2: { clientId: 'id', clientSecret: 'S-client-secret' }, netsuite: { consumerKey: 'S-ck', consumerSecret: 'S-cs' } });
    expect(ic.body.oauth2.clientSecret).toBe('******');
    expect(ic.body.netsuite.consumerSecret).toBe('******');
    created.push(['iclients', ic.body._id]);
    const stack = await t.api('POST', '/v1/stacks', { name: 'S', type: 'server', server: { hostURI: 'http://127.0.0.1:9', systemToken: 'S-system-token' } });
    expect(stack.body.server.systemToken).toBe('******');
    created.push(['stacks', stack.body._id]);

    const rows = await t.app.services.store.db.selectFrom('resources').select(['doc']).execute();
    const audit = await t.app.services.store.db.selectFrom('audit_log').select(['before_doc', 'after_doc']).execute();
    expect(JSON.stringify(rows)).not.toMatch(/S-[a-z0-9]+-/);
    expect(JSON.stringify(audit)).not.toMatch(/S-[a-z0-9]+-/);
    for (const [path, id] of created) {
      const got = await t.api('GET', `/v1/${path}/${id}`);
      expect(JSON.stringify(got.body)).not.toMatch(/S-[a-z0-9]+-/);
      expect((await t.api('PUT', `/v1/${path}/${id}`, { ...got.body, name: 'renamed' })).status).toBe(200);
    }
    const rdbms = await t.app.services.connections.getInternal(t.app.owner.accountId, created[1]![1]);
    expect((rdbms.rdbms as any).password).toBe('S-rdbms-pw');
    const token = await t.api('GET', `/v1/stacks/${stack.body._id}/systemToken`);
    expect(token.body).toEqual({ systemToken: 'S-system-token' });
    const generated = await t.api('POST', '/v1/stacks', { name: 'G', type: 'server', server: { hostURI: 'http://127.0.0.1:9' } });
    expect((await t.api('GET', `/v1/stacks/${generated.body._id}/systemToken`)).body.systemToken).toMatch(/^[0-9a-f]{32}$/);
  });
});
