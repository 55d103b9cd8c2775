import { randomBytes } from 'node:crypto';
import { ApiError, notFound, type ErrorItem } from '../errors.js';
import { newId } from '../ids.js';
import type { Store } from '../store/database.js';
import {
  deleteResource,
  existingResources,
  findResource,
  insertResource,
  listResources,
  referencesTo,
  updateResource,
  type ResourceListQuery,
  type ResourceRow,
} from '../store/resources.js';
import { applyJsonPatch } from './json-patch.js';
import type { ResourceKind } from './resource-kinds.js';
import { readOnlyFields } from './schemas/common.js';
import { maskSecrets, openSecrets, sealSecrets, type SecretBox } from './secrets.js';
import { validateAgainst } from './validation.js';

export type ApiDoc = Record<string, unknown> & { _id: string };

/** CRUD for one resource family, scoped by account: validation, references, secrets, timestamps. */
export class ResourceService {
  readonly kind: ResourceKind;
  readonly #store: Store;
  readonly #box: SecretBox;

  constructor(kind: ResourceKind, store: Store, box: SecretBox) {
    this.kind = kind;
    this.#store = store;
    this.#box = box;
  }

  async list(accountId: string, query: ResourceListQuery): Promise<ApiDoc[]> {
    const rows = await listResources(this.#store.db, accountId, this.kind.kind, query);
    return rows.map((r) => this.#toApi(r));
  }

  async get(accountId: string, id: string): Promise<ApiDoc> {
    return this.#toApi(await this.#row(accountId, id));
  }

  /** The stored document with secrets decrypted: for the engine and adaptors only, never for answers. */
  async getInternal(accountId: string, id: string): Promise<ApiDoc> {
    const row = await this.#row(accountId, id);
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const open = this.kind.hasSecrets ? (openSecrets(this.#box, doc) as Record<string, unknown>) : doc;
    return { ...open, _id: row._id };
  }

  async create(accountId: string, body: unknown): Promise<ApiDoc> {
    const doc = await this.#validated(accountId, body);
    const now = Date.now();
    const id = newId();
    if (this.kind.apiIdentifierPrefix) doc.apiIdentifier = this.kind.apiIdentifierPrefix + randomBytes(4).toString('hex');
    const sealed = this.kind.hasSecrets ? (sealSecrets(this.#box, doc) as Record<string, unknown>) : doc;
    const row: ResourceRow = {
      _id: id,
      account_id: accountId,
      kind: this.kind.kind,
      name: typeof doc.name === 'string' ? doc.name : null,
      doc: JSON.stringify(sealed),
      created_at: now,
      last_modified: now,
      ...this.#promoted(doc),
    };
    await this.#store.db.transaction().execute((trx) => insertResource(trx, row, this.kind.references(doc).map((r) => r.id)));
    return this.#toApi(row);
  }

  /** PUT: the body replaces the whole document; read-only fields are kept from the stored one. */
  async replace(accountId: string, id: string, body: unknown): Promise<ApiDoc> {
    const existing = await this.#row(accountId, id);
    const stored = JSON.parse(existing.doc) as Record<string, unknown>;
    const doc = await this.#validated(accountId, body);
    if (stored.apiIdentifier) doc.apiIdentifier = stored.apiIdentifier;
    const sealed = this.kind.hasSecrets ? (sealSecrets(this.#box, doc, stored) as Record<string, unknown>) : doc;
    const row: ResourceRow = {
      ...existing,
      name: typeof doc.name === 'string' ? doc.name : null,
      doc: JSON.stringify(sealed),
      last_modified: Math.max(Date.now(), existing.last_modified + 1),
      ...this.#promoted(doc),
    };
    await this.#store.db.transaction().execute((trx) => updateResource(trx, row, this.kind.references(doc).map((r) => r.id)));
    return this.#toApi(row);
  }

  /** PATCH: a JSON Patch applied to the document as the API shows it, then saved as a PUT. */
  async patch(accountId: string, id: string, ops: unknown): Promise<ApiDoc> {
    const current = await this.get(accountId, id);
    return this.replace(accountId, id, applyJsonPatch(current, ops));
  }

  async remove(accountId: string, id: string): Promise<void> {
    await this.#row(accountId, id);
    await this.#store.db.transaction().execute(async (trx) => {
      const users = await referencesTo(trx, accountId, id);
      if (users.length > 0) {
        const list = users.map((u) => `${u.kind} ${u._id}${u.name ? ` (${u.name})` : ''}`).join(', ');
        throw new ApiError('still_referenced', `${this.kind.label} ${id} is still used by ${list}.`);
      }
      await deleteResource(trx, accountId, this.kind.kind, id);
    });
  }

  async #row(accountId: string, id: string): Promise<ResourceRow> {
    const row = await findResource(this.#store.db, accountId, this.kind.kind, id);
    if (!row) throw notFound(this.kind.label, id);
    return row;
  }

  async #validated(accountId: string, body: unknown): Promise<Record<string, unknown>> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError('invalid_field', `The body must be a JSON object describing the ${this.kind.label.toLowerCase()}.`, '(body)');
    }
    const doc: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    for (const field of readOnlyFields) delete doc[field];
    const errors: ErrorItem[] = validateAgainst(this.kind.schema, doc);
    if (errors.length === 0) errors.push(...(this.kind.check?.(doc) ?? []));
    if (errors.length === 0) errors.push(...(await this.#checkReferences(accountId, doc)));
    if (errors.length > 0) throw new ApiError(errors, 422);
    return doc;
  }

  async #checkReferences(accountId: string, doc: Record<string, unknown>): Promise<ErrorItem[]> {
    const refs = this.kind.references(doc);
    const found = await existingResources(this.#store.db, accountId, refs.map((r) => r.id));
    const kinds = new Map(found.map((f) => [f._id, f.kind]));
    return refs
      .filter((r) => kinds.get(r.id) !== r.kind)
      .map((r) => ({ code: 'invalid_field', field: r.field, message: `${r.field} refers to ${r.kind.replace(/s$/, '')} ${r.id}, which does not exist.` }));
  }

  #promoted(doc: Record<string, unknown>) {
    const p = this.kind.promote(doc);
    return {
      integration_id: p.integration_id ?? null,
      connection_id: p.connection_id ?? null,
      connector_id: p.connector_id ?? null,
      adaptor_type: p.adaptor_type ?? null,
    };
  }

  #toApi(row: ResourceRow): ApiDoc {
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const shown = this.kind.hasSecrets ? (maskSecrets(doc) as Record<string, unknown>) : doc;
    return {
      _id: row._id,
      ...shown,
      createdAt: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.last_modified).toISOString(),
    };
  }
}
