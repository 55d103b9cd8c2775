import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DataRecord } from '../../adaptor.js';
import { problem, type ParsedItem } from './file-options.js';
import type { FilePieces } from './pieces.js';
import { readAllText } from './text.js';

export interface XmlOptions {
  /** Path of the repeated record element: `/Orders/Order` or `Orders.Order`. */
  resourcePath?: string;
}

// Attributes appear as `@name`, text beside attributes as `#text`; values stay strings (no "01234" → 1234).
const shape = { ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false, parseAttributeValue: false } as const;

const pathParts = (p: string | undefined) => (p ?? '').split(/[/.]/).filter(Boolean);

/**
 * XML → records: each element at `resourcePath` is a record. Without a path, the repeated child of the root
 * element (or the root's content as one record). A malformed document is one problem naming its line.
 */
export async function* parseXml(text: AsyncIterable<string>, o: XmlOptions = {}, fileName?: string): AsyncGenerator<ParsedItem> {
  const all = await readAllText(text);
  const valid = XMLValidator.validate(all);
  if (valid !== true) {
    yield problem(fileName, valid.err.line, valid.err.msg);
    return;
  }
  const parts = pathParts(o.resourcePath);
  const recordPath = parts.join('.');
  const parser = new XMLParser({ ...shape, isArray: (_tag, jPath) => recordPath !== '' && jPath === recordPath });
  const doc = parser.parse(all) as Record<string, unknown>;
  let target: unknown;
  if (parts.length > 0) {
    target = doc;
    for (const p of parts) target = target !== null && typeof target === 'object' ? (target as Record<string, unknown>)[p] : undefined;
    if (target === undefined) return;
  } else {
    const root = Object.entries(doc).find(([k]) => !k.startsWith('?'))?.[1];
    const children = root !== null && typeof root === 'object' ? Object.entries(root as Record<string, unknown>).filter(([k]) => !k.startsWith('@')) : [];
    target = children.length === 1 && Array.isArray(children[0]![1]) ? children[0]![1] : root;
  }
  for (const item of Array.isArray(target) ? target : [target]) {
    yield { record: item !== null && typeof item === 'object' ? (item as DataRecord) : { '#text': item ?? '' } };
  }
}

// XML 1.0 names (fifth edition), https://www.w3.org/TR/xml/#NT-Name.
const START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const XML_NAME = new RegExp(`^[${START}][${START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*$`, 'u');

export function isXmlName(name: string): boolean {
  return XML_NAME.test(name);
}

// Characters XML 1.0 cannot hold at all, escaped or not (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone surrogates).
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws naming the first key of `value` (at any depth) that cannot be an element or attribute name, or
 * the first value holding a character XML cannot carry. A colon would need a namespace declaration we do
 * not write, so names with one are refused too.
 */
function checkNames(value: unknown, path: string, depth = 0): void {
  if (typeof value === 'string' && NOT_XML_CHAR.test(value)) throw new Error(`field ${JSON.stringify(path)} holds a character XML 1.0 cannot carry (a control character)`);
  if (depth > 100 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkNames(v, `${path}[${i}]`, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (k !== '#text') {
      const name = k.startsWith('@') ? k.slice(1) : k;
      if (!isXmlName(name) || name.includes(':')) throw new Error(`field ${JSON.stringify(at)} is not a valid XML ${k.startsWith('@') ? 'attribute' : 'element'} name`);
    }
    checkNames(v, at, depth + 1);
  }
}

/**
 * Records → `<root><record>…</record>…</root>`, element names from `resourcePath` (default `records/record`).
 * Values are escaped; a record with a key that is not an XML name is refused on its own.
 */
export function generateXml(records: readonly DataRecord[], o: XmlOptions = {}): FilePieces {
  const parts = pathParts(o.resourcePath);
  for (const p of parts) if (!isXmlName(p)) throw new Error(`xml.resourcePath "${o.resourcePath}": "${p}" is not a valid XML element name`);
  const recordName = parts.at(-1) ?? 'record';
  const outer = parts.length >= 2 ? parts.slice(0, -1) : ['records'];
  const builder = new XMLBuilder({ ...shape, format: true, indentBy: '  ', suppressEmptyNode: true });
  const indent = '  '.repeat(outer.length);
  return {
    head: `<?xml version="1.0" encoding="UTF-8"?>\n${outer.map((n, i) => `${'  '.repeat(i)}<${n}>\n`).join('')}`,
    items: records.map((r) => () => {
      checkNames(r, '');
      return (
        builder
          .build({ [recordName]: r })
          .split('\n')
          .filter((l: string) => l !== '')
          .map((l: string) => indent + l)
          .join('\n') + '\n'
      );
    }),
    separator: '',
    tail: outer.map((n, i) => `${'  '.repeat(i)}</${n}>\n`).reverse().join(''),
  };
}
