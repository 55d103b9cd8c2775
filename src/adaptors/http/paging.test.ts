import { describe, expect, it } from 'vitest';
import { createPager, parseLinkHeader, type FetchedPage } from './paging.js';

const page = (over: Partial<FetchedPage> = {}): FetchedPage => ({
  status: 200,
  headers: {},
  body: {},
  url: 'https://api.test/items',
  records: [{ id: 1 }],
  index: 0,
  recordsSoFar: 1,
  ...over,
});
const base = { uri: '/items', body: undefined };

describe('parseLinkHeader', () => {
  it('reads relations, quoted or not, several per header and across headers', () => {
    const links = parseLinkHeader([
      '<https://api.test/items?page=2>; rel="next", <https://api.test/items?page=9>; rel="last"',
      '</items?page=1>; rel=first; title="First, page"',
    ]);
    expect(links.get('next')).toBe('https://api.test/items?page=2');
    expect(links.get('last')).toBe('https://api.test/items?page=9');
    expect(links.get('first')).toBe('/items?page=1');
  });

  it('splits space-separated relations and keeps the first occurrence', () => {
    const links = parseLinkHeader('<a>; rel="next last", <b>; rel="next"');
    expect(links.get('next')).toBe('a');
    expect(links.get('last')).toBe('a');
    expect(parseLinkHeader(undefined).size).toBe(0);
  });
});

describe('pagers', () => {
  it('page counts up from its start and honours maxPagePath', () => {
    const p = createPager({ method: 'page', page: 1, maxPagePath: 'meta.pages' }, base);
    expect(p.vars()).toEqual({ page: 1 });
    expect(p.next(page({ body: { meta: { pages: 2 } } }))).toMatchObject({ next: { uri: '/items' } });
    expect(p.vars()).toEqual({ page: 2 });
    expect(p.next(page({ body: { meta: { pages: 2 } } }))).toEqual({ stop: true });
  });

  it('page uses paging.relativeURI for later pages when set', () => {
    const p = createPager({ method: 'page', relativeURI: '/items/more?p={{export.http.paging.page}}' }, base);
    expect(p.next(page())).toEqual({ next: { uri: '/items/more?p={{export.http.paging.page}}', body: undefined, withPreviousPage: true } });
  });

  it('skip grows by the records read and stops at maxCountPath', () => {
    const p = createPager({ method: 'skip', maxCountPath: 'total' }, base);
    p.next(page({ records: [{}, {}, {}], recordsSoFar: 3, body: { total: 5 } }));
    expect(p.vars()).toEqual({ skip: 3 });
    expect(p.next(page({ records: [{}, {}], recordsSoFar: 5, body: { total: 5 } }))).toEqual({ stop: true });
  });

  it('token uses pathAfterFirstRequest after the first page and stops without a token', () => {
    const p = createPager({ method: 'token', path: 'cursor', pathAfterFirstRequest: 'next.cursor' }, base);
    p.next(page({ body: { cursor: 'a' } }));
    expect(p.vars()).toEqual({ token: 'a' });
    p.next(page({ index: 1, body: { cursor: 'ignored', next: { cursor: 'b' } } }));
    expect(p.vars()).toEqual({ token: 'b' });
    expect(p.next(page({ index: 2, body: { next: { cursor: null } } }))).toEqual({ stop: true });
  });

  it('token treats the initial token as seen', () => {
    const p = createPager({ method: 'token', path: 'next', token: 'start' }, base);
    expect(p.next(page({ body: { next: 'start' } }))).toMatchObject({ stop: true, problem: { code: 'paging_loop' } });
  });

  it('url resolves relative next URLs against the page URL', () => {
    const p = createPager({ method: 'url', path: 'next' }, base);
    expect(p.next(page({ body: { next: '/items?p=2' } }))).toEqual({ next: { url: 'https://api.test/items?p=2' } });
    expect(p.next(page({ url: 'https://api.test/items?p=2', body: { next: 'https://api.test/items' } }))).toMatchObject({ stop: true, problem: { code: 'paging_loop' } });
  });

  it('linkheader ends without the relation', () => {
    const p = createPager({ method: 'linkheader' }, base);
    expect(p.next(page({ headers: { link: '<https://api.test/x>; rel="prev"' } }))).toEqual({ stop: true });
  });

  it('rejects an unknown method and incomplete configurations', () => {
    expect(() => createPager({ method: 'magic' }, base)).toThrow(/paging method "magic" is not supported/);
    expect(() => createPager({ method: 'url' }, base)).toThrow(/needs http.paging.path/);
    expect(() => createPager({ method: 'relativeuri' }, base)).toThrow(/needs http.paging.relativeURI/);
    expect(() => createPager({ method: 'body' }, base)).toThrow(/needs http.paging.body/);
    expect(createPager(undefined, base).next(page())).toEqual({ stop: true });
  });
});
