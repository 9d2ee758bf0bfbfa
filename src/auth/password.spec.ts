import { hashPassword, passwordProblem, ScryptParams, verifyPassword } from './password';

// Cheaper parameters keep the suite fast; the format and checks are the same.
const FAST: ScryptParams = { log2N: 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('stores the parameters, a random salt and the hash; verifies the right password only', async () => {
    const h = await hashPassword('correct horse', FAST);
    expect(h).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsE', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same password', FAST), hashPassword('same password', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('the default parameters verify too (what the service stores)', async () => {
    const h = await hashPassword('default params');
    expect(h.startsWith('scrypt$15$8$1$')).toBe(true);
    expect(await verifyPassword('default params', h)).toBe(true);
  });

  it('normalises Unicode (NFC), so the same password typed differently matches', async () => {
    const h = await hashPassword('caf\u00e9-pass', FAST);
    expect(await verifyPassword('cafe\u0301-pass', h)).toBe(true);
  });

  it('never matches a missing, malformed or out-of-bounds hash', async () => {
    expect(await verifyPassword('x', null)).toBe(false);
    expect(await verifyPassword('x', undefined)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    const h = await hashPassword('pw-pw-pw-pw', FAST);
    expect(await verifyPassword('pw-pw-pw-pw', h.replace('scrypt$10$', 'scrypt$30$'))).toBe(false); // N too large
    expect(await verifyPassword('pw-pw-pw-pw', h.slice(0, -4))).toBe(false); // truncated hash
  });

  it('tells what is wrong with a password', () => {
    expect(passwordProblem('short')).toMatch(/at least 8/);
    expect(passwordProblem('x'.repeat(2000))).toMatch(/at most/);
    expect(passwordProblem('long enough')).toBeUndefined();
  });
});
