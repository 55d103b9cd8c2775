import { randomBytes } from 'node:crypto';
import type { ErrorItem } from '../errors.js';
import type { SaveContext } from './resource-kinds.js';
import { MASK } from './secrets.js';

/**
 * A license names an existing user by `email` on create (spec §4.9): the server turns it into the
 * read-only `user` and stamps `created`. A replace keeps both and does not need `email`.
 */
export async function licenseBeforeSave({ store, doc, stored }: SaveContext): Promise<ErrorItem[]> {
  const email = typeof doc.email === 'string' ? doc.email : undefined;
  delete doc.email;
  if (stored && !email) {
    doc.user = stored.user;
    doc.created = stored.created;
    return [];
  }
  if (!email) return [{ code: 'missing_required_field', field: 'email', message: 'email is required: the email of the user the license is for.' }];
  const user = await store.db.selectFrom('users').select(['_id', 'email', 'name']).where('email', '=', email.toLowerCase()).executeTakeFirst()
    ?? (await store.db.selectFrom('users').select(['_id', 'email', 'name']).where('email', '=', email).executeTakeFirst());
  if (!user) {
    return [{ code: 'invalid_user', field: 'email', message: 'We were not able to find any user with the provided email address. Please ask the user to first create an account.' }];
  }
  doc.user = { email: user.email, _id: user._id, name: user.name };
  doc.created = (stored?.created as string | undefined) ?? new Date().toISOString();
  return [];
}

/** A server stack gets a generated system token when none is given; a replace without one keeps the stored token. */
export async function stackBeforeSave({ doc, stored }: SaveContext): Promise<ErrorItem[]> {
  const server = doc.server as Record<string, unknown> | undefined;
  if (doc.type === 'server' && server && server.systemToken === undefined) {
    const previous = (stored?.server as Record<string, unknown> | undefined)?.systemToken;
    server.systemToken = typeof previous === 'string' ? MASK : randomBytes(16).toString('hex');
  }
  return [];
}
