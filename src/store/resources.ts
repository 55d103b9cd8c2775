import { sql, type CompiledQuery, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Dialect } from './database.js';
import { filterCondition, type FieldFilter } from './resource-filters.js';
import type { Database, ResourceTable } from './tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export type ResourceRow = ResourceTable;

export interface ResourceListQuery {
  /** Equality filters on promoted columns. */
  where?: Partial<Pick<ResourceTable, 'name' | 'integration_id' | 'connection_id' | 'connector_id' | 'adaptor_type'>>;
  /** Cursor: rows with `_id` greater than this. */
  after?: string;
  skip?: number;
  limit: number;
  /** Query-string filters (§3.3); on fields outside the promoted columns they read the JSON document. */
  filters?: FieldFilter[];
  /** Needed with `filters` on document fields. */
  dialect?: Dialect;
  /** A custom-scope token sees only these: listed ids, or rows of listed integrations or connectors. */
  scope?: ListScope;
}

export interface ListScope {
  ids: string[];
  integrationIds: string[];
  connectorIds: string[];
}

// Fetching one resource by id is the API's most frequent query: compiled once per database, then run
// with new parameters (account, kind, id in that order), skipping the query builder.
const findCompiled = new WeakMap<object, CompiledQuery<ResourceTable>>();

export async function findResource(db: Db, accountId: string, kind: string, id: string): Promise<ResourceTable | undefined> {
  let compiled = findCompiled.get(db);
  if (!compiled) {
    compiled = db.selectFrom('resources').selectAll().where('account_id', '=', '?a').where('kind', '=', '?k').where('_id', '=', '?i').compile();
    if (compiled.parameters.join() !== '?a,?k,?i') throw new Error('findResource: unexpected parameter order');
    findCompiled.set(db, compiled);
  }
  const result = await db.executeQuery<ResourceTable>({ ...compiled, parameters: [accountId, kind, id] });
  return result.rows[0];
}

export async function listResources(db: Db, accountId: string, kind: string, q: ResourceListQuery) {
  return listQuery(db, accountId, kind, q).selectAll().execute();
}

function listQuery(db: Db, accountId: string, kind: string, q: ResourceListQuery) {
  let query = db
    .selectFrom('resources')
    .where('account_id', '=', accountId)
    .where('kind', '=', kind);
  const where = q.where ?? {};
  for (const column of Object.keys(where) as (keyof typeof where)[]) {
    const value = where[column];
    if (value !== undefined && value !== null) query = query.where(column, '=', value);
  }
  for (const f of q.filters ?? []) query = query.where((eb) => filterCondition(eb, q.dialect ?? 'sqlite', f));
  const scope = q.scope;
  if (scope) {
    query = query.where((eb) =>
      eb.or([
        ...(scope.ids.length ? [eb('_id', 'in', scope.ids)] : []),
        ...(scope.integrationIds.length ? [eb('integration_id', 'in', scope.integrationIds)] : []),
        ...(scope.connectorIds.length ? [eb('connector_id', 'in', scope.connectorIds)] : []),
        sql<SqlBool>`1 = 0`,
      ]),
    );
  }
  if (q.after) query = query.where('_id', '>', q.after);
  query = query.orderBy('_id').limit(q.limit);
  if (q.skip) query = query.offset(q.skip);
  return query;
}

/** The columns a list answer needs: half the cost of reading whole rows. */
export type ResourceDocRow = Pick<ResourceTable, '_id' | 'doc' | 'created_at' | 'last_modified'>;

export async function listResourceDocs(db: Db, accountId: string, kind: string, q: ResourceListQuery): Promise<ResourceDocRow[]> {
  return listQuery(db, accountId, kind, q).select(['_id', 'doc', 'created_at', 'last_modified']).execute();
}

export async function insertResource(db: Db, row: ResourceTable, refs: string[]) {
  await db.insertInto('resources').values(row).execute();
  await writeRefs(db, row.account_id, row._id, refs);
}

export async function updateResource(db: Db, row: ResourceTable, refs: string[]) {
  const { _id, account_id, kind, created_at: _created, ...changes } = row;
  await db
    .updateTable('resources')
    .set(changes)
    .where('_id', '=', _id)
    .where('account_id', '=', account_id)
    .where('kind', '=', kind)
    .execute();
  await db.deleteFrom('resource_refs').where('from_id', '=', _id).execute();
  await writeRefs(db, account_id, _id, refs);
}

export async function deleteResource(db: Db, accountId: string, kind: string, id: string) {
  await db.deleteFrom('resource_refs').where('from_id', '=', id).execute();
  const result = await db
    .deleteFrom('resources')
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('_id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Ids of resources that reference `id` (a delete must not orphan them). */
export async function referencesTo(db: Db, accountId: string, id: string) {
  return db
    .selectFrom('resource_refs')
    .innerJoin('resources', 'resources._id', 'resource_refs.from_id')
    .select(['resources._id', 'resources.kind', 'resources.name'])
    .where('resource_refs.account_id', '=', accountId)
    .where('resource_refs.to_id', '=', id)
    .execute();
}

/** Which of `ids` exist in the account, with their kind. */
export async function existingResources(db: Db, accountId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('resources')
    .select(['_id', 'kind'])
    .where('account_id', '=', accountId)
    .where('_id', 'in', ids)
    .execute();
}

async function writeRefs(db: Db, accountId: string, fromId: string, refs: string[]) {
  const unique = [...new Set(refs)];
  if (unique.length === 0) return;
  await db
    .insertInto('resource_refs')
    .values(unique.map((to_id) => ({ account_id: accountId, from_id: fromId, to_id })))
    .execute();
}
