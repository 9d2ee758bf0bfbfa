import * as fs from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../common/caller';

export const SESSION_COOKIE = 'uws_session';
/** The sign-in form's pre-session token (double submit: a random nonce in a cookie, its HMAC in the form). */
export const SIGNIN_COOKIE = 'uws_signin';

export interface Session {
  userId: string;
  /** Random per sign-in: what CSRF tokens and sign-out are bound to. */
  sid: string;
  /** Epoch seconds. */
  expires: number;
}

/**
 * Stateless signed session cookies: "<userId>.<sid>.<expires>.<mac>", every part base64url or digits, the
 * MAC an HMAC-SHA256 under the session key. The user is looked up on each request (a disabled user's sessions
 * stop working); signed-out session ids are remembered until they expire, in memory and, when a file is
 * given, in that file too, so a sign-out survives a restart.
 */
export class SessionCodec {
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly revokedFile?: string,
  ) {
    if (revokedFile) {
      const nowS = this.now() / 1000;
      const text = (() => {
        try {
          return fs.readFileSync(revokedFile, 'utf8');
        } catch {
          return '';
        }
      })();
      for (const line of text.split('\n')) {
        const [sid, exp] = line.split(' ');
        if (sid && Number(exp) > nowS) this.revoked.set(sid, Number(exp));
      }
    }
  }

  private mac(...parts: string[]): string {
    return createHmac('sha256', this.key).update(parts.join('\0')).digest('base64url');
  }

  issue(userId: string): { value: string; session: Session } {
    const sid = randomBytes(16).toString('base64url');
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const uid = Buffer.from(userId, 'utf8').toString('base64url');
    return { value: `${uid}.${sid}.${expires}.${this.mac('session', uid, sid, String(expires))}`, session: { userId, sid, expires } };
  }

  /** The session of a cookie value, or undefined when malformed, forged, expired or signed out. */
  verify(value: string): Session | undefined {
    const parts = value.split('.');
    if (parts.length !== 4) return undefined;
    const [uid, sid, exp, mac] = parts;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(uid) || !/^[A-Za-z0-9_-]{22}$/.test(sid) || !/^\d{1,12}$/.test(exp)) return undefined;
    if (!sameSecret(mac, this.mac('session', uid, sid, exp))) return undefined;
    const expires = Number(exp);
    if (expires * 1000 <= this.now() || this.revoked.has(sid)) return undefined;
    return { userId: Buffer.from(uid, 'base64url').toString('utf8'), sid, expires };
  }

  /** Sign-out: the session id stops working at once (in this process; the cookie expires anyway). */
  revoke(session: Session): void {
    const nowS = this.now() / 1000;
    for (const [sid, expires] of this.revoked) if (expires <= nowS) this.revoked.delete(sid);
    this.revoked.set(session.sid, session.expires);
    if (this.revokedFile) {
      // Rewritten whole (expired ids dropped): the list stays as small as the sessions still alive.
      const text = [...this.revoked].map(([sid, exp]) => `${sid} ${exp}`).join('\n');
      fs.writeFileSync(`${this.revokedFile}.tmp`, `${text}\n`, { mode: 0o600 });
      fs.renameSync(`${this.revokedFile}.tmp`, this.revokedFile);
    }
  }

  /** The session's CSRF token: an HMAC of its id, so nothing is stored and it dies with the session. */
  csrfFor(sid: string): string {
    return this.mac('csrf', sid);
  }

  csrfMatches(sid: string, given: string): boolean {
    return sameSecret(given, this.csrfFor(sid));
  }

  /** A fresh nonce for the sign-in cookie and the form token that goes with it. */
  signInPair(): { nonce: string; token: string } {
    const nonce = randomBytes(16).toString('base64url');
    return { nonce, token: this.signInToken(nonce) };
  }

  signInToken(nonce: string): string {
    return this.mac('signin', nonce);
  }

  signInMatches(nonce: string | undefined, given: unknown): boolean {
    return typeof nonce === 'string' && /^[A-Za-z0-9_-]{22}$/.test(nonce) && typeof given === 'string' && sameSecret(given, this.signInToken(nonce));
  }
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
  sameSite: 'Lax' | 'Strict';
}

/** A Set-Cookie value: always HttpOnly; Expires as well as Max-Age for old clients. */
export function serializeCookie(name: string, value: string, o: CookieOptions, now = Date.now()): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, `Max-Age=${o.maxAge}`, `Expires=${new Date(now + o.maxAge * 1000).toUTCString()}`, 'HttpOnly', `SameSite=${o.sameSite}`];
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The cookies of a Cookie header (the first of a repeated name wins; values are not decoded: ours need no decoding). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const pair of header.split(';')) {
    const i = pair.indexOf('=');
    if (i < 0) continue;
    const name = pair.slice(0, i).trim();
    let value = pair.slice(i + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}
