import Type from 'typebox';

/** The connection's `rdbms` block. Secrets carry `writeOnly` (never returned by the API). */
export const rdbmsConnectionSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('sqlite'), Type.Literal('postgresql'), Type.Literal('mysql'), Type.Literal('mariadb')], {
      description: 'Database engine. `mariadb` is an alias of `mysql`.',
      examples: ['postgresql'],
    }),
    host: Type.Optional(Type.String({ description: 'Server host name (not used by SQLite).', default: '127.0.0.1' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Server port; default 5432 (PostgreSQL) or 3306 (MySQL).' })),
    database: Type.Optional(Type.String({ description: 'Database name; for SQLite the path of the database file.', examples: ['shop', '/data/shop.db'] })),
    user: Type.Optional(Type.String({ description: 'User name.' })),
    password: Type.Optional(Type.String({ description: 'Password.', writeOnly: true })),
    ssl: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object({
          ca: Type.Optional(Type.String({ description: 'PEM CA certificate(s) to trust.' })),
          cert: Type.Optional(Type.String({ description: 'PEM client certificate.' })),
          key: Type.Optional(Type.String({ description: 'PEM client key.', writeOnly: true })),
          passphrase: Type.Optional(Type.String({ writeOnly: true })),
          rejectUnauthorized: Type.Optional(Type.Boolean({ default: true })),
          servername: Type.Optional(Type.String()),
        }),
      ], { description: 'TLS: `true` verifies the server against the system CAs.', default: false }),
    ),
    connectTimeout: Type.Optional(Type.Integer({ minimum: 100, description: 'Milliseconds to wait when connecting.', default: 15000 })),
  },
  { additionalProperties: true },
);

export const rdbmsExportSchema = Type.Object(
  {
    query: Type.String({
      description: 'SELECT statement. `{{…}}` values (e.g. `{{lastExportDateTime}}`) become bind parameters, never SQL text.',
      examples: ['SELECT * FROM orders WHERE updated_at > {{lastExportDateTime}} ORDER BY id'],
    }),
    once: Type.Optional(Type.Object({ query: Type.Optional(Type.String()) })),
  },
  { additionalProperties: true },
);

const queryTypes = ['INSERT', 'UPDATE', 'bulk_insert', 'per_record', 'per_page', 'first_page', 'bulk_load'] as const;

export const rdbmsImportSchema = Type.Object(
  {
    queryType: Type.Optional(
      Type.Array(Type.Union(queryTypes.map((t) => Type.Literal(t))), {
        description: 'How records are written: `bulk_load` upserts on primary keys, `bulk_insert` inserts in batches, `INSERT`/`UPDATE`/`per_record` run `query` per record, `per_page`/`first_page` once per page.',
        examples: [['bulk_load']],
      }),
    ),
    query: Type.Optional(
      Type.Array(Type.String(), {
        description: 'SQL templates aligned with `queryType`; `{{record.field}}` (or `{{data.field}}`) become bind parameters.',
        examples: [['UPDATE customers SET email = {{record.email}} WHERE id = {{record.id}}']],
      }),
    ),
    bulkInsert: Type.Optional(
      Type.Object({
        tableName: Type.String({ description: 'Target table (optionally schema.table).' }),
        batchSize: Type.Optional(Type.Integer({ minimum: 1, default: 1000, description: 'Rows per INSERT statement.' })),
      }),
    ),
    bulkLoad: Type.Optional(
      Type.Object({
        tableName: Type.String({ description: 'Target table (optionally schema.table).' }),
        primaryKeys: Type.Optional(Type.Array(Type.String(), { description: 'Columns that identify a row: existing rows are updated.' })),
        batchSize: Type.Optional(Type.Integer({ minimum: 1, default: 1000 })),
        overrideMergeQuery: Type.Optional(Type.Boolean()),
      }),
    ),
    updateLookupName: Type.Optional(Type.String()),
    updateExtract: Type.Optional(Type.String()),
    ignoreLookupName: Type.Optional(Type.String()),
    ignoreExtract: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
