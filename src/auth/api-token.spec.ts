import { newToken, parseToken, randomId, TOKEN_PATTERN, tokenHash, tokenMatches } from './api-token';

describe('API tokens', () => {
  it('are "<id>.<secret>", a 12-character id and 32 random bytes in base64url', () => {
    const t = newToken();
    expect(t.token).toMatch(TOKEN_PATTERN);
    expect(t.token.startsWith(`${t.id}.`)).toBe(true);
    const parsed = parseToken(t.token)!;
    expect(parsed.id).toBe(t.id);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
  });

  it('store only a salted HMAC of the secret, never the secret', () => {
    const t = newToken();
    const { secret } = parseToken(t.token)!;
    expect(t.hash).not.toContain(secret);
    expect(t.hash).toBe(tokenHash(secret, t.salt));
    // Another salt, another hash: equal secrets do not show in the table.
    expect(tokenHash(secret, newToken().salt)).not.toBe(t.hash);
  });

  it('match their own stored hash only', () => {
    const a = newToken();
    const b = newToken();
    expect(tokenMatches(parseToken(a.token)!.secret, a)).toBe(true);
    expect(tokenMatches(parseToken(b.token)!.secret, a)).toBe(false);
    expect(tokenMatches(parseToken(a.token)!.secret, { salt: a.salt, hash: 'short' })).toBe(false);
  });

  it('are unique, and ids never start with "-" (they are command-line arguments)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomId();
      expect(id).toMatch(/^[A-Za-z0-9]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
  });

  it('parse nothing that is not token-shaped', () => {
    for (const s of ['', 'password', 'abc.def', `${'a'.repeat(12)}.${'b'.repeat(42)}`, `${'a'.repeat(12)}.${'b'.repeat(43)}x`, `${'a'.repeat(12)}.${'b'.repeat(42)}=`]) {
      expect(parseToken(s)).toBeUndefined();
    }
  });
});
