import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntegrator, storageDialects, type TestIntegrator } from './support/integrator.js';

const dialects = await storageDialects();

describe.each(dialects)('REST resources on %s', (dialect) => {
  let t: TestIntegrator;
  beforeAll(async () => {
    t = await startTestIntegrator({ dialect, worker: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('refuses a missing or wrong token with 401, the envelope and WWW-Authenticate', async () => {
    const missing = await fetch(`${t.app.url}/v1/flows`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await missing.json()) as any).errors[0].code).toBe('unauthorized');
    const wrong = await t.api('GET', '/v1/flows', undefined, { authorization: 'Bearer 0123456789abcdef0123456789abcdef' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors[0].code).toBe('unauthorized');
  });

  it('answers tokenInfo with the owner and full scope', async () => {
    const { status, body } = await t.api('GET', '/v1/tokenInfo');
    expect(status).toBe(200);
    expect(body._userId).toMatch(/^[0-9a-f]{24}$/);
    expect(body.scope).toBe('*');
  });

  it('creates, reads, replaces, patches and deletes a connection, masking its secrets', async () => {
    const created = await t.api('POST', '/v1/connections', {
      name: 'Shop API',
      type: 'http',
      http: { baseURI: 'https://shop.example', auth: { type: 'basic', basic: { username: 'u', password: 'secret-pw' } } },
    });
    expect(created.status).toBe(201);
    expect(created.body._id).toMatch(/^[0-9a-f]{24}$/);
    expect(created.body.http.auth.basic.password).toBe('******');
    expect(JSON.stringify(created.body)).not.toContain('secret-pw');
    expect(created.body.createdAt).toMatch(/Z$/);
    const id = created.body._id;

    const got = await t.api('GET', `/v1/connections/${id}`);
    expect(got.body.name).toBe('Shop API');

    // PUT replaces the whole document; the masked secret sent back keeps the stored one.
    const replaced = await t.api('PUT', `/v1/connections/${id}`, { ...got.body, name: 'Shop API v2' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe('Shop API v2');
    const stored = await t.app.services.connections.getInternal(t.app.owner.accountId, id);
    expect((stored.http as any).auth.basic.password).toBe('secret-pw');

    const patched = await t.api('PATCH', `/v1/connections/${id}`, [{ op: 'replace', path: '/name', value: 'Patched' }]);
    expect(patched.status).toBe(204);
    expect((await t.api('GET', `/v1/connections/${id}`)).body.name).toBe('Patched');

    expect((await t.api('DELETE', `/v1/connections/${id}`)).status).toBe(204);
    expect((await t.api('GET', `/v1/connections/${id}`)).status).toBe(404);
  });

  it('rejects invalid resources with 422 naming the field, and stores nothing', async () => {
    const before = (await t.api('GET', '/v1/exports')).body.length;
    const noType = await t.api('POST', '/v1/exports', { name: 'x' });
    expect(noType.status).toBe(422);
    expect(noType.body.errors).toContainEqual(expect.objectContaining({ code: 'missing_required_field', field: 'adaptorType' }));

    const badType = await t.api('POST', '/v1/exports', { name: 'x', adaptorType: 'NoSuchExport', _connectionId: '0123456789abcdef01234567' });
    expect(badType.status).toBe(422);
    expect(badType.body.errors[0].field).toBe('adaptorType');

    const missingConnection = await t.api('POST', '/v1/exports', { name: 'x', adaptorType: 'HTTPExport', _connectionId: '0123456789abcdef01234567' });
    expect(missingConnection.status).toBe(422);
    expect(missingConnection.body.errors[0]).toMatchObject({ code: 'invalid_field', field: '_connectionId' });

    const wrongType = await t.api('POST', '/v1/flows', { name: 7 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors[0].field).toBe('name');
    expect((await t.api('GET', '/v1/exports')).body.length).toBe(before);
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const bad = await t.api('POST', '/v1/flows', '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].code).toBe('invalid_json');
    const huge = await t.api('POST', '/v1/flows', JSON.stringify({ name: 'x', description: 'y'.repeat(6 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.body.errors[0].code).toBe('payload_too_large');
  });

  it('refuses to delete a connection still used by an export (422 still_referenced)', async () => {
    const conn = await t.api('POST', '/v1/connections', { name: 'API', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
    const exp = await t.api('POST', '/v1/exports', { name: 'E', adaptorType: 'HTTPExport', _connectionId: conn.body._id, http: { relativeURI: '/x' } });
    expect(exp.status).toBe(201);
    expect(exp.body.apiIdentifier).toMatch(/^e[0-9a-f]{8}$/);
    const del = await t.api('DELETE', `/v1/connections/${conn.body._id}`);
    expect(del.status).toBe(422);
    expect(del.body.errors[0].code).toBe('still_referenced');
    expect(del.body.errors[0].message).toContain(exp.body._id);
  });

  it('pages lists with a Link header and accepts trailing slashes and any case', async () => {
    for (let i = 0; i < 5; i++) await t.api('POST', '/v1/integrations', { name: `I${i}` });
    const first = await t.api('GET', '/v1/integrations?limit=2');
    expect(first.body).toHaveLength(2);
    const link = first.headers.get('link');
    expect(link).toMatch(/rel="next"/);
    const next = link!.match(/<([^>]+)>/)![1]!;
    const second = await t.api('GET', new URL(next).pathname + new URL(next).search);
    expect(second.body[0]._id > first.body[1]._id).toBe(true);
    const all = await t.api('GET', '/v1/Integrations/');
    expect(all.status).toBe(200);
    expect(all.headers.get('link')).toBeNull();
  });

  it('answers unknown ids and routes with 404 in the envelope', async () => {
    expect((await t.api('GET', '/v1/flows/0123456789abcdef01234567')).body.errors[0].code).toBe('not_found');
    expect((await t.api('GET', '/v1/flows/not-an-id')).status).toBe(404);
    expect((await t.api('GET', '/v1/nothing-here')).status).toBe(404);
  });

  it('refuses to run a disabled flow with 422 flow_disabled', async () => {
    const conn = await t.api('POST', '/v1/connections', { name: 'API', type: 'http', http: { baseURI: 'http://127.0.0.1:9' } });
    const exp = await t.api('POST', '/v1/exports', { name: 'E', adaptorType: 'HTTPExport', _connectionId: conn.body._id, http: { relativeURI: '/x' } });
    const flow = await t.api('POST', '/v1/flows', { name: 'F', disabled: true, pageGenerators: [{ _exportId: exp.body._id }] });
    const run = await t.api('POST', `/v1/flows/${flow.body._id}/run`);
    expect(run.status).toBe(422);
    expect(run.body.errors[0].code).toBe('flow_disabled');
  });
});
