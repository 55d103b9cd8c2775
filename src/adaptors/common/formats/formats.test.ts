import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DataRecord, ExportProblem } from '../../adaptor.js';
import { fileExtension, generateFile, parseFile, type FileOptions } from './index.js';

async function* bytes(data: string | Buffer, chunkSize = 7): AsyncGenerator<Uint8Array> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  // Small chunks, so multi-byte characters and rows are split across reads.
  for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
}

async function parse(data: string | Buffer, file: FileOptions, name = 'f'): Promise<{ records: DataRecord[]; problems: ExportProblem[] }> {
  const records: DataRecord[] = [];
  const problems: ExportProblem[] = [];
  for await (const item of parseFile(bytes(data), file, name)) {
    if ('record' in item) records.push(item.record);
    else problems.push(item.problem);
  }
  return { records, problems };
}

describe('CSV', () => {
  it('reads a header row and quoted values', async () => {
    const { records, problems } = await parse('id,name,note\r\n1,"Smith, Ann","said ""hi""\nbye"\r\n2,Bob,\r\n', { type: 'csv' });
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { id: '1', name: 'Smith, Ann', note: 'said "hi"\nbye' },
      { id: '2', name: 'Bob', note: '' },
    ]);
  });

  it('drops a UTF-8 BOM and honours the delimiter, rowsToSkip and trimSpaces', async () => {
    const { records } = await parse('\uFEFFexported by X\nid; name\n 1 ; Ann \n', { type: 'csv', csv: { columnDelimiter: ';', rowsToSkip: 1, trimSpaces: true } });
    expect(records).toEqual([{ id: '1', name: 'Ann' }]);
  });

  it('names columns Column0… without a header row', async () => {
    const { records } = await parse('a\tb\nc\td\te\n', { type: 'csv', csv: { hasHeaderRow: false, columnDelimiter: '\\t' } });
    expect(records).toEqual([{ Column0: 'a', Column1: 'b' }, { Column0: 'c', Column1: 'd', Column2: 'e' }]);
  });

  it('turns a malformed row into a problem with its row number; the other rows go through', async () => {
    const { records, problems } = await parse('id,name\n1,Ann\n2,Bob,extra\n3,"Cy\n', { type: 'csv' }, 'orders.csv');
    expect(records).toEqual([{ id: '1', name: 'Ann' }]);
    expect(problems).toHaveLength(2);
    expect(problems[0]!.message).toMatch(/^parsing orders\.csv row 3: /);
    expect(problems[0]!.code).toBe('parse_error');
    expect(problems[1]!.message).toMatch(/^parsing orders\.csv row \d+: .*quote/i);

    const middle = await parse('id,name\n1,Ann\n2,Bob,extra\n3,Cy\n', { type: 'csv' });
    expect(middle.records.map((r) => r.id)).toEqual(['1', '3']);
    expect(middle.problems).toHaveLength(1);
    expect(middle.problems[0]!.data).toBe('2,Bob,extra');
  });

  it('strips enclosing quotes when quoting is disabled', async () => {
    const { records } = await parse('a,b\n"x,"y\n', { type: 'csv', csv: { disableQuoteAndStripEnclosingQuotes: true } });
    expect(records).toEqual([{ a: '"x', b: '"y' }]);
    const quoted = await parse('a\n"x"\n', { type: 'csv', csv: { disableQuoteAndStripEnclosingQuotes: true } });
    expect(quoted.records).toEqual([{ a: 'x' }]);
  });

  it('writes a header, CRLF rows and quotes only where needed', () => {
    const { data, rejected } = generateFile([{ id: 1, name: 'Smith, Ann' }, { id: 2, note: 'a "b"', ok: true, tags: ['x'] }], { type: 'csv' });
    expect(rejected).toEqual([]);
    expect(data.toString()).toBe('id,name,note,ok,tags\r\n1,"Smith, Ann",,,\r\n2,,"a ""b""",true,"[""x""]"\r\n');
  });

  it('writes with options: delimiter, all quoted, no header, BOM, newline and tab replacement', () => {
    const { data } = generateFile([{ a: 'x\ny', b: 'p\tq' }], {
      type: 'csv',
      csv: { columnDelimiter: '|', rowDelimiter: '\n', wrapWithQuotes: true, includeHeader: false, includeBOM: true, replaceNewlineWithSpace: true, replaceTabWithSpace: true },
    });
    expect(data.toString()).toBe('\uFEFF"x y"|"p q"\n');
  });

  it('round-trips through generate and parse', async () => {
    const rows = [{ id: '1', text: 'comma, quote " and\r\nnewline' }, { id: '2', text: 'ünïcødé ✓' }];
    const { data } = generateFile(rows, { type: 'csv' });
    expect((await parse(data, { type: 'csv' })).records).toEqual(rows);
  });
});

describe('JSON', () => {
  it('reads the array at resourcePath', async () => {
    const { records } = await parse('{"data":{"orders":[{"id":1},{"id":2}]}}', { type: 'json', json: { resourcePath: 'data.orders' } });
    expect(records).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('reads a top-level object as one record and wraps non-objects', async () => {
    expect((await parse('{"id":1}', { type: 'json' })).records).toEqual([{ id: 1 }]);
    expect((await parse('[1,"a"]', { type: 'json' })).records).toEqual([{ value: 1 }, { value: 'a' }]);
  });

  it('reads JSON Lines, giving a bad line as a problem with its row number', async () => {
    const { records, problems } = await parse('{"id":1}\n{"id":\n\n{"id":3}\n', { type: 'json' }, 'x.json');
    expect(records).toEqual([{ id: 1 }, { id: 3 }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^parsing x\.json row 2: /);
    expect(problems[0]!.data).toBe('{"id":');
    expect((await parse('{"id":1}', { type: 'json', json: { lines: true } })).records).toEqual([{ id: 1 }]);
  });

  it('reports an unreadable document as one problem', async () => {
    const { records, problems } = await parse('[{"id":1},\n{"id" 2}]', { type: 'json' });
    expect(records).toEqual([]);
    expect(problems).toHaveLength(1);
  });

  it('writes an array, nested under resourcePath, or JSON Lines', async () => {
    const recs = [{ id: 1 }, { id: 2, x: { y: [1] } }];
    expect(JSON.parse(generateFile(recs, { type: 'json' }).data.toString())).toEqual(recs);
    expect(JSON.parse(generateFile(recs, { type: 'json', json: { resourcePath: 'a.b' } }).data.toString())).toEqual({ a: { b: recs } });
    expect(generateFile(recs, { type: 'json', json: { lines: true } }).data.toString()).toBe('{"id":1}\n{"id":2,"x":{"y":[1]}}\n');
    const { data } = generateFile([recs[0]!], { type: 'json', json: { resourcePath: 'items' } });
    expect((await parse(data, { type: 'json', json: { resourcePath: 'items' } })).records).toEqual([{ id: 1 }]);
  });

  it('refuses only the record that cannot be serialised', () => {
    const circular: DataRecord = { id: 2 };
    circular.self = circular;
    const { data, rejected } = generateFile([{ id: 1 }, circular, { id: 3 }], { type: 'json' });
    expect(JSON.parse(data.toString())).toEqual([{ id: 1 }, { id: 3 }]);
    expect(rejected.map((r) => r.index)).toEqual([1]);
  });
});

describe('XML', () => {
  const xml = '<?xml version="1.0"?>\n<Orders>\n  <Order id="1"><Sku>00123</Sku><Qty>2</Qty></Order>\n  <Order id="2"><Sku>B</Sku></Order>\n</Orders>\n';

  it('reads the elements at the record path, attributes as @name, values as text', async () => {
    const { records } = await parse(xml, { type: 'xml', xml: { resourcePath: '/Orders/Order' } });
    expect(records).toEqual([{ '@id': '1', Sku: '00123', Qty: '2' }, { '@id': '2', Sku: 'B' }]);
  });

  it('reads a single element at the record path as one record', async () => {
    const { records } = await parse('<Orders><Order><Sku>A</Sku></Order></Orders>', { type: 'xml', xml: { resourcePath: 'Orders.Order' } });
    expect(records).toEqual([{ Sku: 'A' }]);
  });

  it("uses the root's repeated child without a path", async () => {
    expect((await parse(xml, { type: 'xml' })).records).toHaveLength(2);
  });

  it('reports a malformed document with its line', async () => {
    const { records, problems } = await parse('<a>\n<b>\n</a>', { type: 'xml' }, 'bad.xml');
    expect(records).toEqual([]);
    expect(problems[0]!.message).toMatch(/^parsing bad\.xml row \d: /);
  });

  it('writes records under root and record elements and reads them back', async () => {
    const recs = [{ '@id': '1', Sku: 'A & B' }, { '@id': '2', Sku: '<x>' }];
    const { data } = generateFile(recs, { type: 'xml', xml: { resourcePath: 'Orders/Order' } });
    expect(data.toString()).toContain('<Orders>');
    expect(data.toString()).toContain('<Order id="1">');
    expect((await parse(data, { type: 'xml', xml: { resourcePath: 'Orders/Order' } })).records).toEqual(recs);
  });
});

describe('fixed-width', () => {
  const fixedWidth = { columns: [{ name: 'id', length: 4, align: 'right' as const, padChar: '0' }, { name: 'name', length: 6 }, { name: 'city', start: 12, length: 5 }] };

  it('reads columns by position and trims padding', async () => {
    const { records, problems } = await parse('0001Ann    Paris\n0002Bob     Rome\n', { type: 'fixedwidth', fixedWidth });
    expect(problems).toEqual([]);
    expect(records).toEqual([{ id: '0001', name: 'Ann', city: 'Paris' }, { id: '0002', name: 'Bob', city: 'Rome' }]);
  });

  it('gives a short line as a problem with its row number', async () => {
    const { records, problems } = await parse('0001Ann    Paris\n0002\n0003Cy     Oslo\n', { type: 'fixedwidth', fixedWidth }, 'f.txt');
    expect(records.map((r) => r.id)).toEqual(['0001', '0003']);
    expect(problems[0]!.message).toMatch(/^parsing f\.txt row 2: /);
  });

  it('writes padded columns and refuses a record whose value does not fit', () => {
    const { data, rejected } = generateFile([{ id: 1, name: 'Ann', city: 'Paris' }, { id: 2, name: 'Too long name', city: 'X' }], { type: 'fixedwidth', fixedWidth });
    expect(data.toString()).toBe('0001Ann   _Paris\r\n'.replace('_', ' '));
    expect(rejected).toEqual([{ index: 1, message: expect.stringMatching(/field "name" is 13 characters long/) }]);
  });
});

describe('encodings and compression', () => {
  it('reads and writes Windows-1252', async () => {
    const { data } = generateFile([{ name: 'café €5 “q”' }], { type: 'csv', encoding: 'win1252' });
    expect(data.includes(0x80)).toBe(true); // € in Windows-1252
    expect((await parse(data, { type: 'csv', encoding: 'win1252' })).records).toEqual([{ name: 'café €5 “q”' }]);
  });

  it('refuses only the record with a character the encoding cannot hold', () => {
    const { data, rejected } = generateFile([{ n: 'a' }, { n: '漢' }], { type: 'csv', encoding: 'iso88591' });
    expect(data.toString('latin1')).toBe('n\r\na\r\n');
    expect(rejected.map((r) => r.index)).toEqual([1]);
  });

  it('reads UTF-16LE with a BOM', async () => {
    const buf = Buffer.from('\uFEFFa,b\n1,ü\n', 'utf16le');
    expect((await parse(buf, { type: 'csv', encoding: 'utf-16le' })).records).toEqual([{ a: '1', b: 'ü' }]);
  });

  it('gzips and gunzips', async () => {
    const { data } = generateFile([{ a: 1 }], { type: 'csv', compressionFormat: 'gzip' });
    expect(gunzipSync(data).toString()).toBe('a\r\n1\r\n');
    expect((await parse(gzipSync('a\n2\n'), { type: 'csv', compressionFormat: 'gzip' })).records).toEqual([{ a: '2' }]);
    expect(fileExtension({ type: 'csv', compressionFormat: 'gzip' })).toBe('csv.gz');
  });

  it('refuses an unknown type or encoding clearly', async () => {
    expect(() => generateFile([], { type: 'xlsx' })).toThrow(/not supported/);
    await expect(parse('a', { type: 'csv', encoding: 'ebcdic' })).rejects.toThrow(/encoding "ebcdic"/);
  });
});

describe('CSV malformed rows', () => {
  const rowOf = (p: ExportProblem) => Number(/ row (\d+):/.exec(p.message)?.[1]);

  it('reports each malformed row once, with its own row number; the valid rows after it go through', async () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['id,name,qty', '1,a,1', '2,b', '3,c,3,extra', '4,"d"x,4', '5,e,5'].join(eol) + eol;
      for (const chunk of [1, 3, 7, 1000]) {
        const records: DataRecord[] = [];
        const problems: ExportProblem[] = [];
        for await (const item of parseFile(bytes(text, chunk), { type: 'csv' }, 'm.csv')) 'record' in item ? records.push(item.record) : problems.push(item.problem);
        expect(records).toEqual([{ id: '1', name: 'a', qty: '1' }, { id: '5', name: 'e', qty: '5' }]);
        expect(problems.map(rowOf)).toEqual([3, 4, 5]);
        expect(problems.map((p) => p.data)).toEqual(['2,b', '3,c,3,extra', '4,"d"x,4']);
        expect(problems[2]!.message).toMatch(/closing quote/i);
      }
    }
  });

  it('reports an unclosed quote on the row where it opened, and reads the lines after it', async () => {
    const { records, problems } = await parse('id,name\n1,"a\n2,b\n', { type: 'csv' }, 'q.csv');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^parsing q\.csv row 2: .*quote/i);
    expect(problems[0]!.data).toBe('1,"a');
    expect(records).toEqual([{ id: '2', name: 'b' }]);
  });

  it('counts the lines of quoted line breaks in later row numbers', async () => {
    const { records, problems } = await parse('id,note\n1,"x\ny\nz"\n2\n3,ok\n', { type: 'csv' });
    expect(records).toEqual([{ id: '1', note: 'x\ny\nz' }, { id: '3', note: 'ok' }]);
    expect(problems.map(rowOf)).toEqual([5]);
  });

  it('keeps a quote inside an unquoted value, handles a lone CR and multi-character delimiters', async () => {
    expect((await parse('a,b\rx"y,2\r', { type: 'csv' })).records).toEqual([{ a: 'x"y', b: '2' }]);
    expect((await parse('a||b\n1||"p||q"\n', { type: 'csv', csv: { columnDelimiter: '||' } })).records).toEqual([{ a: '1', b: 'p||q' }]);
  });

  it('refuses a binary file once, whatever its name', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.from('IHDR,,,\n"\n')]);
    await expect(parse(png, { type: 'csv' }, 'img.csv')).rejects.toThrow(/binary/);
    await expect(parse(gzipSync(png), { type: 'csv', compressionFormat: 'gzip' }, 'img.csv.gz')).rejects.toThrow(/binary/);
    // UTF-16 text is full of NUL bytes and is still text.
    expect((await parse(Buffer.from('a\nx\n', 'utf16le'), { type: 'csv', encoding: 'utf-16le' })).records).toEqual([{ a: 'x' }]);
  });

  it('reports each physical row of a JSON document read as CSV at most once', async () => {
    // One line: its header cannot be read, so the file fails once (one error naming it, in a file export).
    await expect(parse('{"a":1,"b":"x","c":[1,2,3]}\n', { type: 'csv' }, 'j.csv')).rejects.toThrow(/header row \(row 1\)/);
    const pretty = await parse('{\n  "a": 1,\n  "b": "x"\n}\n', { type: 'csv' }, 'j.csv');
    const rows = pretty.problems.map(rowOf);
    expect(new Set(rows).size).toBe(rows.length);
  });
});

describe('XML names', () => {
  it('refuses a record whose key is not an XML name, alone, and escapes values', () => {
    const recs = [{ id: 1 }, { 'name"); DROP TABLE dst; --': 'x' }, { note: '</record><evil a="1">&', nested: { 'bad key': 1 } }, { '@id': '7"<', v: 'ok' }];
    const { data, rejected } = generateFile(recs, { type: 'xml' });
    expect(rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(rejected[0]!.message).toContain(JSON.stringify('name"); DROP TABLE dst; --'));
    expect(rejected[1]!.message).toContain('nested.bad key');
    const text = data.toString();
    expect(text).not.toContain('DROP');
    expect(text).toContain('<record id="7&quot;&lt;">');
    expect(generateFile([{ note: '</record><evil>&' }], { type: 'xml' }).data.toString()).toContain('<note>&lt;/record&gt;&lt;evil&gt;&amp;</note>');
    expect(() => generateFile([{ a: 1 }], { type: 'xml', xml: { resourcePath: 'Or ders/Order' } })).toThrow(/resourcePath/);
  });

  it('refuses a record holding a control character XML cannot carry, or a prefixed (x:y) name with no namespace', () => {
    const { data, rejected } = generateFile([{ w: 'ctl\u0001char' }, { 'x:y': 1 }, { w: 'tab\tand\nline ok' }], { type: 'xml' });
    expect(rejected.map((r) => r.index)).toEqual([0, 1]);
    expect(rejected[0]!.message).toMatch(/"w" holds a character XML 1\.0 cannot carry/);
    expect(rejected[1]!.message).toContain('"x:y"');
    expect(data.toString()).toContain('tab\tand');
    expect(data.toString()).not.toContain('\u0001');
  });
});

describe('CSV long rows', () => {
  it('reports a quote that stays open for more than 4 MB once, without reading the file whole', async () => {
    const text = 'id,name\n1,"open\n' + 'x,y\n'.repeat(1_200_000) + '2,b\n';
    const { records, problems } = await parse(text, { type: 'csv' }, 'big.csv').catch((e) => ({ records: [], problems: [{ code: 'x', message: String(e) }] }));
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]!.message).toMatch(/^parsing big\.csv row 2: Quote Not Closed/);
    // Reading resumes on the line after the open quote.
    expect(records.length).toBeGreaterThan(1_000_000);
  }, 60_000);
});

describe('CSV header', () => {
  it('fails the file when its header row cannot be read', async () => {
    await expect(parse('id,"na"me\n1,a\n', { type: 'csv' }, 'h.csv')).rejects.toThrow(/header row \(row 1\) cannot be read: Invalid Closing Quote/);
    expect((await parse('id,"na"me\n1,a\n', { type: 'csv', csv: { hasHeaderRow: false } })).problems).toHaveLength(1);
  });
});
