import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../common/http-client.js';
import { extractRecords, matches, parseBody, ResponseFormatError, ruleFailure } from './response.js';

const res = (body: string, contentType = 'application/json', status = 200): HttpResponse => ({
  status,
  headers: { 'content-type': contentType },
  body: Buffer.from(body),
  url: 'http://x',
  attempts: 1,
});

describe('parseBody', () => {
  it('parses JSON, XML and text; an empty body is undefined', () => {
    expect(parseBody(res('{"a":1}'))).toEqual({ a: 1 });
    expect(parseBody(res('<r><a>1</a></r>', 'text/xml'))).toEqual({ r: { a: 1 } });
    expect(parseBody(res('a,b', 'text/csv'), 'csv')).toBe('a,b');
    expect(parseBody(res(''))).toBeUndefined();
  });

  it('names what came back when it is not JSON', () => {
    expect(() => parseBody(res('<html><body>Gateway</body></html>', 'text/html; charset=utf-8', 200))).toThrow(ResponseFormatError);
    expect(() => parseBody(res('<html>Gateway</html>', 'text/html'))).toThrow('expected JSON but got text/html (HTTP 200): <html>Gateway</html>');
    expect(() => parseBody(res('<!DOCTYPE html><html><body>Sign in</body></html>', 'application/json; charset=utf-8'))).toThrow(
      'expected JSON but the body is not JSON (it starts with <!DOCTYPE html><html><body>Sign in</body></html>), though labelled application/json (HTTP 200)',
    );
    expect(() => parseBody(res('<!DOCTYPE html>', 'application/json'))).not.toThrow(/got application\/json/);
  });
});

describe('rules', () => {
  it('compares values as text', () => {
    expect(matches(true, ['true'])).toBe(true);
    expect(matches(null, ['null'])).toBe(true);
    expect(matches(undefined, [''])).toBe(true);
    expect(matches(3, [3])).toBe(true);
    expect(matches('x', [])).toBe(false);
  });

  it('failPath wins; successPath without values means truthy', () => {
    expect(ruleFailure({ ok: true, err: 'E1', msg: 'boom' }, { failPath: 'err', failValues: ['E1'], errorPath: 'msg' })).toBe('boom');
    expect(ruleFailure({ ok: 0 }, { successPath: 'ok' })).toBe('ok is 0');
    expect(ruleFailure({ ok: 1 }, { successPath: 'ok' })).toBeUndefined();
    expect(ruleFailure({}, undefined)).toBeUndefined();
  });
});

describe('extractRecords', () => {
  it('reads the array at the path, an object as one record, nothing as none', () => {
    expect(extractRecords({ d: [{ a: 1 }, { a: 2 }] }, 'd')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(extractRecords({ a: 1 }, undefined)).toEqual([{ a: 1 }]);
    expect(extractRecords({ d: null }, 'd')).toEqual([]);
    expect(extractRecords(undefined, undefined)).toEqual([]);
    expect(extractRecords(['x'], undefined)).toEqual([{ value: 'x' }]);
  });
});
