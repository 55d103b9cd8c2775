import { randomBytes } from 'node:crypto';
import { ApiError, notFound, type ErrorItem } from '../errors.js';
import { newId } from '../ids.js';
import { insertAudit } from '../store/audit.js';
import type { Store } from '../store/database.js';
import { deleteParts } from '../store/resource-parts.js';
import {
  deleteResource,
  existingResources,
  findResource,
  insertResource,
  listResourceDocs,
  listResources,
  referencesTo,
  updateResource,
  type ResourceDocRow,
  type ResourceListQuery,
  type ResourceRow,
} from '../store/resources.js';
import type { Database } from '../store/tables.js';
import type { Kysely, Transaction } from 'kysely';
import { applyJsonPatch } from './json-patch.js';
import type { ResourceKind } from './resource-kinds.js';
import { readOnlyFields } from './schemas/common.js';
import { maskSecrets, openSecrets, sealSecrets, type SecretBox } from './secrets.js';
import { validateAgainst } from './validation.js';

export type ApiDoc = Record<string, unknown> & { _id: string };

type Db = Kysely<Database> | Transaction<Database>;

/** Who is acting: every query is scoped by `accountId`; user and token go into the audit trail. */
export interface Actor {
  accountId: string;
  userId?: string;
  tokenId?: string;
  /** `api` (default), `engine`, `demo`, … */
  source?: string;
}

const actorOf = (a: string | Actor): Actor => (typeof a === 'string' ? { accountId: a, source: 'system' } : a);

/** Options for writes that are part of a larger transaction (clones). */
export interface WriteOptions {
  db?: Db;
}

/** CRUD for one resource family, scoped by account: validation, references, secrets, timestamps, audit. */
export class ResourceService {
  readonly kind: ResourceKind;
  readonly #store: Store;
  readonly #box: SecretBox;

  constructor(kind: ResourceKind, store: Store, box: SecretBox) {
    this.kind = kind;
    this.#store = store;
    this.#box = box;
  }

  get store(): Store {
    return this.#store;
  }

  async list(accountId: string, query: ResourceListQuery): Promise<ApiDoc[]> {
    const rows = await this.listRows(accountId, query);
    return rows.map((r) => this.toApi(r));
  }

  /** Stored rows of a list, for answers that serialise them directly. */
  async listRows(accountId: string, query: ResourceListQuery): Promise<ResourceRow[]> {
    return listResources(this.#store.db, accountId, this.kind.kind, { dialect: this.#store.dialect, ...query });
  }

  /** Just the columns an answer needs (`_id`, `doc`, timestamps), for kinds without secrets. */
  async listDocRows(accountId: string, query: ResourceListQuery): Promise<ResourceDocRow[]> {
    return listResourceDocs(this.#store.db, accountId, this.kind.kind, { dialect: this.#store.dialect, ...query });
  }

  async get(accountId: string, id: string): Promise<ApiDoc> {
    return this.toApi(await this.row(accountId, id));
  }

  /** The stored document with secrets decrypted: for the engine and adaptors only, never for answers. */
  async getInternal(accountId: string, id: string): Promise<ApiDoc> {
    const row = await this.row(accountId, id);
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const open = this.kind.hasSecrets ? (openSecrets(this.#box, doc, this.kind.hasSecrets) as Record<string, unknown>) : doc;
    return { ...open, _id: row._id };
  }

  async create(actor: string | Actor, body: unknown, options: WriteOptions = {}): Promise<ApiDoc> {
    const who = actorOf(actor);
    const db = options.db ?? this.#store.db;
    const doc = await this.#validated(db, who.accountId, body);
    const now = Date.now();
    const id = newId();
    if (this.kind.apiIdentifierPrefix) doc.apiIdentifier = this.kind.apiIdentifierPrefix + randomBytes(4).toString('hex');
    const sealed = this.kind.hasSecrets ? (sealSecrets(this.#box, doc, undefined, this.kind.hasSecrets) as Record<string, unknown>) : doc;
    const row: ResourceRow = {
      _id: id,
      account_id: who.accountId,
      kind: this.kind.kind,
      name: typeof doc.name === 'string' ? doc.name : null,
      doc: JSON.stringify(sealed),
      created_at: now,
      last_modified: now,
      ...this.#promoted(doc),
    };
    const shown = this.toApi(row);
    await this.#inTransaction(db, async (trx) => {
      await insertResource(trx, row, this.kind.references(doc).map((r) => r.id));
      await this.#audit(trx, who, 'create', id, undefined, shown, now);
    });
    return shown;
  }

  /** PUT: the body replaces the whole document; read-only fields are kept from the stored one. */
  async replace(actor: string | Actor, id: string, body: unknown): Promise<ApiDoc> {
    const who = actorOf(actor);
    const existing = await this.row(who.accountId, id);
    const stored = JSON.parse(existing.doc) as Record<string, unknown>;
    const doc = await this.#validated(this.#store.db, who.accountId, body, stored);
    if (stored.apiIdentifier) doc.apiIdentifier = stored.apiIdentifier;
    const sealed = this.kind.hasSecrets ? (sealSecrets(this.#box, doc, stored, this.kind.hasSecrets) as Record<string, unknown>) : doc;
    const now = Math.max(Date.now(), existing.last_modified + 1);
    const row: ResourceRow = {
      ...existing,
      name: typeof doc.name === 'string' ? doc.name : null,
      doc: JSON.stringify(sealed),
      last_modified: now,
      ...this.#promoted(doc),
    };
    const shown = this.toApi(row);
    await this.#store.db.transaction().execute(async (trx) => {
      await updateResource(trx, row, this.kind.references(doc).map((r) => r.id));
      await this.#audit(trx, who, 'update', id, this.toApi(existing), shown, now);
    });
    return shown;
  }

  /** PATCH: a JSON Patch applied to the document as the API shows it, then saved as a PUT. */
  async patch(actor: string | Actor, id: string, ops: unknown): Promise<ApiDoc> {
    const who = actorOf(actor);
    const current = await this.get(who.accountId, id);
    return this.replace(who, id, this.applyPatch(current, ops));
  }

  /** Applies a JSON Patch to a document as the API shows it; paths outside `patchablePaths` are 422. */
  applyPatch(current: ApiDoc, ops: unknown): ApiDoc {
    const allowed = this.kind.patchablePaths;
    if (allowed && Array.isArray(ops)) {
      const errors: ErrorItem[] = [];
      ops.forEach((op, i) => {
        const paths = [op?.path, op?.op === 'move' ? op?.from : undefined].filter((p) => p !== undefined);
        for (const path of paths) {
          if (typeof path === 'string' && !allowed.some((r) => r.test(path))) {
            errors.push({ code: 'invalid_field', field: `[${i}].path`, message: `${this.kind.label} path ${path} cannot be patched; use PUT to change it.` });
          }
        }
      });
      if (errors.length) throw new ApiError(errors, 422);
    }
    return applyJsonPatch(current, ops);
  }

  async remove(actor: string | Actor, id: string): Promise<void> {
    const who = actorOf(actor);
    const existing = await this.row(who.accountId, id);
    await this.#store.db.transaction().execute(async (trx) => {
      const users = await referencesTo(trx, who.accountId, id);
      if (users.length > 0) {
        const list = users.map((u) => `${u.kind} ${u._id}${u.name ? ` (${u.name})` : ''}`).join(', ');
        throw new ApiError('still_referenced', `${this.kind.label} ${id} is still used by ${list}.`);
      }
      await deleteResource(trx, who.accountId, this.kind.kind, id);
      await deleteParts(trx, who.accountId, id);
      await this.#audit(trx, who, 'delete', id, this.toApi(existing), undefined, Date.now());
    });
  }

  /** The stored row; 404 when the id is unknown in this account (another account's id included). */
  async row(accountId: string, id: string): Promise<ResourceRow> {
    const row = await findResource(this.#store.db, accountId, this.kind.kind, id);
    if (!row) throw notFound(this.kind.label, id);
    return row;
  }

  /** A stored row as the API shows it: secrets masked, timestamps ISO. */
  toApi(row: ResourceRow): ApiDoc {
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    const shown = this.kind.hasSecrets ? (maskSecrets(doc, this.kind.hasSecrets) as Record<string, unknown>) : doc;
    return {
      _id: row._id,
      ...shown,
      createdAt: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.last_modified).toISOString(),
    };
  }

  async #inTransaction(db: Db, fn: (trx: Db) => Promise<void>) {
    if (db.isTransaction) return fn(db);
    return (db as Kysely<Database>).transaction().execute(fn);
  }

  async #audit(db: Db, who: Actor, action: string, id: string, before: ApiDoc | undefined, after: ApiDoc | undefined, now: number) {
    await insertAudit(db, {
      _id: newId(),
      account_id: who.accountId,
      user_id: who.userId ?? null,
      token_id: who.tokenId ?? null,
      source: who.source ?? 'api',
      action,
      resource_type: this.kind.kind,
      resource_id: id,
      // Answers are already masked: the trail never holds a secret.
      before_doc: before ? JSON.stringify(before) : null,
      after_doc: after ? JSON.stringify(after) : null,
      created_at: now,
    });
  }

  /** Validates a document as create would (422 naming each field at fault) without storing it: for unsaved-resource actions. */
  async validateUnsaved(accountId: string, body: unknown): Promise<Record<string, unknown>> {
    return this.#validated(this.#store.db, accountId, body);
  }

  async #validated(db: Db, accountId: string, body: unknown, stored?: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError('invalid_field', `The body must be a JSON object describing the ${this.kind.label.toLowerCase()}.`, '(body)');
    }
    const doc: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    for (const field of readOnlyFields) delete doc[field];
    for (const field of this.kind.readOnly ?? []) delete doc[field];
    const errors: ErrorItem[] = validateAgainst(this.kind.schema, doc);
    if (errors.length === 0) errors.push(...(this.kind.check?.(doc) ?? []));
    if (errors.length === 0) errors.push(...(await this.#checkReferences(db, accountId, doc)));
    if (errors.length === 0 && this.kind.beforeSave) errors.push(...(await this.kind.beforeSave({ store: this.#store, accountId, doc, ...(stored ? { stored } : {}) })));
    if (errors.length > 0) throw new ApiError(errors, 422);
    return doc;
  }

  async #checkReferences(db: Db, accountId: string, doc: Record<string, unknown>): Promise<ErrorItem[]> {
    const refs = this.kind.references(doc);
    const found = await existingResources(db, accountId, refs.map((r) => r.id));
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
}
