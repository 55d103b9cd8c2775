import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AccessTokenSchema, autoPurgeChoices } from '../domain/schemas/token.js';
import type { StoredScope } from '../domain/token-scope.js';
import { validateAgainst } from '../domain/validation.js';
import { ApiError, notFound } from '../errors.js';
import type { Store } from '../store/database.js';
import { existingResources } from '../store/resources.js';
import { createToken, deleteToken, findToken, generateToken, listTokens, updateToken, type TokenRow } from '../store/accounts.js';
import { assertAdministrator } from './access.js';
import { ErrorEnvelope, IdParams } from './openapi-schemas.js';
import { pagingFrom, sendPage } from './pagination.js';

const purgeMs: Record<(typeof autoPurgeChoices)[number], number | null> = {
  '1 hour': 3600_000,
  '4 hours': 4 * 3600_000,
  '1 day': 86_400_000,
  '4 days': 4 * 86_400_000,
  '10 days': 10 * 86_400_000,
  '30 days': 30 * 86_400_000,
  never: null,
};
const idFields = ['_connectionIds', '_exportIds', '_importIds'] as const;

type Body = { name: string; autoPurge?: keyof typeof purgeMs; scope?: 'Full access' | 'Custom' } & Partial<Record<'_integrationIds' | '_connectorIds' | (typeof idFields)[number], string[]>>;

const TokenAnswer = Type.Object({ _id: Type.String(), name: Type.String(), scope: Type.String(), autoPurge: Type.String(), token: Type.Optional(Type.String()) }, { additionalProperties: true });

function validBody(body: unknown): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('invalid_field', 'The body must be a JSON object.', '(body)');
  const doc = { ...(body as Record<string, unknown>) };
  for (const ro of ['_id', 'createdAt', 'lastModified', '_userId', 'expiresAt', 'token']) delete doc[ro];
  const errors = validateAgainst(AccessTokenSchema, doc);
  if (errors.length) throw new ApiError(errors, 422);
  const listed = scopeLists.filter((f) => Array.isArray(doc[f]) && (doc[f] as unknown[]).length > 0);
  if ((doc.scope ?? 'Full access') === 'Full access' && listed.length > 0) {
    // A list of ids with a full-access scope would silently give the token everything.
    throw new ApiError('invalid_field', `${listed[0]} limits a token only with "scope": "Custom".`, 'scope');
  }
  return doc as Body;
}

const scopeLists = ['_integrationIds', '_connectorIds', ...idFields] as const;
const kindOfList: Record<(typeof scopeLists)[number], string> = {
  _integrationIds: 'integrations',
  _connectorIds: 'connectors',
  _connectionIds: 'connections',
  _exportIds: 'exports',
  _importIds: 'imports',
};

/** Every id a custom scope lists must be a resource of that kind in this account (422 naming it). */
async function assertScopeIdsExist(db: Store['db'], accountId: string, body: Body) {
  const wanted = scopeLists.flatMap((f) => (body[f] ?? []).map((id, i) => ({ field: `${f}[${i}]`, id, kind: kindOfList[f] })));
  if (wanted.length === 0) return;
  const found = new Map((await existingResources(db, accountId, wanted.map((w) => w.id))).map((r) => [r._id, r.kind]));
  const errors = wanted
    .filter((w) => found.get(w.id) !== w.kind)
    .map((w) => ({ code: 'invalid_field', field: w.field, message: `${w.id} is not one of this account's ${w.kind}.` }));
  if (errors.length) throw new ApiError(errors, 422);
}

function scopeOf(body: Body): unknown {
  if ((body.scope ?? 'Full access') === 'Full access') return '*';
  const stored: StoredScope & { byField: Record<string, string[]> } = {
    integrations: body._integrationIds ?? [],
    connectors: body._connectorIds ?? [],
    ids: idFields.flatMap((f) => body[f] ?? []),
    byField: Object.fromEntries(idFields.map((f) => [f, body[f] ?? []])),
  };
  return stored;
}

function toApi(row: NonNullable<TokenRow>, token?: string) {
  const scope = JSON.parse(row.scope) as '*' | (StoredScope & { byField?: Record<string, string[]> });
  return {
    _id: row._id,
    name: row.name,
    _userId: row.user_id,
    autoPurge: row.auto_purge ?? 'never',
    scope: scope === '*' ? 'Full access' : 'Custom',
    ...(scope === '*' ? {} : { _integrationIds: scope.integrations ?? [], _connectorIds: scope.connectors ?? [], ...(scope.byField ?? {}) }),
    ...(row.expires_at !== null ? { expiresAt: new Date(row.expires_at).toISOString() } : {}),
    ...(row.revoked_at !== null ? { revokedAt: new Date(row.revoked_at).toISOString() } : {}),
    createdAt: new Date(row.created_at).toISOString(),
    ...(token ? { token } : {}),
  };
}

/**
 * API tokens (`/v1/accesstokens`): owner or administrator only. The token string is shown once, on create
 * and on regenerate; only its SHA-256 hash is stored, so `display` cannot show it again.
 */
export async function accessTokenRoutes(app: FastifyInstance, options: { store: Store }) {
  const db = options.store.db;
  const tags = ['tokens'];
  app.setValidatorCompiler(() => () => true);
  const params = { params: IdParams };
  const load = async (request: FastifyRequest) => {
    assertAdministrator(request);
    const { _id } = request.params as { _id: string };
    const row = /^[0-9a-f]{24}$/.test(_id) ? await findToken(db, request.identity.accountId, _id) : undefined;
    if (!row) throw notFound('Access token', _id);
    return row;
  };

  app.get('/v1/accesstokens', { schema: { tags, summary: 'List API tokens', response: { 200: Type.Array(TokenAnswer), '4xx': ErrorEnvelope } } }, async (request, reply) => {
    assertAdministrator(request);
    const paging = pagingFrom(request.query as Record<string, unknown>);
    const rows = await sendPage(request, reply, paging, (limit) => listTokens(db, request.identity.accountId, { ...paging, limit }));
    return rows.map((r) => toApi(r));
  });

  app.post('/v1/accesstokens', { schema: { tags, summary: 'Create an API token (shown once)', body: AccessTokenSchema, response: { 201: TokenAnswer, '4xx': ErrorEnvelope } } }, async (request, reply) => {
    assertAdministrator(request);
    const body = validBody(request.body);
    await assertScopeIdsExist(db, request.identity.accountId, body);
    const purge = purgeMs[body.autoPurge ?? 'never'];
    const { token, tokenId } = await createToken(db, {
      accountId: request.identity.accountId,
      userId: request.identity.userId,
      name: body.name,
      scope: scopeOf(body),
      autoPurge: body.autoPurge ?? 'never',
      ...(purge !== null ? { expiresAt: Date.now() + purge } : {}),
    });
    reply.status(201);
    return toApi((await findToken(db, request.identity.accountId, tokenId))!, token);
  });

  app.get('/v1/accesstokens/:_id', { schema: { tags, summary: 'Get an API token (without the token string)', ...params, response: { 200: TokenAnswer, '4xx': ErrorEnvelope } } }, async (request) => toApi(await load(request)));

  app.put('/v1/accesstokens/:_id', { schema: { tags, summary: 'Replace an API token\'s name, scope and auto purge', ...params, body: AccessTokenSchema, response: { 200: TokenAnswer, '4xx': ErrorEnvelope } } }, async (request) => {
    const row = await load(request);
    const body = validBody(request.body);
    await assertScopeIdsExist(db, request.identity.accountId, body);
    const purge = purgeMs[body.autoPurge ?? 'never'];
    await updateToken(db, request.identity.accountId, row._id, {
      name: body.name,
      scope: scopeOf(body),
      autoPurge: body.autoPurge ?? 'never',
      expiresAt: purge === null ? null : row.created_at + purge,
    });
    return toApi((await findToken(db, request.identity.accountId, row._id))!);
  });

  app.delete('/v1/accesstokens/:_id', { schema: { tags, summary: 'Revoke an API token (at once)', ...params, response: { '4xx': ErrorEnvelope } } }, async (request, reply) => {
    const row = await load(request);
    await deleteToken(db, request.identity.accountId, row._id);
    reply.status(204).send();
  });

  app.get('/v1/accesstokens/:_id/display', { schema: { tags, summary: 'Reveal a token: refused, tokens are stored as hashes', ...params, response: { '4xx': ErrorEnvelope } } }, async (request) => {
    await load(request);
    throw new ApiError('not_retrievable', 'Tokens are stored only as SHA-256 hashes and are shown once; regenerate it with POST /v1/accesstokens/{_id}/generate.');
  });

  app.post('/v1/accesstokens/:_id/generate', { schema: { tags, summary: 'Regenerate a token: the old string stops working, the new one is shown once', ...params, response: { 200: TokenAnswer, '4xx': ErrorEnvelope } } }, async (request) => {
    const row = await load(request);
    const token = generateToken();
    await updateToken(db, request.identity.accountId, row._id, { token });
    return toApi(row, token);
  });
}
