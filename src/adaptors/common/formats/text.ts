import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import type { FileOptions } from './file-options.js';

const DECODERS: Record<string, string> = {
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  win1252: 'windows-1252',
  'windows-1252': 'windows-1252',
  'utf-16le': 'utf-16le',
  utf16le: 'utf-16le',
  iso88591: 'iso-8859-1',
  'iso-8859-1': 'iso-8859-1',
  latin1: 'iso-8859-1',
  gb18030: 'gb18030',
  macroman: 'macintosh',
  shiftjis: 'shift_jis',
  shift_jis: 'shift_jis',
};

function decoderName(encoding: string | undefined): string {
  const name = DECODERS[(encoding ?? 'utf8').toLowerCase()];
  if (!name) throw new Error(`file encoding "${encoding}" is not supported`);
  return name;
}

// Windows-1252 bytes 0x80-0x9F (Node's TextDecoder decodes "windows-1252" as ISO-8859-1, so we map them here).
const WIN1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

interface Decoder {
  decode(chunk?: Uint8Array, options?: { stream?: boolean }): string;
}

const win1252Decoder: Decoder = {
  decode(chunk) {
    if (!chunk) return '';
    let out = '';
    for (const b of chunk) out += String.fromCharCode(b >= 0x80 && b <= 0x9f ? WIN1252_HIGH[b - 0x80]! : b);
    return out;
  },
};

/** Checks the file block's encoding and compression up front, so a bad setting fails the step, not a row. */
export function checkTextOptions(file: FileOptions): void {
  decoderName(file.encoding);
  const compression = file.compressionFormat?.toLowerCase();
  if (compression && compression !== 'gzip') throw new Error(`compressionFormat "${file.compressionFormat}" is not supported (gzip only)`);
}

/** Bytes of a file (optionally gzipped) → text chunks in the file's encoding; a leading BOM is dropped. */
export async function* decodeText(input: AsyncIterable<Uint8Array>, file: FileOptions): AsyncGenerator<string> {
  checkTextOptions(file);
  const name = decoderName(file.encoding);
  const decoder: Decoder = name === 'windows-1252' ? win1252Decoder : new TextDecoder(name);
  let source: AsyncIterable<Uint8Array> = input;
  if (file.compressionFormat?.toLowerCase() === 'gzip') source = Readable.from(input).pipe(createGunzip());
  let first = true;
  // Text files hold no NUL byte (UTF-16 aside): one in the first 8 KB means a binary file (an image, an archive).
  const sniff = name === 'utf-16le' ? 0 : 8192;
  let seen = 0;
  for await (const chunk of source) {
    if (seen < sniff) {
      const nul = chunk.subarray(0, sniff - seen).indexOf(0);
      if (nul >= 0) throw new BinaryFileError(seen + nul);
      seen += chunk.length;
    }
    let text = decoder.decode(chunk, { stream: true });
    if (first && text) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** The file is not text: it holds a NUL byte near its start. */
export class BinaryFileError extends Error {
  constructor(offset: number) {
    super(`the file is binary, not text (a NUL byte at offset ${offset})`);
    this.name = 'BinaryFileError';
  }
}

export async function readAllText(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const c of chunks) text += c;
  return text;
}

/** Splits text chunks into lines (without their `\n` / `\r\n`), numbered from 1. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<{ line: string; number: number }> {
  let rest = '';
  let number = 0;
  for await (const chunk of chunks) {
    rest += chunk;
    let at: number;
    while ((at = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, at);
      rest = rest.slice(at + 1);
      yield { line: line.endsWith('\r') ? line.slice(0, -1) : line, number: ++number };
    }
  }
  if (rest.length > 0) yield { line: rest.endsWith('\r') ? rest.slice(0, -1) : rest, number: ++number };
}

const win1252 = new Map(WIN1252_HIGH.map((code, i) => [String.fromCharCode(code), 0x80 + i] as const));

/** Text → bytes in the file's encoding (writing supports UTF-8, UTF-16LE, ISO-8859-1 and Windows-1252). */
export function encodeText(text: string, file: FileOptions, bom = false): Buffer {
  const name = decoderName(file.encoding);
  switch (name) {
    case 'utf-8':
      return Buffer.from((bom ? '\uFEFF' : '') + text, 'utf8');
    case 'utf-16le':
      return Buffer.from((bom ? '\uFEFF' : '') + text, 'utf16le');
    case 'iso-8859-1':
      return singleByte(text, (code) => (code <= 0xff ? code : undefined), name);
    case 'windows-1252': {
      return singleByte(text, (code, ch) => win1252.get(ch) ?? (code <= 0xff && (code < 0x80 || code > 0x9f) ? code : undefined), name);
    }
    default:
      throw new Error(`file encoding "${file.encoding}" is supported for reading only`);
  }
}

function singleByte(text: string, byteOf: (code: number, ch: string) => number | undefined, name: string): Buffer {
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (const ch of text) {
    const b = byteOf(ch.codePointAt(0)!, ch);
    if (b === undefined) throw new Error(`character "${ch}" cannot be written in ${name}`);
    out[n++] = b;
  }
  return out.subarray(0, n);
}
