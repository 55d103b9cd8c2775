import type { DataRecord, ImportRequest, RecordOutcome, RunContext } from '../adaptor.js';
import { HttpRequestError, type HttpResponse } from '../common/http-client.js';
import { getPath, renderTemplate, templateContext } from '../common/templates.js';
import type { HttpSession } from './connection.js';
import { contentTypeFor, renderBody } from './export.js';
import type { HttpImportConfig } from './index.js';
import { httpImportBlock } from './legacy-rest.js';
import { findMatches } from './lookup.js';
import { bodyText, errorMessageOf, parseBody, ruleFailure, type SuccessRulesConfig } from './response.js';

/**
 * Runs an HTTPImport page: picks an operation per record (`method[]`/`relativeURI[]`/`body[]` aligned;
 * with two entries and `existingExtract` or `ignoreLookupName`, the first when the record exists, else the
 * second), skips per `ignoreExisting`/`ignoreMissing`, sends batches of `batchSize`, and returns exactly one
 * outcome per record, in order:
 *
 * - 2xx → `{statusCode: 200, id, _json}` (id at `response.resourceIdPath`, default `id`); when a batch
 *   answers with an array of per-item results of the batch's length, each record gets its own item;
 * - 401/403 → that status (the connection is refused); other 4xx → 422; 5xx after retries → the status;
 *   errors carry the remote text (≤ 1000 chars), `source: "application"`;
 * - a request that got no answer → 503 with `source: "connection"`; when no request of the page got an
 *   answer at all, the page throws instead.
 *
 * In test mode nothing is sent: every record comes back `ignored` with the request it would have made.
 */
export async function importHttpRecords(session: HttpSession, req: ImportRequest, ctx: RunContext): Promise<RecordOutcome[]> {
  const imp = req.import;
  const http = httpImportBlock(imp);
  const methods = list(http.method).map((m) => m.toUpperCase());
  const uris = list(http.relativeURI);
  const bodies = http.body === undefined ? [] : Array.isArray(http.body) ? http.body : [http.body];
  if (methods.length === 0) throw new Error(`import ${imp._id}: http.method is required`);
  const composite = String(http.compositeType ?? '').toLowerCase();
  const ignoreExisting = Boolean(imp.ignoreExisting ?? http.ignoreExisting) || composite === 'createandignore';
  const ignoreMissing = Boolean(imp.ignoreMissing ?? http.ignoreMissing) || composite === 'updateandignore';
  const batchSize = Math.max(1, Number(http.batchSize) || 1);
  const records = req.records;
  const outcomes: (RecordOutcome | undefined)[] = new Array(records.length);

  const existence = await existenceOf(session, req, http, ctx);
  const groups = new Map<number, number[]>();
  records.forEach((record, i) => {
    const exists = existence[i];
    if (exists === true && ignoreExisting) return void (outcomes[i] = { statusCode: 200, ignored: true });
    if (exists === false && ignoreMissing) return void (outcomes[i] = { statusCode: 200, ignored: true });
    const op = methods.length > 1 && exists === false ? 1 : 0;
    const g = groups.get(op) ?? [];
    g.push(i);
    groups.set(op, g);
  });

  const batches: { op: number; indexes: number[] }[] = [];
  for (const [op, indexes] of groups) {
    for (let i = 0; i < indexes.length; i += batchSize) batches.push({ op, indexes: indexes.slice(i, i + batchSize) });
  }

  let answered = 0;
  let lastNetworkError: Error | undefined;
  const runBatch = async ({ op, indexes }: { op: number; indexes: number[] }) => {
    const batch = indexes.map((i) => records[i]!);
    // Test mode shows the would-be request to an API client: rendered with the connection's secrets
    // masked, never with their values; only a request really sent sees them.
    const data = templateContext(ctx, {
      ...(ctx.testMode ? session.maskedTemplateBase() : session.templateBase()),
      import: imp,
      record: batch[0],
      batch_of_records: batch.map((record) => ({ record })),
      ...(existence.ids[indexes[0]!] !== undefined ? { existingId: existence.ids[indexes[0]!] } : {}),
    });
    const method = methods[op] ?? methods[0]!;
    const uri = renderTemplate(uris[op] ?? uris[0] ?? '', data);
    const template = bodies[op] ?? (bodies.length === 1 ? bodies[0] : undefined);
    const body =
      template !== undefined && template !== null && template !== ''
        ? renderBody(template, data, http.requestMediaType)
        : method === 'GET' || method === 'DELETE'
          ? undefined
          : JSON.stringify(batchSize > 1 ? batch : batch[0]);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = contentTypeFor(http.requestMediaType);
    for (const h of http.headers ?? []) headers[h.name.toLowerCase()] = renderTemplate(String(h.value ?? ''), data);
    if (ctx.testMode) {
      const shown = session.previewRequest(uri, headers);
      for (const i of indexes) outcomes[i] = { statusCode: 200, ignored: true, _json: { testMode: true, method, url: shown.url, headers: shown.headers, body } };
      answered++;
      return;
    }
    let res: HttpResponse;
    try {
      res = await session.send({ method, uri, headers, body, signal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted || (err instanceof HttpRequestError && err.kind === 'aborted')) throw err;
      lastNetworkError = err as Error;
      const message = `importing to ${method} ${session.redact(session.resolve(uri))}: ${(err as Error).message}`;
      const code = err instanceof HttpRequestError ? err.kind : 'network';
      for (const i of indexes) outcomes[i] = { statusCode: 503, errors: [{ code, message, source: 'connection' }] };
      return;
    }
    answered++;
    const results = outcomesOf(res, batch.length, http.response, http.successMediaType ?? session.config.mediaType);
    indexes.forEach((i, k) => (outcomes[i] = results[k]));
  };

  await runPool(batches, Math.min(batches.length, session.config.concurrencyLevel ?? 4), runBatch);
  if (batches.length > 0 && answered === 0 && lastNetworkError) {
    throw new Error(`importing a page of ${records.length} records: ${lastNetworkError.message}`, { cause: lastNetworkError });
  }
  return outcomes.map((o) => o ?? { statusCode: 422, errors: [{ code: 'internal', message: 'no outcome for this record', source: 'integrator' }] });
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/**
 * Whether each record already exists in the target: by `existingExtract`/`ignoreExtract` (a field of the
 * record), or by the lookup named in `ignoreLookupName`. `undefined` = unknown.
 */
async function existenceOf(
  session: HttpSession,
  req: ImportRequest,
  http: HttpImportConfig & Record<string, unknown>,
  ctx: RunContext,
): Promise<(boolean | undefined)[] & { ids: unknown[] }> {
  const out = Object.assign(new Array<boolean | undefined>(req.records.length), { ids: new Array<unknown>(req.records.length) });
  const extract = http.existingExtract ?? (http.ignoreExtract as string | undefined);
  if (extract) {
    req.records.forEach((r, i) => {
      const v = getPath(r, extract);
      out[i] = present(v);
      if (present(v)) out.ids[i] = v;
    });
    return out;
  }
  const lookupName = http.ignoreLookupName;
  if (lookupName) {
    const lookup = findLookup(req.import, lookupName);
    if (!lookup) throw new Error(`import ${req.import._id}: lookup "${lookupName}" (http.ignoreLookupName) is not defined`);
    const found = await findMatches(session, req.import, lookup, req.records, ctx);
    found.forEach((m, i) => {
      out[i] = m.length > 0;
      if (m.length > 0) out.ids[i] = m[0];
    });
  }
  return out;
}

/** A named lookup from `lookups[]`, `http.lookups[]`, `rest.lookups[]` or `mapping.lookups{}`. */
export function findLookup(imp: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const lists = [imp.lookups, (imp.http as any)?.lookups, (imp.rest as any)?.lookups];
  for (const l of lists) {
    if (Array.isArray(l)) {
      const hit = l.find((x) => x && (x as { name?: string }).name === name);
      if (hit) return hit as Record<string, unknown>;
    }
  }
  const byName = (imp.mapping as any)?.lookups;
  if (byName && typeof byName === 'object' && !Array.isArray(byName) && byName[name]) return { name, ...byName[name] };
  return undefined;
}

/** One outcome per record of a batch from one response. */
export function outcomesOf(res: HttpResponse, count: number, rules: (SuccessRulesConfig & { resourceIdPath?: string; resourcePath?: string }) | undefined, mediaType?: string): RecordOutcome[] {
  const text = bodyText(res);
  let body: unknown = text;
  try {
    body = parseBody(res, mediaType);
  } catch {
    // Not the declared media type: keep the text as the response.
  }
  const all = (o: RecordOutcome) => Array.from({ length: count }, () => ({ ...o }));

  if (res.status < 200 || res.status >= 300) {
    const message = trim(errorMessageOf(body, rules) ?? text) || `HTTP ${res.status}`;
    const statusCode = res.status === 401 || res.status === 403 ? res.status : res.status < 500 ? 422 : res.status;
    return all({ statusCode, errors: [{ code: String(res.status), message, source: 'application' }], _json: body });
  }

  const items = getPath(body, rules?.resourcePath);
  if (Array.isArray(items) && items.length === count && (count > 1 || rules?.resourcePath || Array.isArray(body))) {
    return items.map((item) => itemOutcome(item, rules));
  }
  const failed = ruleFailure(body, rules);
  if (failed) return all({ statusCode: 422, errors: [{ code: 'failed', message: trim(failed), source: 'application' }], _json: body });
  const id = idOf(body, rules?.resourceIdPath);
  return all({ statusCode: 200, ...(id !== undefined && count === 1 ? { id } : {}), _json: body });
}

function itemOutcome(item: unknown, rules: (SuccessRulesConfig & { resourceIdPath?: string }) | undefined): RecordOutcome {
  const o = (item && typeof item === 'object' ? item : {}) as Record<string, any>;
  const ruleMessage = ruleFailure(item, rules);
  const status = Number(o.statusCode ?? o.status);
  const errs = Array.isArray(o.errors) && o.errors.length > 0 ? o.errors : undefined;
  const failed =
    ruleMessage !== undefined || o.success === false || errs !== undefined || (o.error !== undefined && o.error !== null && o.error !== false) || (Number.isFinite(status) && status >= 400);
  if (!failed) {
    const id = idOf(item, rules?.resourceIdPath);
    return { statusCode: 200, ...(id !== undefined ? { id } : {}), _json: item };
  }
  const first = errs?.[0];
  const message =
    ruleMessage ??
    (typeof first === 'string' ? first : first?.message) ??
    (typeof o.error === 'string' ? o.error : o.error?.message) ??
    o.message ??
    JSON.stringify(item);
  const code = String((typeof first === 'object' && first?.code) ?? (Number.isFinite(status) ? status : 'failed'));
  const statusCode = status === 401 || status === 403 ? status : 422;
  return { statusCode, errors: [{ code, message: trim(String(message)), source: 'application' }], _json: item };
}

function idOf(body: unknown, path: string | undefined): string | number | undefined {
  const v = getPath(body, path || 'id');
  return typeof v === 'string' || typeof v === 'number' ? v : undefined;
}

function trim(text: string): string {
  const t = text.trim();
  return t.length > 1000 ? t.slice(0, 1000) : t;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function runPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export type { DataRecord };
