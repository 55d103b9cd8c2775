/** A problem in a mapping definition, named by where it sits (`mapping.fields[3].generate`). */
export interface MappingIssue {
  code: 'invalid_field';
  message: string;
  field: string;
}

/**
 * Why one record could not be mapped: `lookup_failed` (names the lookup and the value),
 * `invalid_date` (names the value; a rule's date could not be read),
 * `invalid_record` (not an object) or `mapping_failed` (anything unexpected).
 */
export interface RecordError {
  code: 'lookup_failed' | 'invalid_date' | 'invalid_record' | 'mapping_failed';
  message: string;
  /** Output path of the rule at fault, e.g. `currency` or `items[2].sku`. */
  field?: string;
}

/** Thrown by compileMapping/previewMapping for an invalid mapping; shaped like the API error envelope. */
export class MappingValidationError extends Error {
  override readonly name = 'MappingValidationError';
  readonly status = 422;
  readonly items: MappingIssue[];

  constructor(items: MappingIssue[]) {
    super(`invalid mapping: ${items.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.items = items;
  }
}
