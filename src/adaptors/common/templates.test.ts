import { describe, expect, it } from 'vitest';
import { compileTemplate, fillPlaceholders, formatDate, getPath, isTemplate, renderTemplate, templateContext } from './templates.js';

describe('renderTemplate', () => {
  it('does not HTML-escape and leaves plain text alone', () => {
    expect(renderTemplate('/q?name={{record.name}}', { record: { name: 'A & <B>' } })).toBe('/q?name=A & <B>');
    expect(renderTemplate('/plain', {})).toBe('/plain');
    expect(isTemplate('/plain')).toBe(false);
  });

  it('reads a brace right after an expression as text (JSON bodies)', () => {
    expect(renderTemplate('{"after": {{cursor}}}', { cursor: 5 })).toBe('{"after": 5}');
    expect(renderTemplate('{"a":{"b":"{{{x}}}"}}', { x: 'q"' })).toBe('{"a":{"b":"q""}}');
    expect(renderTemplate('{"a":{"b":{{x}}}}', { x: 1 })).toBe('{"a":{"b":1}}');
  });

  it('caches compiled templates', () => {
    expect(compileTemplate('{{a}}-x')).toBe(compileTemplate('{{a}}-x'));
  });

  it('names the template on a syntax error', () => {
    expect(() => renderTemplate('{{#each x}}', {})).toThrow(/compiling template "\{\{#each x\}\}"/);
  });

  it('renders batches and paging values', () => {
    const data = { batch_of_records: [{ record: { id: 1 } }, { record: { id: 2 } }], export: { http: { paging: { page: 3 } } } };
    expect(renderTemplate('[{{#each batch_of_records}}{{#if @index}},{{/if}}{{record.id}}{{/each}}]', data)).toBe('[1,2]');
    expect(renderTemplate('/items?page={{export.http.paging.page}}', data)).toBe('/items?page=3');
  });
});

describe('helpers', () => {
  it('dateFormat formats with moment-style tokens, in UTC or a time zone', () => {
    const d = '2024-03-05T07:08:09.010Z';
    expect(renderTemplate('{{dateFormat "YYYY-MM-DD HH:mm:ss.SSS" d}}', { d })).toBe('2024-03-05 07:08:09.010');
    expect(renderTemplate('{{dateFormat "X" d}}', { d })).toBe(String(Date.parse(d) / 1000 | 0));
    expect(renderTemplate('{{dateFormat "YYYY-MM-DDTHH:mm:ssZ" d "" "America/New_York"}}', { d })).toBe('2024-03-05T02:08:09-05:00');
    expect(formatDate(new Date(d), '[Day] D/M/YY h A')).toBe('Day 5/3/24 7 AM');
  });

  it('join joins an array or the arguments', () => {
    expect(renderTemplate('{{join ids ","}}', { ids: [1, 2, 3] })).toBe('1,2,3');
    expect(renderTemplate('{{join "-" a b}}', { a: 'x', b: 'y' })).toBe('x-y');
  });

  it('default picks the first non-empty value', () => {
    expect(renderTemplate('{{default a b "z"}}', { a: '', b: null })).toBe('z');
    expect(renderTemplate('{{default a "z"}}', { a: 0 })).toBe('0');
  });

  it('lookup reads own properties only, and named lookup results', () => {
    expect(renderTemplate('{{lookup obj "k"}}', { obj: { k: 'v' } })).toBe('v');
    expect(renderTemplate('{{lookup obj "constructor"}}', { obj: {} })).toBe('');
    expect(renderTemplate("{{lookup 'currency' record.country}}", { record: { country: 'US' }, lookupResults: { currency: { US: 'USD' } } })).toBe('USD');
    expect(renderTemplate("{{lookup 'currency' record.country}}", { record: { country: 'FR' } })).toBe('');
  });

  it('jsonSerialize and encodeURIComponent', () => {
    expect(renderTemplate('{{jsonSerialize record}}', { record: { a: [1, 'x'] } })).toBe('{"a":[1,"x"]}');
    expect(renderTemplate('{{encodeURIComponent q}}', { q: 'a b&c' })).toBe('a%20b%26c');
  });
});

describe('getPath and placeholders', () => {
  it('follows dot and bracket paths over own properties', () => {
    const v = { a: { b: [{ c: 1 }, { c: 2 }] } };
    expect(getPath(v, 'a.b.1.c')).toBe(2);
    expect(getPath(v, 'a.b[0].c')).toBe(1);
    expect(getPath(v, '')).toBe(v);
    expect(getPath(v, 'a.toString')).toBeUndefined();
    expect(getPath(null, 'a')).toBeUndefined();
  });

  it('fills {field} placeholders and leaves {{…}} alone', () => {
    expect(fillPlaceholders('/c?email={email}&n={{x}}', { email: 'a b@x' }, encodeURIComponent)).toBe('/c?email=a%20b%40x&n={{x}}');
    expect(fillPlaceholders('/c/{missing}', {})).toBe('/c/');
    expect(fillPlaceholders('/c/{anything}', () => 42)).toBe('/c/42');
  });

  it('templateContext merges run data and delta times', () => {
    const data = templateContext({ templateData: { settings: { a: 1 } }, lastExportDateTime: 'L', currentExportDateTime: 'C' }, { record: {} });
    expect(data).toMatchObject({ settings: { a: 1 }, lastExportDateTime: 'L', currentExportDateTime: 'C', lastExportDateTimeUTC: 'L', record: {} });
  });
});
