import { describe, expect, it } from 'vitest';
import { isTemplate, parseTemplate, TemplateSyntaxError } from './template.js';

describe('templates', () => {
  it('splits literal text and placeholder paths', () => {
    expect(parseTemplate('Issue-{id}: *{name}*')).toEqual(['Issue-', ['id'], ': *', ['name'], '*']);
    expect(parseTemplate('{first_name} {last_name}')).toEqual([['first_name'], ' ', ['last_name']]);
    expect(parseTemplate('{ contact.first }')).toEqual([['contact', 'first']]);
    expect(parseTemplate("{['a}b']}")).toEqual([['a}b']]);
  });

  it('writes escaped braces and backslashes literally', () => {
    expect(parseTemplate('\\{x\\} {y} \\\\')).toEqual(['{x} ', ['y'], ' \\']);
    expect(parseTemplate('C:\\temp {y}')).toEqual(['C:\\temp ', ['y']]);
  });

  it('is a template when it holds a brace', () => {
    expect(isTemplate('a.b')).toBe(false);
    expect(isTemplate('{a}')).toBe(true);
    expect(isTemplate('a}')).toBe(true);
  });

  it.each(['{a', 'a}', '{a}}', '{{a}}', '{}', '{ }', 'x {a.} y', '{a[}'])('rejects malformed %j', (t) => {
    expect(() => parseTemplate(t)).toThrow(TemplateSyntaxError);
  });
});
