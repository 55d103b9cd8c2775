import type { DataRecord, ExportProblem } from '../../adaptor.js';

/**
 * The `file` block of file exports and imports (API contract §5.4 and §6.1), as far as parsing and
 * generating go. Unknown fields are ignored.
 */
export interface FileOptions {
  /** `csv` (default), `json`, `xml`, `fixedwidth` (or `filedefinition` with inline `fileDefinition.columns`). */
  type?: string;
  /** `utf8` (default), `win1252`, `utf-16le`, `iso88591`, `gb18030`, `macroman`, `shiftjis` (the last three read-only). */
  encoding?: string;
  /** `gzip` (zip is not supported). */
  compressionFormat?: string;
  /**
   * Imports: `false` writes all the records of a run into one file, uploaded when the run completed; `true`, or
   * absent (the default here, unlike the reference's), writes one file per page.
   */
  skipAggregation?: boolean;
  /** Exports: keep the source file after a successful run (default: delete or move it). */
  skipDelete?: boolean;
  csv?: CsvOptions;
  json?: { resourcePath?: string; /** One JSON document per line (JSON Lines). */ lines?: boolean };
  xml?: { resourcePath?: string };
  fixedWidth?: FixedWidthOptions;
  fileDefinition?: FixedWidthOptions;
}

export interface CsvOptions {
  columnDelimiter?: string;
  rowDelimiter?: string;
  /** Parsing: the first row names the columns (default true); without it columns are `Column0`, `Column1`… */
  hasHeaderRow?: boolean;
  trimSpaces?: boolean;
  rowsToSkip?: number;
  disableQuoteAndStripEnclosingQuotes?: boolean;
  /** Generating: write a header row (default true). */
  includeHeader?: boolean;
  /** Generating: quote every value (default false: only when needed). */
  wrapWithQuotes?: boolean;
  replaceTabWithSpace?: boolean;
  replaceNewlineWithSpace?: boolean;
  /** Generating: start the file with a byte-order mark (UTF-8 and UTF-16 only). */
  includeBOM?: boolean;
}

export interface FixedWidthColumn {
  name: string;
  /** 1-based position of the first character; default: right after the previous column. */
  start?: number;
  length: number;
  /** Generating: `left` (default) pads on the right, `right` pads on the left (numbers). */
  align?: 'left' | 'right';
  padChar?: string;
}

export interface FixedWidthOptions {
  columns: FixedWidthColumn[];
  rowsToSkip?: number;
  /** Parsing: trim the padding around values (default true). */
  trim?: boolean;
  /** Generating: line ending (default `\r\n`). */
  rowDelimiter?: string;
}

/** One parsed unit: a record, or a problem with a row that the other rows do not share. */
export type ParsedItem = { record: DataRecord } | { problem: ExportProblem };

/** What generating a file gives: its bytes, and the records that could not be written (by index). */
export interface GeneratedFile {
  data: Buffer;
  rejected: { index: number; message: string }[];
}

export function problem(fileName: string | undefined, row: number | undefined, message: string, data?: unknown): ParsedItem {
  const where = [fileName, row === undefined ? undefined : `row ${row}`].filter(Boolean).join(' ');
  return { problem: { code: 'parse_error', message: where ? `parsing ${where}: ${message}` : `parsing: ${message}`, ...(data === undefined ? {} : { data }) } };
}
