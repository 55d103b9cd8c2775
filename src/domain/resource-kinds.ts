import type { SecretPlaces } from './secrets.js';
import type { TSchema } from 'typebox';
import type { ErrorItem } from '../errors.js';
import type { Adaptor } from '../adaptors/adaptor.js';
import { adaptorForConnection, adaptorForExport, adaptorForImport } from '../adaptors/registry.js';
import { importLookupsOf, validateMapping } from '../mapping/index.js';
import type { Store } from '../store/database.js';
import { validateAgainst } from './validation.js';
import { ConnectionSchema } from './schemas/connection.js';
import { ConnectorSchema } from './schemas/connector.js';
import { connectionlessExportTypes, ExportSchema } from './schemas/export.js';
import { IClientSchema } from './schemas/iclient.js';
import { connectionlessImportTypes, ImportSchema } from './schemas/import.js';
import { checkFlowSchedules, FlowSchema } from './schemas/flow.js';
import { IntegrationSchema } from './schemas/integration.js';
import { LicenseSchema } from './schemas/license.js';
import { ScriptSchema } from './schemas/script.js';
import { StackSchema } from './schemas/stack.js';
import { TemplateSchema } from './schemas/template.js';
import { licenseBeforeSave, stackBeforeSave } from './kind-rules.js';

type DocBody = Record<string, unknown>;

/** A reference from one resource to another, checked on every write. */
export interface Reference {
  field: string;
  kind: string;
  id: string;
}

/** What a kind's `beforeSave` gets: the validated document (it may change it) and, on replace, the stored one. */
export interface SaveContext {
  store: Store;
  accountId: string;
  doc: DocBody;
  /** The stored document (secrets sealed) on replace; absent on create. */
  stored?: DocBody;
}

/** What differs between resource families; the CRUD service does the rest. */
export interface ResourceKind {
  /** Collection name as stored, lower case (`iclients`). */
  kind: string;
  /** Path segment as the reference spells it (`iClients`); routes are case-insensitive anyway. */
  path: string;
  /** Other path segments routed to the same collection (`template` for `templates`). */
  aliases?: string[];
  /** Singular, for messages ("Export 5f… not found"). */
  label: string;
  schema: TSchema;
  /** Holds secrets (anywhere, or in these top-level blocks): encrypted at rest, masked in answers. */
  hasSecrets?: SecretPlaces;
  /** Prefix of `apiIdentifier` for exports (`e`) and imports (`i`). */
  apiIdentifierPrefix?: string;
  /** Read-only fields of this kind, ignored when sent in a body (besides the common ones). */
  readOnly?: string[];
  references(doc: DocBody): Reference[];
  /** Checks beyond the schema (adaptor blocks, shapes that JSON Schema says badly). */
  check?(doc: DocBody): ErrorItem[];
  /** Checks that read the store, and server-set fields (a license's user, a stack's system token). */
  beforeSave?(ctx: SaveContext): Promise<ErrorItem[]>;
  /** When set, JSON Patch operations may only touch these paths (spec §4.6 for flows); others are 422. */
  patchablePaths?: RegExp[];
  /** Values of promoted columns. */
  promote(doc: DocBody): { connection_id?: string; integration_id?: string; connector_id?: string; adaptor_type?: string };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** Foreign keys that may sit anywhere in a document (hooks, blocks): `_scriptId`, `_stackId`, `_iClientId`. */
const nestedRefKinds: Record<string, string> = { _scriptId: 'scripts', _stackId: 'stacks', _iClientId: 'iclients', _borrowConcurrencyFromConnectionId: 'connections' };

function nestedRefs(doc: unknown, path: string, out: Reference[], depth = 0): void {
  // Bodies are at most 64 levels deep (json-body), so this walks every reference a body can hold.
  if (depth > 64 || doc === null || typeof doc !== 'object') return;
  if (Array.isArray(doc)) {
    doc.forEach((v, i) => nestedRefs(v, `${path}[${i}]`, out, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(doc)) {
    const field = path ? `${path}.${k}` : k;
    // Own keys only: a settings key named `toString` or `constructor` is data, not a reference.
    if (Object.hasOwn(nestedRefKinds, k) && typeof v === 'string') out.push({ field, kind: nestedRefKinds[k]!, id: v });
    else if (v && typeof v === 'object') nestedRefs(v, field, out, depth + 1);
  }
}

function common(doc: DocBody): Reference[] {
  const refs: Reference[] = [];
  if (str(doc._integrationId)) refs.push({ field: '_integrationId', kind: 'integrations', id: doc._integrationId as string });
  if (str(doc._connectorId)) refs.push({ field: '_connectorId', kind: 'connectors', id: doc._connectorId as string });
  nestedRefs(doc, '', refs);
  return refs;
}

function promoteCommon(doc: DocBody) {
  return { integration_id: str(doc._integrationId), connector_id: str(doc._connectorId) };
}

function checkBlock(schema: TSchema | undefined, doc: DocBody, block: string, adaptorCheck?: () => ErrorItem[]): ErrorItem[] {
  if (!schema || doc[block] === undefined) return [];
  const errors = validateAgainst(schema, doc[block], block);
  // The adaptor's own checks run on a block that has the schema's shape.
  return errors.length === 0 && adaptorCheck ? adaptorCheck() : errors;
}

/** The adaptor's `check` of its block on `doc`, when it has one. */
function adaptorCheck(adaptor: Adaptor, resource: 'connection' | 'export' | 'import', doc: DocBody): (() => ErrorItem[]) | undefined {
  const block = doc[adaptor.blockName];
  if (!adaptor.check || !block || typeof block !== 'object') return undefined;
  return () => adaptor.check!(resource, block as Record<string, unknown>);
}

export const connectionsKind: ResourceKind = {
  kind: 'connections',
  path: 'connections',
  label: 'Connection',
  schema: ConnectionSchema,
  hasSecrets: true,
  references: common,
  check(doc) {
    const adaptor = adaptorForConnection(String(doc.type));
    if (!adaptor) return [];
    if (doc[adaptor.blockName] === undefined) {
      return [{ code: 'missing_required_field', field: adaptor.blockName, message: `${adaptor.blockName} is required for a connection of type ${String(doc.type)}.` }];
    }
    return checkBlock(adaptor.schemas.connection, doc, adaptor.blockName, adaptorCheck(adaptor, 'connection', doc));
  },
  promote: promoteCommon,
};

export const exportsKind: ResourceKind = {
  kind: 'exports',
  path: 'exports',
  label: 'Export',
  schema: ExportSchema,
  apiIdentifierPrefix: 'e',
  // Webhook verification secrets and the distributed (SuiteApp) bearer token; other blocks use words
  // like `key` and `token` for ordinary settings (paging tokens, S3 keys).
  hasSecrets: ['webhook', 'distributed'],
  readOnly: ['asynchronous'],
  references(doc) {
    const refs = common(doc);
    if (str(doc._connectionId)) refs.push({ field: '_connectionId', kind: 'connections', id: doc._connectionId as string });
    return refs;
  },
  check(doc) {
    const type = String(doc.adaptorType);
    const errors: ErrorItem[] = [];
    if (!connectionlessExportTypes.includes(type) && !doc._connectionId) {
      errors.push({ code: 'missing_required_field', field: '_connectionId', message: `_connectionId is required for ${type}.` });
    }
    if (type === 'WebhookExport' && doc._connectionId) {
      errors.push({ code: 'invalid_field', field: '_connectionId', message: 'A webhook export must not have a connection.' });
    }
    const adaptor = adaptorForExport(type);
    return adaptor
      ? [...errors, ...checkBlock(adaptor.schemas.export, doc, adaptor.blockName, adaptorCheck(adaptor, 'export', doc)), ...checkBlock(adaptor.schemas.file, doc, 'file')]
      : errors;
  },
  promote: (doc) => ({ ...promoteCommon(doc), connection_id: str(doc._connectionId), adaptor_type: str(doc.adaptorType) }),
};

export const importsKind: ResourceKind = {
  kind: 'imports',
  path: 'imports',
  label: 'Import',
  schema: ImportSchema,
  apiIdentifierPrefix: 'i',
  references(doc) {
    const refs = common(doc);
    if (str(doc._connectionId)) refs.push({ field: '_connectionId', kind: 'connections', id: doc._connectionId as string });
    return refs;
  },
  check(doc) {
    const type = String(doc.adaptorType);
    const errors: ErrorItem[] = [];
    if (!connectionlessImportTypes.includes(type) && !doc._connectionId) {
      errors.push({ code: 'missing_required_field', field: '_connectionId', message: `_connectionId is required for ${type}.` });
    }
    const adaptor = adaptorForImport(type);
    const blockErrors = adaptor ? checkBlock(adaptor.schemas.import, doc, adaptor.blockName, adaptorCheck(adaptor, 'import', doc)) : [];
    const fileErrors = adaptor ? checkBlock(adaptor.schemas.file, doc, 'file') : [];
    return [...errors, ...blockErrors, ...fileErrors, ...checkImportMapping(doc)];
  },
  promote: (doc) => ({ ...promoteCommon(doc), connection_id: str(doc._connectionId), adaptor_type: str(doc.adaptorType) }),
};

/**
 * The import's mapping and lookups (`lookups[]`, and `rest`/`http`/`netsuite`/`netsuite_da.lookups` in older
 * imports) must compile: each problem names the rule at fault (`mapping.fields[2].generate`).
 */
function checkImportMapping(doc: DocBody): ErrorItem[] {
  const errors = validateMapping(doc.mapping as never, importLookupsOf(doc));
  // Mapper 2.0 rules would be stored and then silently not applied: say so instead.
  if (Array.isArray(doc.mappings) && doc.mappings.length > 0) {
    errors.push({ code: 'invalid_field', field: 'mappings', message: 'Mapper 2.0 rules (mappings) are not supported yet: write the rules in mapping.fields and mapping.lists.' });
  }
  return errors;
}

export const flowsKind: ResourceKind = {
  kind: 'flows',
  path: 'flows',
  label: 'Flow',
  schema: FlowSchema,
  readOnly: ['free', 'resolvedAt'],
  patchablePaths: [
    /^\/(name|description|schedule|timezone|disabled|runPageGeneratorsInParallel)$/,
    /^\/pageGenerators\/(\d+|-)\/(schedule|skipRetries)$/,
    /^\/routers\/\d+\/name$/,
    /^\/routers\/\d+\/branches\/\d+\/(name|description)$/,
    /^\/aliases(\/.*)?$/,
  ],
  references(doc) {
    const refs = common(doc);
    const gens = (doc.pageGenerators as DocBody[] | undefined) ?? [];
    gens.forEach((g, i) => refs.push({ field: `pageGenerators[${i}]._exportId`, kind: 'exports', id: String(g._exportId) }));
    const procs = (doc.pageProcessors as DocBody[] | undefined) ?? [];
    procs.forEach((p, i) => {
      if (p.type === 'import' && p._importId) refs.push({ field: `pageProcessors[${i}]._importId`, kind: 'imports', id: String(p._importId) });
      if (p.type === 'export' && p._exportId) refs.push({ field: `pageProcessors[${i}]._exportId`, kind: 'exports', id: String(p._exportId) });
    });
    const routers = (doc.routers as DocBody[] | undefined) ?? [];
    routers.forEach((r, ri) =>
      ((r.branches as DocBody[] | undefined) ?? []).forEach((b, bi) =>
        ((b.pageProcessors as DocBody[] | undefined) ?? []).forEach((p, i) => {
          const field = `routers[${ri}].branches[${bi}].pageProcessors[${i}]`;
          if (p.type === 'import' && p._importId) refs.push({ field: `${field}._importId`, kind: 'imports', id: String(p._importId) });
          if (p.type === 'export' && p._exportId) refs.push({ field: `${field}._exportId`, kind: 'exports', id: String(p._exportId) });
        }),
      ),
    );
    if (str(doc._exportId)) refs.push({ field: '_exportId', kind: 'exports', id: doc._exportId as string });
    if (str(doc._importId)) refs.push({ field: '_importId', kind: 'imports', id: doc._importId as string });
    ((doc._runNextFlowIds as unknown[] | undefined) ?? []).forEach((id, i) => refs.push({ field: `_runNextFlowIds[${i}]`, kind: 'flows', id: String(id) }));
    return refs;
  },
  check(doc) {
    const errors: ErrorItem[] = [];
    const procs = (doc.pageProcessors as DocBody[] | undefined) ?? [];
    // Errors, retries and step routes (`/flows/:id/:stepId/…`) name a step by its export or import id,
    // so one flow may use each only once.
    const seen = new Set(((doc.pageGenerators as DocBody[] | undefined) ?? []).map((g) => String(g._exportId)));
    procs.forEach((p, i) => {
      const key = p.type === 'import' ? '_importId' : '_exportId';
      if (!p[key]) errors.push({ code: 'missing_required_field', field: `pageProcessors[${i}].${key}`, message: `pageProcessors[${i}].${key} is required for a processor of type ${String(p.type)}.` });
      else if (seen.has(String(p[key]))) errors.push({ code: 'invalid_field', field: `pageProcessors[${i}].${key}`, message: `${String(p[key])} is already a step of this flow; a flow uses each export and import once.` });
      else seen.add(String(p[key]));
    });
    if (doc.routers !== undefined && doc.pageProcessors !== undefined) {
      errors.push({ code: 'invalid_field', field: 'pageProcessors', message: '"pageProcessors" is not allowed when "routers" is present' });
    }
    errors.push(...checkFlowSchedules(doc));
    return errors;
  },
  promote: (doc) => ({ ...promoteCommon(doc), connection_id: undefined }),
};

export const integrationsKind: ResourceKind = {
  kind: 'integrations',
  path: 'integrations',
  label: 'Integration',
  schema: IntegrationSchema,
  // An integration belongs to no other integration; it may come from a connector (installed app).
  references: (doc) => common({ ...doc, _integrationId: undefined }),
  promote: (doc) => ({ connector_id: str(doc._connectorId) }),
};

export const connectorsKind: ResourceKind = {
  kind: 'connectors',
  path: 'connectors',
  label: 'Connector',
  schema: ConnectorSchema,
  references: common,
  promote: (doc) => ({ integration_id: str(doc._integrationId) }),
};

export const licensesKind: ResourceKind = {
  kind: 'licenses',
  path: 'licenses',
  label: 'License',
  schema: LicenseSchema,
  readOnly: ['user', 'created'],
  references: common,
  beforeSave: licenseBeforeSave,
  promote: promoteCommon,
};

export const iClientsKind: ResourceKind = {
  kind: 'iclients',
  path: 'iClients',
  label: 'iClient',
  schema: IClientSchema,
  hasSecrets: true,
  references: common,
  promote: promoteCommon,
};

export const templatesKind: ResourceKind = {
  kind: 'templates',
  path: 'templates',
  aliases: ['template'],
  label: 'Template',
  schema: TemplateSchema,
  references: common,
  promote: promoteCommon,
};

export const scriptsKind: ResourceKind = {
  kind: 'scripts',
  path: 'scripts',
  label: 'Script',
  schema: ScriptSchema,
  references: common,
  check(doc) {
    if (typeof doc.debugUntil === 'string' && Date.parse(doc.debugUntil) > Date.now() + 3600_000 + 60_000) {
      return [{ code: 'invalid_field', field: 'debugUntil', message: 'debugUntil may be at most one hour ahead.' }];
    }
    return [];
  },
  promote: promoteCommon,
};

export const stacksKind: ResourceKind = {
  kind: 'stacks',
  path: 'stacks',
  label: 'Stack',
  schema: StackSchema,
  hasSecrets: true,
  references: common,
  check(doc) {
    const block = doc.type === 'lambda' ? 'lambda' : 'server';
    return doc[block] === undefined ? [{ code: 'missing_required_field', field: block, message: `${block} is required for a stack of type ${String(doc.type)}.` }] : [];
  },
  beforeSave: stackBeforeSave,
  promote: promoteCommon,
};

export const resourceKinds: readonly ResourceKind[] = [
  connectionsKind, exportsKind, importsKind, flowsKind, integrationsKind, connectorsKind, licensesKind, iClientsKind, templatesKind, scriptsKind, stacksKind,
];
