import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../errors.js';

/**
 * Connection secrets are encrypted at rest with AES-256-GCM as `v1.<keyId>.<iv>.<tag>.<ciphertext>`
 * (base64url), and read back through the API as "******".
 */
export const MASK = '******';

/** Field names whose values are secrets wherever they appear in a connection (or stack, iClient). */
const SECRET_KEYS = new Set([
  'password',
  'token',
  'bearerToken',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'secretAccessKey',
  'systemToken',
  'tokenSecret',
  'consumerSecret',
  'passphrase',
  'authKey',
  'privateKey',
  'key',
  'pfx',
  'secretKey',
  'apiToken',
  'consumerKey',
  'certId',
  'encrypted',
]);

/** Whether a field name is treated as a secret (tests check every adaptor's write-only fields against it). */
export function isSecretField(name: string): boolean {
  return SECRET_KEYS.has(name);
}

export interface SecretBox {
  /** A short fingerprint of the key (not the key): every process sharing a database must show the same. */
  readonly keyId: string;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/** Key from INTEGRATOR_ENCRYPTION_KEY, else a key file (mode 0600) generated once in the data directory. */
export function loadSecretBox(options: { key?: string; dataDir?: string }): SecretBox {
  let material: string;
  if (options.key) {
    material = options.key;
  } else if (options.dataDir) {
    const file = join(options.dataDir, 'encryption.key');
    if (!existsSync(file)) {
      mkdirSync(options.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
    }
    material = readFileSync(file, 'utf8').trim();
  } else {
    material = randomBytes(32).toString('base64url');
  }
  const key = createHash('sha256').update(material).digest();
  const keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  return {
    keyId,
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    decrypt(sealed) {
      const [version, id, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || id !== keyId || !iv || !tag || data === undefined) {
        throw new Error('decrypting a stored secret: unknown format or key (was INTEGRATOR_ENCRYPTION_KEY changed?)');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

type Json = unknown;

/** Where a kind keeps secrets: anywhere in the document (`true`), or only inside these top-level blocks. */
export type SecretPlaces = true | readonly string[];

type SecretFn = (value: Json, previous: Json, path: string) => Json;

/** Walks a document and replaces each secret value with `fn(value, previous, path)`. */
function mapSecrets(doc: Json, previous: Json, fn: SecretFn, path: string): Json {
  const at = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (Array.isArray(doc)) return doc.map((v, i) => mapSecrets(v, Array.isArray(previous) ? previous[i] : undefined, fn, at(i)));
  if (doc === null || typeof doc !== 'object') return doc;
  const prev = previous && typeof previous === 'object' ? (previous as Record<string, Json>) : {};
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(doc)) {
    out[k] = SECRET_KEYS.has(k) && v !== null && v !== undefined && typeof v !== 'object'
      ? fn(v, prev[k], at(k))
      : SECRET_KEYS.has(k) && k === 'encrypted' && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([ek, ev]) => [ek, fn(ev, (prev[k] as Record<string, Json> | undefined)?.[ek], `${at(k)}.${ek}`)]))
        : mapSecrets(v, prev[k], fn, at(k));
  }
  return out;
}

function inPlaces(doc: Json, previous: Json, places: SecretPlaces, fn: SecretFn): Json {
  if (places === true || doc === null || typeof doc !== 'object' || Array.isArray(doc)) return mapSecrets(doc, previous, fn, '');
  const out = { ...(doc as Record<string, Json>) };
  const prev = previous && typeof previous === 'object' ? (previous as Record<string, Json>) : {};
  for (const block of places) if (out[block] !== undefined) out[block] = mapSecrets(out[block], prev[block], fn, block);
  return out;
}

/**
 * Encrypts secrets for storage. A value sent back as "******" keeps the stored secret; "******" where
 * nothing is stored is refused (422 naming the field), never kept as if it were the secret.
 */
export function sealSecrets(box: SecretBox, doc: Json, stored?: Json, places: SecretPlaces = true): Json {
  return inPlaces(doc, stored, places, (value, previous, path) => {
    if (value === MASK && typeof previous === 'string') return previous;
    if (value === MASK) throw new ApiError('invalid_field', `${path} is "${MASK}" but no secret is stored there: send the secret itself.`, path);
    return box.encrypt(JSON.stringify(value));
  });
}

export function openSecrets(box: SecretBox, doc: Json, places: SecretPlaces = true): Json {
  return inPlaces(doc, undefined, places, (value) => (typeof value === 'string' && value.startsWith('v1.') ? JSON.parse(box.decrypt(value)) : value));
}

export function maskSecrets(doc: Json, places: SecretPlaces = true): Json {
  return inPlaces(doc, undefined, places, () => MASK);
}
