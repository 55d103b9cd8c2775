import Type from 'typebox';

export const s3ConnectionSchema = Type.Object(
  {
    region: Type.String({ default: 'us-east-1', examples: ['eu-west-1'] }),
    accessKeyId: Type.String(),
    secretAccessKey: Type.Optional(Type.String({ writeOnly: true })),
    endpoint: Type.Optional(Type.String({ description: 'S3-compatible storage: custom endpoint URL, addressed path-style.', examples: ['http://127.0.0.1:9000'] })),
    connectTimeout: Type.Optional(Type.Integer({ minimum: 100, default: 15000 })),
  },
  { additionalProperties: true },
);

export const s3ExportSchema = Type.Object(
  {
    region: Type.Optional(Type.String({ description: 'Overrides the connection region.' })),
    bucket: Type.String(),
    keyStartsWith: Type.Optional(Type.String({ examples: ['inbound/orders-'] })),
    keyEndsWith: Type.Optional(Type.String({ examples: ['.csv'] })),
    keyPrefix: Type.Optional(Type.String()),
    backupBucket: Type.Optional(Type.String({ description: 'Move read objects here after a successful run (default: delete them).' })),
    fileNameStartsWith: Type.Optional(Type.String({ deprecated: true })),
    fileNameEndsWith: Type.Optional(Type.String({ deprecated: true })),
  },
  { additionalProperties: true },
);

export const s3ImportSchema = Type.Object(
  {
    region: Type.Optional(Type.String()),
    bucket: Type.String(),
    fileKey: Type.Optional(Type.String({ description: 'Handlebars template of the object key; one object per page.', examples: ['outbound/orders-{{timestamp}}.csv'] })),
  },
  { additionalProperties: true },
);
