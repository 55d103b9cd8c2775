import { afterEach, describe, expect, it } from 'vitest';
import { openHttpSession, type HttpSession } from './connection.js';
import { compileMapping, type LookupPort } from '../../mapping/index.js';
import { extractMatches, fillJsonPlaceholders } from './lookup.js';
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

  it('a 404 is no match; another failure is that value\'s error, naming the lookup and the request', async () => {
    const { session } = await setup();
    expect(await session.lookup({ import: { _id: 'i' }, lookup: { name: 'l', relativeURI: '/gone', extract: 'id' }, values: ['x'] }, testContext())).toEqual([[]]);
    const [answer] = await session.lookup({ import: { _id: 'i' }, lookup: { name: 'l', relativeURI: '/broken', extract: 'id', errorPath: 'message' }, values: ['x'] }, testContext());
    expect((answer as { error: string }).error).toMatch(/^lookup "l": GET .*\/broken: HTTP 500: db down$/);
  });

  it('fails only the value whose request failed, naming its own URL', async () => {
    const server = await startServer((req, res) => {
      const e = new URL(req.url, 'http://x').searchParams.get('e');
      if (e === 'bad') return json(res, 500, { message: 'cannot search bad' });
      json(res, 200, [{ id: `id-${e}` }]);
    });
    servers.push(server);
    const session = await openHttpSession(connectionDoc({ baseURI: server.url }), { client: fastClient });
    sessions.push(session);
    const lookup = { name: 'byE', relativeURI: '/find?e={e}', extract: '0.id', errorPath: 'message' };
    const out = await session.lookup({ import: { _id: 'i' }, lookup, values: [{ e: 'ok1' }, { e: 'bad' }, { e: 'ok2' }] }, testContext());
    expect(out[0]).toEqual(['id-ok1']);
    expect(out[2]).toEqual(['id-ok2']);
    const error = (out[1] as { error: string }).error;
    expect(error).toBe(`lookup "byE": GET ${server.url}/find?e=bad: HTTP 500: cannot search bad`);

    // Through the mapper: of three records, only the one with e=bad fails, and its message names its own URL.
    const mapper = compileMapping({ fields: [{ extract: 'e', generate: 'id', lookupName: 'byE' }] }, [lookup]);
    const port: LookupPort = { lookup: (l, values) => session.lookup({ import: { _id: 'i' }, lookup: { ...l.definition }, values: [...values] }, testContext()) };
    const outcomes = await mapper.mapPage([{ e: 'ok1' }, { e: 'bad' }, { e: 'ok2' }], port);
    expect(outcomes[0]).toEqual({ record: { id: 'id-ok1' } });
    expect(outcomes[2]).toEqual({ record: { id: 'id-ok2' } });
    expect(outcomes[1]).toEqual({
      errors: [{ code: 'lookup_failed', field: 'id', message: `lookup "byE" failed for "bad": lookup "byE": GET ${server.url}/find?e=bad: HTTP 500: cannot search bad` }],
    });
  });

  async function echoSetup() {
    const server = await startServer((_req, res) => json(res, 200, []));
    servers.push(server);
    const session = await openHttpSession(connectionDoc({ baseURI: server.url }), { client: fastClient });
    sessions.push(session);
    return { server, session };
  }

  it('JSON-escapes values placed in a JSON body template', async () => {
    const { server, session } = await echoSetup();
    const body = '{"n":"{name}","age":{age},"tag":"{tag}","extra":{extra},"missing":{nothing},"word":{word}}';
    await session.lookup(
      { import: { _id: 'i' }, lookup: { name: 'search', relativeURI: '/search', method: 'POST', body, resourcePath: 'data' }, values: [{ name: 'Ann "q" \\ back\nline', age: '42', tag: 'vip', extra: { a: [1, '"'] }, word: 'plain "text"' }] },
      testContext(),
    );
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ n: 'Ann "q" \\ back\nline', age: 42, tag: 'vip', extra: { a: [1, '"'] }, missing: null, word: 'plain "text"' });
  });

  it('leaves a non-JSON body template as plain text', async () => {
    const { server, session } = await echoSetup();
    await session.lookup(
      { import: { _id: 'i' }, lookup: { name: 'search', relativeURI: '/search', method: 'POST', body: 'tag={tag}&n="{name}"', requestMediaType: 'urlencoded' }, values: [{ tag: 'vip', name: 'a"b' }] },
      testContext(),
    );
    expect(server.requests[0]!.body).toBe('tag=vip&n="a"b"');
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

describe('fillJsonPlaceholders', () => {
  it('escapes inside strings, writes JSON outside, and leaves object braces alone', () => {
    const fill = (t: string, v: unknown) => fillJsonPlaceholders(t, v);
    expect(fill('{"a":"{x}"}', { x: 'say "hi"' })).toBe('{"a":"say \\"hi\\""}');
    expect(fill('[{"a":1},{"b":{n}}]', { n: 7 })).toBe('[{"a":1},{"b":7}]');
    expect(fill('{"q":"\\"{x}\\""}', { x: 'v' })).toBe('{"q":"\\"v\\""}');
    expect(fill('{"on":{flag},"s":{s}}', { flag: true, s: 'x' })).toBe('{"on":true,"s":"x"}');
  });
});
