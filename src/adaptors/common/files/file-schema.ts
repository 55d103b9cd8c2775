import Type from 'typebox';

/** The `file` block of file exports and imports (parsing and generating options). */
export const fileSchema = Type.Object(
  {
    type: Type.Optional(Type.Union(['csv', 'json', 'xml', 'fixedwidth', 'filedefinition'].map((t) => Type.Literal(t)), { default: 'csv' })),
    encoding: Type.Optional(Type.String({ default: 'utf8', description: 'utf8, win1252, utf-16le, iso88591 (read and write); gb18030, macroman, shiftjis (read).' })),
    compressionFormat: Type.Optional(Type.Literal('gzip')),
    skipAggregation: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Imports: false aggregates all the records of a run into one file: each page is spooled on the server, and the file (named by the file name or key template, rendered once) is uploaded when the run has completed; a failed upload is a commit_failed error on the import job, and a run resumed after a crash may deliver records twice (at least once). true writes each page of records as its own file when the page is processed. Absent means true here (the reference default is false): imports saved before aggregation existed keep writing one file per page; set false explicitly to aggregate.',
      }),
    ),
    skipDelete: Type.Optional(Type.Boolean({ default: false, description: 'Exports: keep source files after a successful run.' })),
    csv: Type.Optional(
      Type.Object(
        {
          columnDelimiter: Type.Optional(Type.String({ default: ',' })),
          rowDelimiter: Type.Optional(Type.String({ description: 'Parsing: detected when absent; generating: default CRLF.' })),
          hasHeaderRow: Type.Optional(Type.Boolean({ default: true })),
          trimSpaces: Type.Optional(Type.Boolean({ default: false })),
          rowsToSkip: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          disableQuoteAndStripEnclosingQuotes: Type.Optional(Type.Boolean({ default: false })),
          includeHeader: Type.Optional(Type.Boolean({ default: true })),
          wrapWithQuotes: Type.Optional(Type.Boolean({ default: false })),
          replaceTabWithSpace: Type.Optional(Type.Boolean({ default: false })),
          replaceNewlineWithSpace: Type.Optional(Type.Boolean({ default: false })),
          includeBOM: Type.Optional(Type.Boolean({ default: false })),
        },
        { additionalProperties: true },
      ),
    ),
    json: Type.Optional(Type.Object({ resourcePath: Type.Optional(Type.String()), lines: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: true })),
    xml: Type.Optional(Type.Object({ resourcePath: Type.Optional(Type.String({ examples: ['/Orders/Order'] })) }, { additionalProperties: true })),
    fixedWidth: Type.Optional(
      Type.Object({
        columns: Type.Array(
          Type.Object({
            name: Type.String(),
            start: Type.Optional(Type.Integer({ minimum: 1 })),
            length: Type.Integer({ minimum: 1 }),
            align: Type.Optional(Type.Union([Type.Literal('left'), Type.Literal('right')])),
            padChar: Type.Optional(Type.String({ maxLength: 1 })),
          }),
        ),
        rowsToSkip: Type.Optional(Type.Integer({ minimum: 0 })),
        trim: Type.Optional(Type.Boolean({ default: true })),
        rowDelimiter: Type.Optional(Type.String()),
      }),
    ),
  },
  { additionalProperties: true },
);
