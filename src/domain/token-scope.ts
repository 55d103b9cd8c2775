import type { ListScope } from '../store/resources.js';

/**
 * What a token may reach. Stored as JSON in `tokens.scope`: `"*"` (full access) or an object.
 * A custom token reaches the resources it lists by id, and every resource of the integrations and
 * connectors it lists. A one-time DIY token is read-only on its integration's resources.
 */
export interface TokenScope {
  full: boolean;
  integrationIds: string[];
  connectorIds: string[];
  /** Connections, exports, imports listed one by one. */
  ids: string[];
  /** Only GET on resources (one-time tokens of code not owned by a connector). */
  readOnly: boolean;
  oneTime: boolean;
}

export interface StoredScope {
  integrations?: string[];
  connectors?: string[];
  ids?: string[];
  readOnly?: boolean;
  oneTime?: boolean;
}

export const FULL_SCOPE: TokenScope = { full: true, integrationIds: [], connectorIds: [], ids: [], readOnly: false, oneTime: false };

export function parseScope(stored: unknown): TokenScope {
  if (stored === '*' || stored === null || typeof stored !== 'object') return FULL_SCOPE;
  const s = stored as StoredScope;
  return {
    full: false,
    integrationIds: s.integrations ?? [],
    connectorIds: s.connectors ?? [],
    ids: s.ids ?? [],
    readOnly: s.readOnly === true,
    oneTime: s.oneTime === true,
  };
}

/** The columns of a resource that decide whether a scope reaches it. */
export interface ScopedRow {
  _id: string;
  kind: string;
  integration_id: string | null;
  connector_id: string | null;
}

export function reaches(scope: TokenScope, row: ScopedRow): boolean {
  if (scope.full) return true;
  if (scope.ids.includes(row._id)) return true;
  if (row.integration_id && scope.integrationIds.includes(row.integration_id)) return true;
  if (row.connector_id && scope.connectorIds.includes(row.connector_id)) return true;
  if (row.kind === 'integrations' && scope.integrationIds.includes(row._id)) return true;
  if (row.kind === 'connectors' && scope.connectorIds.includes(row._id)) return true;
  return false;
}

/** The SQL-side form of a scope for lists; undefined for full access. */
export function listScope(scope: TokenScope, kind: string): ListScope | undefined {
  if (scope.full) return undefined;
  return {
    ids: [...scope.ids, ...(kind === 'integrations' ? scope.integrationIds : []), ...(kind === 'connectors' ? scope.connectorIds : [])],
    integrationIds: scope.integrationIds,
    connectorIds: scope.connectorIds,
  };
}

/** May a new or replaced document with these owners be written under this scope? */
export function mayWrite(scope: TokenScope, doc: { _integrationId?: unknown; _connectorId?: unknown }, kind: string, id?: string): boolean {
  if (scope.full) return true;
  if (scope.readOnly) return false;
  if (id && scope.ids.includes(id)) return true;
  if (typeof doc._integrationId === 'string' && scope.integrationIds.includes(doc._integrationId)) return true;
  if (typeof doc._connectorId === 'string' && scope.connectorIds.includes(doc._connectorId)) return true;
  if (id && kind === 'integrations' && scope.integrationIds.includes(id)) return true;
  return false;
}
