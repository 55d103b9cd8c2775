import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Dialect } from './database.js';
import type { Database } from './tables.js';

/** A list filter from the query string (spec §3.3): equality, a set, or a range on one top-level field. */
export interface FieldFilter {
  field: string;
  op: '=' | 'in' | '>=' | '<=' | '>' | '<';
  values: string[];
}

/** Query fields kept in their own columns: filtered without reading the JSON document. */
const columns: Record<string, 'name' | 'integration_id' | 'connection_id' | 'connector_id' | 'adaptor_type' | '_id'> = {
  _id: '_id',
  name: 'name',
  _integrationId: 'integration_id',
  _connectionId: 'connection_id',
  _connectorId: 'connector_id',
  adaptorType: 'adaptor_type',
};
const timeColumns: Record<string, 'created_at' | 'last_modified'> = { createdAt: 'created_at', lastModified: 'last_modified' };

export const FILTERABLE_FIELD = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

/** The SQL condition for one filter; dialect differences (JSON access) stay here. */
export function filterCondition(eb: ExpressionBuilder<Database, 'resources'>, dialect: Dialect, f: FieldFilter): Expression<SqlBool> {
  const time = timeColumns[f.field];
  if (time) {
    const ms = f.values.map((v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v)));
    if (f.op === 'in') return eb(time, 'in', ms);
    return eb(time, f.op, ms[0]!);
  }
  const column = columns[f.field];
  if (column) return f.op === 'in' ? eb(column, 'in', f.values) : eb(column, f.op, f.values[0]!);
  if (!FILTERABLE_FIELD.test(f.field)) throw new Error(`not a filterable field: ${f.field}`);
  // Compare the field's JSON text form: strings as they are, booleans and numbers as written.
  const value = dialect === 'postgres'
    ? sql<string>`(${sql.ref('doc')}::jsonb ->> ${f.field})`
    : sql<string>`(case json_type(${sql.ref('doc')}, ${`$.${f.field}`}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${sql.ref('doc')}, ${`$.${f.field}`}) as text) end)`;
  if (f.op === 'in') return eb(value, 'in', f.values);
  return eb(value, f.op, f.values[0]!);
}
