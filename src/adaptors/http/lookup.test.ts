import { afterEach, describe, expect, it } from 'vitest';
import { openHttpSession, type HttpSession } from './connection.js';
import { extractMatches } from './lookup.js';
import { connectionDoc, fastClient, json, startServer, testContext, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
const sessions: HttpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const CUSTOMERS = [
  { id: 1, email: 'a@x', tag: 'vip' },
  { id: 2, email: 'b@x', tag: 'vip' },
  { id: 3, email: 'c@x', tag: 'new' },
];

async function setup() {
  const server = await startServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/gone') return json(res, 404, {});
    if (u.pathname === '/broken') return json(res, 500, { message: 'db down' });
    if (req.method === 'POST') {
      const { tag } = JSON.parse(req.body) as { tag: string };
      return json(res, 200, { data: CUSTOMERS.filter((c) => c.tag === tag) });
    }
    const email = u.searchParams.get('email');
    const tag = u.searchParams.get('tag');
    json(res, 200, CUSTOMERS.filter((c) => (email ? c.email === email : c.tag === tag)));
  });
  servers.push(server);
  const session = await openHttpSession(connectionDoc({ baseURI: server.url }), { client: fastClient });
  sessions.push(session);
  return { server, session };
}

describe('REST lookups', () => {
  it('fills {field} placeholders from record values and extracts one match', async () => {
    const { server, session } = await setup();
    const out = await session.lookup(
      { import: { _id: 'i' }, lookup: { name: 'byEmail', relativeURI: '/customers?email={email}', method: 'GET', extract: '0.id' }, values: [{ email: 'b@x' }, { email: 'zz@x' }] },
      testContext(),
    );
    expect(out).toEqual([[2], []]);
    expect(server.requests.map((r) => r.url)).toEqual(['/customers?email=b%40x', '/customers?email=zz%40x']);
  });

  it('fills placeholders and Handlebars from a plain value, and lists several matches', async () => {
    const { session } = await setup();
    const out = await session.lookup(
      { import: { _id: 'i' }, lookup: { name: 'byTag', relativeURI: '/customers?tag={{value}}', extract: 'id' }, values: ['vip', 'new'] },
      testContext(),
    );
    expect(out).toEqual([[1, 2], [3]]);
  });

  it('POSTs a body template and reads under resourcePath', async () => {
    const { server, session } = await setup();
    const out = await session.lookup(
      { import: { _id: 'i' }, lookup: { name: 'search', relativeURI: '/search', method: 'POST', body: '{"tag":"{tag}"}', resourcePath: 'data', extract: 'email' }, values: [{ tag: 'vip' }] },
      testContext(),
    );
    expect(out).toEqual([['a@x', 'b@x']]);
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('a 404 is no match; other failures throw naming the lookup', async () => {
    const { session } = await setup();
    expect(await session.lookup({ import: { _id: 'i' }, lookup: { name: 'l', relativeURI: '/gone', extract: 'id' }, values: ['x'] }, testContext())).toEqual([[]]);
    await expect(session.lookup({ import: { _id: 'i' }, lookup: { name: 'l', relativeURI: '/broken', extract: 'id', errorPath: 'message' }, values: ['x'] }, testContext())).rejects.toThrow(
      /lookup "l": GET .*\/broken: HTTP 500: db down/,
    );
  });
});

describe('extractMatches', () => {
  it('reads by index, by field of each item, or returns the records', () => {
    expect(extractMatches([{ id: 1 }, { id: 2 }], '1.id')).toEqual([2]);
    expect(extractMatches([{ id: 1 }, { x: 2 }], 'id')).toEqual([1]);
    expect(extractMatches({ rows: [{ id: 1 }] }, undefined, 'rows')).toEqual([{ id: 1 }]);
    expect(extractMatches({ id: 5 }, 'id')).toEqual([5]);
    expect(extractMatches({}, 'id')).toEqual([]);
  });
});
