import type { Store } from '../store/database.js';
import type { SecretBox } from './secrets.js';

const META_KEY = 'encryption_key_id';

/**
 * Refuses to start a process whose encryption key differs from the one the database's secrets were sealed
 * with: a second server on the same PostgreSQL with its own data directory would otherwise generate a key
 * of its own and fail, much later, on every stored secret. The first process records the key's fingerprint.
 */
export async function assertSameSecretKey(store: Store, box: SecretBox, keySource: string): Promise<void> {
  await store.db.insertInto('meta').values({ key: META_KEY, value: box.keyId }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await store.db.selectFrom('meta').select('value').where('key', '=', META_KEY).executeTakeFirstOrThrow();
  if (row.value !== box.keyId) {
    throw new Error(
      `The encryption key (${keySource}, fingerprint ${box.keyId}) is not the one this database's secrets were sealed with ` +
        `(fingerprint ${row.value}). Every process sharing a database needs the same key: set INTEGRATOR_ENCRYPTION_KEY ` +
        `to the same value everywhere, or copy the first server's encryption.key into this data directory.`,
    );
  }
}
