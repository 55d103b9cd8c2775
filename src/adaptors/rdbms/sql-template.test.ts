import { describe, expect, it } from 'vitest';
import { renderSql, templateMentions } from './sql-template.js';

const pg = (n: number) => `$${n}`;
const q = () => '?';

describe('renderSql', () => {
  it('turns each value into a bind parameter', () => {
    expect(renderSql('SELECT * FROM t WHERE a > {{lastExportDateTime}} AND b = {{record.id}}', { lastExportDateTime: '2024-01-01', record: { id: 7 } }, pg)).toEqual({
      sql: 'SELECT * FROM t WHERE a > $1 AND b = $2',
      params: ['2024-01-01', 7],
    });
  });

  it('uses ? for positional dialects and repeats a value used twice', () => {
    expect(renderSql('{{x}} {{x}}', { x: 1 }, q)).toEqual({ sql: '? ?', params: [1, 1] });
  });

  it("drops the quotes of a quoted placeholder ('{{x}}' is the whole value)", () => {
    expect(renderSql("WHERE d > '{{d}}' AND s = '{{{s}}}'", { d: '2024', s: "it's" }, pg)).toEqual({ sql: 'WHERE d > $1 AND s = $2', params: ['2024', "it's"] });
  });

  it('binds triple-stash values too: nothing is spliced into the SQL', () => {
    const evil = "x'); DROP TABLE t; --";
    const r = renderSql('INSERT INTO t VALUES ({{{v}}})', { v: evil }, pg);
    expect(r).toEqual({ sql: 'INSERT INTO t VALUES ($1)', params: [evil] });
  });

  it('refuses a value inside a longer quoted string', () => {
    expect(() => renderSql("WHERE name LIKE '%{{x}}%'", { x: 'a' }, pg)).toThrow(/inside a longer quoted string/);
  });

  it('keeps quoted text without values as it is', () => {
    expect(renderSql("WHERE a = 'it''s' AND b = {{b}}", { b: 2 }, pg)).toEqual({ sql: "WHERE a = 'it''s' AND b = $1", params: [2] });
  });

  it('binds values inside #each and #if blocks', () => {
    const r = renderSql('VALUES {{#each rows}}({{this.id}}, {{name}}){{#unless @last}}, {{/unless}}{{/each}}{{#if flag}} -- {{flag}}{{/if}}', { rows: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], flag: false }, pg);
    expect(r).toEqual({ sql: 'VALUES ($1, $2), ($3, $4)', params: [1, 'a', 2, 'b'] });
  });

  it('binds the result of a helper call', () => {
    expect(renderSql('{{lookup record "k"}}', { record: { k: 'v' } }, pg)).toEqual({ sql: '$1', params: ['v'] });
  });

  it('binds the result of dateFormat and default', () => {
    expect(renderSql('{{dateFormat "YYYY-MM-DD" d}} {{default x "none"}}', { d: '2024-05-06T10:00:00Z' }, q)).toEqual({ sql: '? ?', params: ['2024-05-06', 'none'] });
  });

  it('binds undefined for a missing value', () => {
    expect(renderSql('{{nope}}', {}, q)).toEqual({ sql: '?', params: [undefined] });
  });

  it('names the problem on a syntax error', () => {
    expect(() => renderSql('{{#if}}', {}, q)).toThrow(/^rendering SQL template/);
  });
});

describe('templateMentions', () => {
  it('finds a name inside any mustache', () => {
    expect(templateMentions('a > {{{lastExportDateTime}}}', 'lastExportDateTime')).toBe(true);
    expect(templateMentions('a > {{dateFormat "x" lastExportDateTime}}', 'lastExportDateTime')).toBe(true);
    expect(templateMentions('lastExportDateTime', 'lastExportDateTime')).toBe(false);
  });
});
