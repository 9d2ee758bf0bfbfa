import { parseCookies, serializeCookie, SessionCodec } from './session';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');

describe('SessionCodec: signed session cookies', () => {
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  const codec = new SessionCodec(KEY, 3600, clock);

  it('issues a value that verifies to the same user, with a random session id and an expiry', () => {
    const a = codec.issue('user-1');
    const b = codec.issue('user-1');
    expect(a.value).not.toBe(b.value);
    expect(a.session.sid).not.toBe(b.session.sid);
    expect(codec.verify(a.value)).toEqual({ userId: 'user-1', sid: a.session.sid, expires: Math.floor(now / 1000) + 3600 });
  });

  it('refuses a value signed with another key, or with any part changed', () => {
    const { value } = codec.issue('user-1');
    expect(new SessionCodec(Buffer.from('another key'), 3600, clock).verify(value)).toBeUndefined();
    const [uid, sid, exp, mac] = value.split('.');
    const other = Buffer.from('user-2').toString('base64url');
    expect(codec.verify([other, sid, exp, mac].join('.'))).toBeUndefined();
    expect(codec.verify([uid, sid, String(Number(exp) + 86400), mac].join('.'))).toBeUndefined();
    expect(codec.verify([uid, sid, exp, mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A')].join('.'))).toBeUndefined();
    expect(codec.verify([uid, sid, exp].join('.'))).toBeUndefined();
    expect(codec.verify('')).toBeUndefined();
    expect(codec.verify('a.b.c.d')).toBeUndefined();
  });

  it('expires', () => {
    const { value } = codec.issue('user-1');
    now += 3599 * 1000;
    expect(codec.verify(value)).toBeDefined();
    now += 1000;
    expect(codec.verify(value)).toBeUndefined();
  });

  it('stops accepting a signed-out session at once, and no other', () => {
    const a = codec.issue('u');
    const b = codec.issue('u');
    codec.revoke(a.session);
    expect(codec.verify(a.value)).toBeUndefined();
    expect(codec.verify(b.value)).toBeDefined();
  });
});

describe('CSRF tokens', () => {
  const codec = new SessionCodec(KEY, 3600);

  it('are an HMAC of the session id: stable per session, different between sessions and keys', () => {
    const a = codec.issue('u').session.sid;
    const b = codec.issue('u').session.sid;
    expect(codec.csrfFor(a)).toBe(codec.csrfFor(a));
    expect(codec.csrfFor(a)).not.toBe(codec.csrfFor(b));
    expect(new SessionCodec(Buffer.from('other'), 3600).csrfFor(a)).not.toBe(codec.csrfFor(a));
    expect(codec.csrfMatches(a, codec.csrfFor(a))).toBe(true);
    expect(codec.csrfMatches(a, codec.csrfFor(b))).toBe(false);
    expect(codec.csrfMatches(a, '')).toBe(false);
  });

  it('sign-in forms: the token in the form must be the HMAC of the nonce in the cookie', () => {
    const { nonce, token } = codec.signInPair();
    expect(codec.signInMatches(nonce, token)).toBe(true);
    expect(codec.signInMatches(nonce, codec.signInPair().token)).toBe(false);
    expect(codec.signInMatches(undefined, token)).toBe(false);
    expect(codec.signInMatches(nonce, undefined)).toBe(false);
    expect(codec.signInMatches(nonce, [token])).toBe(false);
    // A nonce an attacker chose (e.g. set through a sibling domain) is useless without the key.
    expect(codec.signInMatches('A'.repeat(22), token)).toBe(false);
  });
});

describe('cookies', () => {
  it('are HttpOnly, SameSite, with a path and an expiry; Secure when asked', () => {
    const c = serializeCookie('uws_session', 'v', { path: '/', maxAge: 60, secure: false, sameSite: 'Lax' }, Date.UTC(2030, 0, 1));
    expect(c).toBe('uws_session=v; Path=/; Max-Age=60; Expires=Tue, 01 Jan 2030 00:01:00 GMT; HttpOnly; SameSite=Lax');
    expect(serializeCookie('a', 'b', { path: '/base', maxAge: 0, secure: true, sameSite: 'Strict' })).toMatch(/; Max-Age=0; .*; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('are read from a Cookie header (the first of a repeated name wins)', () => {
    const m = parseCookies('a=1; uws_session=x.y.z; b="q"; a=2; junk');
    expect(m.get('a')).toBe('1');
    expect(m.get('uws_session')).toBe('x.y.z');
    expect(m.get('b')).toBe('q');
    expect(parseCookies(undefined).size).toBe(0);
  });
});

describe('SessionCodec sign-out across restarts', () => {
  it('a signed-out session stays signed out for a new codec reading the same file', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('node:fs') as typeof import('node:fs');
    const file = `${fs.mkdtempSync('/tmp/sess-')}/revoked`;
    const key = Buffer.from('k');
    const a = new SessionCodec(key, 3600, Date.now, file);
    const { value, session } = a.issue('u1');
    const other = a.issue('u1').value;
    a.revoke(session);
    const b = new SessionCodec(key, 3600, Date.now, file);
    expect(b.verify(value)).toBeUndefined();
    expect(b.verify(other)).toBeDefined();
  });
});
