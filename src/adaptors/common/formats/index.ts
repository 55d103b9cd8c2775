import type { DataRecord } from '../../adaptor.js';
import { generateCsv, parseCsv } from './csv.js';
import type { FileOptions, GeneratedFile, ParsedItem } from './file-options.js';
import { checkFixedWidth, generateFixedWidth, parseFixedWidth } from './fixed-width.js';
import { generateJson, parseJson } from './json.js';
import type { FilePieces } from './pieces.js';
import { checkTextOptions, decodeText, encodeText } from './text.js';
import { generateXml, parseXml } from './xml.js';
import { gzipSync } from 'node:zlib';

export type { FileOptions, GeneratedFile, ParsedItem } from './file-options.js';

/** The generator a file's `type` picks. */
export function fileKind(file: FileOptions = {}): 'csv' | 'json' | 'xml' | 'fixedwidth' {
  return kind(file);
}

function kind(file: FileOptions): 'csv' | 'json' | 'xml' | 'fixedwidth' {
  const t = (file.type ?? 'csv').toLowerCase();
  if (t === 'csv' || t === 'json' || t === 'xml') return t;
  if (t === 'fixedwidth' || t === 'fixed-width' || t === 'filedefinition') return 'fixedwidth';
  throw new Error(`file.type "${file.type}" is not supported (csv, json, xml, fixedwidth)`);
}

/** Checks the settings every file of an export shares (type, encoding, compression, layout): a bad one fails the step. */
export function checkFileOptions(file: FileOptions = {}): void {
  const k = kind(file);
  checkTextOptions(file);
  if (k === 'fixedwidth') checkFixedWidth(file.fixedWidth ?? file.fileDefinition);
}

/**
 * Parses a file's bytes into records, streamed where the format allows (CSV, fixed-width, JSON Lines; JSON and
 * XML documents are read whole). Rows that cannot be read come out as problems; the others still come out.
 */
export async function* parseFile(bytes: AsyncIterable<Uint8Array>, file: FileOptions = {}, fileName?: string): AsyncGenerator<ParsedItem> {
  const k = kind(file);
  checkTextOptions(file);
  const text = decodeText(bytes, file);
  switch (k) {
    case 'csv':
      yield* parseCsv(text, file.csv, fileName);
      return;
    case 'json':
      yield* parseJson(text, file.json, fileName);
      return;
    case 'xml':
      yield* parseXml(text, file.xml, fileName);
      return;
    case 'fixedwidth':
      yield* parseFixedWidth(text, file.fixedWidth ?? file.fileDefinition, fileName);
      return;
  }
}

/** Generates one file from records; a record that cannot be written is listed in `rejected`, not dropped silently. */
export function generateFile(records: readonly DataRecord[], file: FileOptions = {}): GeneratedFile {
  const pieces = generatePieces(records, file);
  const rejected: GeneratedFile['rejected'] = [];
  const chunks: Buffer[] = [encodeText(pieces.head, file, pieces.bom === true)];
  let first = true;
  pieces.items.forEach((render, index) => {
    try {
      const bytes = encodeText((first ? '' : pieces.separator) + render(), file);
      chunks.push(bytes);
      first = false;
    } catch (err) {
      rejected.push({ index, message: `writing ${kind(file).toUpperCase()}: ${(err as Error).message}` });
    }
  });
  chunks.push(encodeText(pieces.tail, file));
  let data = Buffer.concat(chunks);
  const compression = file.compressionFormat?.toLowerCase();
  if (compression === 'gzip') data = gzipSync(data);
  else if (compression) throw new Error(`compressionFormat "${file.compressionFormat}" is not supported (gzip only)`);
  return { data, rejected };
}

/** A file's pieces (head, one renderer per record, separator, tail), not yet encoded nor compressed. */
export function generatePieces(records: readonly DataRecord[], file: FileOptions = {}): FilePieces {
  switch (kind(file)) {
    case 'csv':
      return generateCsv(records, file.csv);
    case 'json':
      return generateJson(records, file.json);
    case 'xml':
      return generateXml(records, file.xml);
    case 'fixedwidth':
      return generateFixedWidth(records, file.fixedWidth ?? file.fileDefinition);
  }
}

/** The usual extension for generated files of this kind (`csv`, `json`, `xml`, `txt`), plus `.gz` when gzipped. */
export function fileExtension(file: FileOptions = {}): string {
  const k = kind(file);
  const base = k === 'fixedwidth' ? 'txt' : k === 'json' && file.json?.lines ? 'jsonl' : k;
  return file.compressionFormat?.toLowerCase() === 'gzip' ? `${base}.gz` : base;
}
