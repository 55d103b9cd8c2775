import { ApiError, type ErrorItem } from '../errors.js';
import type { Actor, ApiDoc } from './resource-service.js';
import type { Services } from './services.js';

export interface FlowCloneRequest {
  connectionMap: Record<string, string>;
  name?: string;
  _integrationId?: string;
  _flowGroupingId?: string;
  sandbox?: boolean;
}

export interface CloneManifestEntry {
  model: 'Flow' | 'Export' | 'Import';
  _id: string;
  name?: string;
}

const READ_ONLY = ['_id', 'createdAt', 'lastModified', 'apiIdentifier', 'lastExecutedAt', '_userId', 'free', 'resolvedAt'];

function strip(doc: ApiDoc): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(doc);
  for (const k of READ_ONLY) delete out[k];
  return out;
}

/** Every export and import a flow uses, in the order they appear. */
function stepsOf(flow: Record<string, unknown>) {
  const exportIds = new Set<string>();
  const importIds = new Set<string>();
  const procs = (list: unknown) => {
    for (const p of (list as Record<string, unknown>[] | undefined) ?? []) {
      if (p.type === 'import' && typeof p._importId === 'string') importIds.add(p._importId);
      if (p.type === 'export' && typeof p._exportId === 'string') exportIds.add(p._exportId);
    }
  };
  for (const g of (flow.pageGenerators as Record<string, unknown>[] | undefined) ?? []) if (typeof g._exportId === 'string') exportIds.add(g._exportId);
  procs(flow.pageProcessors);
  for (const r of (flow.routers as Record<string, unknown>[] | undefined) ?? []) for (const b of (r.branches as Record<string, unknown>[] | undefined) ?? []) procs(b.pageProcessors);
  if (typeof flow._exportId === 'string') exportIds.add(flow._exportId);
  if (typeof flow._importId === 'string') importIds.add(flow._importId);
  return { exportIds: [...exportIds], importIds: [...importIds] };
}

/** Replaces step ids throughout a flow document (generators, processors, routers, legacy pair). */
function remap(value: unknown, ids: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => remap(v, ids));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, (k === '_exportId' || k === '_importId') && typeof v === 'string' ? (ids.get(v) ?? v) : remap(v, ids)]),
  );
}

/**
 * `POST /v1/flows/{_id}/clone`: copies the flow and every export and import it uses, in one transaction,
 * with each connection replaced through `connectionMap` (which must cover every connection used).
 * Returns the manifest of what was created, the flow first.
 */
export async function cloneFlow(services: Services, actor: Actor, flowId: string, body: FlowCloneRequest): Promise<CloneManifestEntry[]> {
  const flow = await services.flows.get(actor.accountId, flowId);
  const { exportIds, importIds } = stepsOf(flow);
  const exports = await Promise.all(exportIds.map((id) => services.exports.get(actor.accountId, id)));
  const imports = await Promise.all(importIds.map((id) => services.imports.get(actor.accountId, id)));
  const used = new Set([...exports, ...imports].map((d) => d._connectionId).filter((c): c is string => typeof c === 'string'));
  const missing: ErrorItem[] = [...used]
    .filter((c) => typeof body.connectionMap[c] !== 'string')
    .map((c) => ({ code: 'missing_required_field', field: `connectionMap.${c}`, message: `connectionMap must map connection ${c}, used by this flow.` }));
  if (missing.length) throw new ApiError(missing, 422);

  const integration = (doc: Record<string, unknown>) => {
    if (body._integrationId !== undefined) doc._integrationId = body._integrationId;
    if (body.sandbox !== undefined) doc.sandbox = body.sandbox;
    return doc;
  };
  const manifest: CloneManifestEntry[] = [];
  await services.store.db.transaction().execute(async (trx) => {
    const ids = new Map<string, string>();
    for (const [model, docs, service] of [['Export', exports, services.exports], ['Import', imports, services.imports]] as const) {
      for (const doc of docs) {
        const copy = integration(strip(doc));
        if (typeof copy._connectionId === 'string') copy._connectionId = body.connectionMap[copy._connectionId];
        const created = await service.create(actor, copy, { db: trx });
        ids.set(doc._id, created._id);
        manifest.push({ model, _id: created._id, ...(typeof created.name === 'string' ? { name: created.name } : {}) });
      }
    }
    const copy = integration(remap(strip(flow), ids) as Record<string, unknown>);
    copy.name = body.name ?? `Clone - ${String(flow.name)}`;
    if (body._flowGroupingId !== undefined) copy._flowGroupingId = body._flowGroupingId;
    else if (body._integrationId !== undefined && body._integrationId !== flow._integrationId) delete copy._flowGroupingId;
    const created = await services.flows.create(actor, copy, { db: trx });
    manifest.unshift({ model: 'Flow', _id: created._id, name: String(created.name) });
  });
  return manifest;
}
