import type { TSchema } from 'typebox';
import type { ErrorItem } from '../errors.js';
import { adaptorForConnection, adaptorForExport, adaptorForImport } from '../adaptors/registry.js';
import { validateMapping } from '../mapping/index.js';
import { validateAgainst } from './validation.js';
import { ConnectionSchema } from './schemas/connection.js';
import { connectionlessExportTypes, ExportSchema } from './schemas/export.js';
import { ImportSchema } from './schemas/import.js';
import { FlowSchema } from './schemas/flow.js';
import { IntegrationSchema } from './schemas/integration.js';

type DocBody = Record<string, unknown>;

/** A reference from one resource to another, checked on every write. */
export interface Reference {
  field: string;
  kind: string;
  id: string;
}

/** What differs between resource families; the CRUD service does the rest. */
export interface ResourceKind {
  /** Collection name, as in `/v1/<kind>`. */
  kind: string;
  /** Singular, for messages ("Export 5f… not found"). */
  label: string;
  schema: TSchema;
  /** Connections (and a few others) hold secrets: encrypted at rest, masked in answers. */
  hasSecrets?: boolean;
  /** Prefix of `apiIdentifier` for exports (`e`) and imports (`i`). */
  apiIdentifierPrefix?: string;
  references(doc: DocBody): Reference[];
  /** Checks beyond the schema (adaptor blocks, shapes that JSON Schema says badly). */
  check?(doc: DocBody): ErrorItem[];
  /** Values of promoted columns. */
  promote(doc: DocBody): { connection_id?: string; integration_id?: string; connector_id?: string; adaptor_type?: string };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function common(doc: DocBody): Reference[] {
  const refs: Reference[] = [];
  if (str(doc._integrationId)) refs.push({ field: '_integrationId', kind: 'integrations', id: doc._integrationId as string });
  return refs;
}

function promoteCommon(doc: DocBody) {
  return { integration_id: str(doc._integrationId), connector_id: str(doc._connectorId) };
}

function checkBlock(schema: TSchema | undefined, doc: DocBody, block: string): ErrorItem[] {
  if (!schema || doc[block] === undefined) return [];
  return validateAgainst(schema, doc[block], block);
}

export const connectionsKind: ResourceKind = {
  kind: 'connections',
  label: 'Connection',
  schema: ConnectionSchema,
  hasSecrets: true,
  references: common,
  check(doc) {
    const adaptor = adaptorForConnection(String(doc.type));
    return adaptor ? checkBlock(adaptor.schemas.connection, doc, adaptor.blockName) : [];
  },
  promote: promoteCommon,
};

export const exportsKind: ResourceKind = {
  kind: 'exports',
  label: 'Export',
  schema: ExportSchema,
  apiIdentifierPrefix: 'e',
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
    return adaptor ? [...errors, ...checkBlock(adaptor.schemas.export, doc, adaptor.blockName)] : errors;
  },
  promote: (doc) => ({ ...promoteCommon(doc), connection_id: str(doc._connectionId), adaptor_type: str(doc.adaptorType) }),
};

export const importsKind: ResourceKind = {
  kind: 'imports',
  label: 'Import',
  schema: ImportSchema,
  apiIdentifierPrefix: 'i',
  references(doc) {
    const refs = common(doc);
    if (str(doc._connectionId)) refs.push({ field: '_connectionId', kind: 'connections', id: doc._connectionId as string });
    return refs;
  },
  check(doc) {
    const adaptor = adaptorForImport(String(doc.adaptorType));
    const blockErrors = adaptor ? checkBlock(adaptor.schemas.import, doc, adaptor.blockName) : [];
    return [...blockErrors, ...checkImportMapping(doc)];
  },
  promote: (doc) => ({ ...promoteCommon(doc), connection_id: str(doc._connectionId), adaptor_type: str(doc.adaptorType) }),
};

/** The import's mapping and lookups must compile: each problem names the rule at fault (`mapping.fields[2].generate`). */
function checkImportMapping(doc: DocBody): ErrorItem[] {
  return validateMapping(doc.mapping as never, doc.lookups as never);
}

export const flowsKind: ResourceKind = {
  kind: 'flows',
  label: 'Flow',
  schema: FlowSchema,
  references(doc) {
    const refs = common(doc);
    const gens = (doc.pageGenerators as DocBody[] | undefined) ?? [];
    gens.forEach((g, i) => refs.push({ field: `pageGenerators[${i}]._exportId`, kind: 'exports', id: String(g._exportId) }));
    const procs = (doc.pageProcessors as DocBody[] | undefined) ?? [];
    procs.forEach((p, i) => {
      if (p.type === 'import' && p._importId) refs.push({ field: `pageProcessors[${i}]._importId`, kind: 'imports', id: String(p._importId) });
      if (p.type === 'export' && p._exportId) refs.push({ field: `pageProcessors[${i}]._exportId`, kind: 'exports', id: String(p._exportId) });
    });
    if (str(doc._exportId)) refs.push({ field: '_exportId', kind: 'exports', id: doc._exportId as string });
    if (str(doc._importId)) refs.push({ field: '_importId', kind: 'imports', id: doc._importId as string });
    return refs;
  },
  check(doc) {
    const errors: ErrorItem[] = [];
    const procs = (doc.pageProcessors as DocBody[] | undefined) ?? [];
    procs.forEach((p, i) => {
      const key = p.type === 'import' ? '_importId' : '_exportId';
      if (!p[key]) errors.push({ code: 'missing_required_field', field: `pageProcessors[${i}].${key}`, message: `pageProcessors[${i}].${key} is required for a processor of type ${String(p.type)}.` });
    });
    if (doc.routers !== undefined && doc.pageProcessors !== undefined) {
      errors.push({ code: 'invalid_field', field: 'pageProcessors', message: '"pageProcessors" is not allowed when "routers" is present' });
    }
    return errors;
  },
  promote: (doc) => ({ ...promoteCommon(doc), connection_id: undefined }),
};

export const integrationsKind: ResourceKind = {
  kind: 'integrations',
  label: 'Integration',
  schema: IntegrationSchema,
  references: () => [],
  promote: (doc) => ({ connector_id: str(doc._connectorId) }),
};

export const resourceKinds: readonly ResourceKind[] = [connectionsKind, exportsKind, importsKind, flowsKind, integrationsKind];
