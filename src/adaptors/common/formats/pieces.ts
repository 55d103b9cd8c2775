/**
 * A generated file in parts: what comes before the records, one renderer per record, what goes between
 * two records, and what comes after. Generating record by record lets one unwritable record be refused
 * alone instead of failing the whole file.
 */
export interface FilePieces {
  head: string;
  items: (() => string)[];
  separator: string;
  tail: string;
  bom?: boolean;
}
