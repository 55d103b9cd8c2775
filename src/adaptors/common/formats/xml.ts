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

/** Records → `<root><record>…</record>…</root>`, element names from `resourcePath` (default `records/record`). */
export function generateXml(records: readonly DataRecord[], o: XmlOptions = {}): FilePieces {
  const parts = pathParts(o.resourcePath);
  const recordName = parts.at(-1) ?? 'record';
  const outer = parts.length >= 2 ? parts.slice(0, -1) : ['records'];
  const builder = new XMLBuilder({ ...shape, format: true, indentBy: '  ', suppressEmptyNode: true });
  const indent = '  '.repeat(outer.length);
  return {
    head: `<?xml version="1.0" encoding="UTF-8"?>\n${outer.map((n, i) => `${'  '.repeat(i)}<${n}>\n`).join('')}`,
    items: records.map((r) => () =>
      builder
        .build({ [recordName]: r })
        .split('\n')
        .filter((l: string) => l !== '')
        .map((l: string) => indent + l)
        .join('\n') + '\n',
    ),
    separator: '',
    tail: outer.map((n, i) => `${'  '.repeat(i)}</${n}>\n`).reverse().join(''),
  };
}
