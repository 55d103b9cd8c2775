import { describe, expect, it } from 'vitest';
import { loadSecretBox, maskSecrets, MASK, openSecrets, sealSecrets } from './secrets.js';

describe('connection secrets', () => {
  const box = loadSecretBox({ key: 'test-key' });
  const doc = { type: 'http', http: { baseURI: 'https://x', auth: { type: 'basic', basic: { username: 'u', password: 'p@ss' } } } };

  it('encrypts secrets at rest and leaves other fields readable', () => {
    const sealed = sealSecrets(box, doc) as typeof doc;
    expect(sealed.http.auth.basic.username).toBe('u');
    expect(sealed.http.auth.basic.password).toMatch(/^v1\./);
    expect(JSON.stringify(sealed)).not.toContain('p@ss');
    expect(openSecrets(box, sealed)).toEqual(doc);
  });

  it('masks secrets for API answers and keeps the stored one when "******" is sent back', () => {
    const sealed = sealSecrets(box, doc) as typeof doc;
    const masked = maskSecrets(sealed) as typeof doc;
    expect(masked.http.auth.basic.password).toBe(MASK);
    const resent = sealSecrets(box, masked, sealed);
    expect(openSecrets(box, resent)).toEqual(doc);
  });

  it('refuses a secret sealed under another key', () => {
    const other = loadSecretBox({ key: 'other' });
    const sealed = sealSecrets(other, doc) as typeof doc;
    expect(() => openSecrets(box, sealed)).toThrow(/unknown format or key/);
  });
});
