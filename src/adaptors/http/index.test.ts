import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { httpAdaptor } from './index.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const check = (schema: object | undefined, value: unknown) => ajv.validate(schema!, value);

describe('http adaptor schemas', () => {
  it('accept the documented connection, export and import blocks', () => {
    expect(
      check(httpAdaptor.schemas.connection, {
        baseURI: 'https://api.example.com',
        headers: [{ name: 'X-Tenant', value: 'acme' }],
        concurrencyLevel: 5,
        rateLimit: { limit: 200, failStatusCode: 429 },
        ping: { relativeURI: '/me', method: 'GET', successPath: 'ok', successValues: [true] },
        auth: { type: 'oauth', oauth: { clientId: 'c', clientSecret: 's', tokenURI: 'https://t', scope: ['a'] }, token: { location: 'header' } },
        formType: 'http',
      }),
    ).toBe(true);
    expect(
      check(httpAdaptor.schemas.export, {
        method: 'GET',
        relativeURI: '/items?page={{export.http.paging.page}}',
        paging: { method: 'page', page: 1, maxPagePath: 'pages', lastPageValues: ['true', null] },
        response: { resourcePath: 'data' },
      }),
    ).toBe(true);
    expect(check(httpAdaptor.schemas.import, { method: ['PUT', 'POST'], relativeURI: ['/c/{{record.id}}', '/c'], body: [null, '{{{jsonSerialize record}}}'], existingExtract: 'id', batchSize: 1 })).toBe(true);
  });

  it('reject blocks missing their required fields or with wrong types', () => {
    expect(check(httpAdaptor.schemas.connection, { headers: [] })).toBe(false);
    expect(check(httpAdaptor.schemas.connection, { baseURI: 'x', concurrencyLevel: 0 })).toBe(false);
    expect(check(httpAdaptor.schemas.import, { method: ['POST'] })).toBe(false);
    expect(check(httpAdaptor.schemas.export, { paging: { page: 'one' } })).toBe(false);
  });

  it('describes every top-level field', () => {
    for (const schema of Object.values(httpAdaptor.schemas)) {
      const props = (schema as { properties: Record<string, { description?: string }> }).properties;
      expect(Object.entries(props).filter(([, p]) => !p.description).map(([k]) => k)).toEqual([]);
    }
  });
});
