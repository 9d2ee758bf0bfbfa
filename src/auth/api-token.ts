import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * API tokens: "<id>.<secret>", the id 12 base64url characters (9 random bytes, the row's key), the secret 32
 * random bytes in base64url. Only HMAC-SHA256(salt, secret) is stored, with a per-token random salt: the
 * secret has 256 bits, so a fast hash is as safe as a slow one, and checking a token costs microseconds.
 */
export const TOKEN_PATTERN = /^([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  id: string;
  /** What the client sends, shown once. */
  token: string;
  salt: string;
  hash: string;
}

export function tokenHash(secret: string, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'base64url')).update(secret, 'utf8').digest('base64url');
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 12 letters and digits (71 bits): ids of tokens and users, never starting with '-' (they are CLI arguments). */
export function randomId(): string {
  let id = '';
  for (let i = 0; i < 12; i++) id += ALNUM[randomInt(ALNUM.length)];
  return id;
}

export function newToken(): NewToken {
  const id = randomId();
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('base64url');
  return { id, token: `${id}.${secret}`, salt, hash: tokenHash(secret, salt) };
}

/** The id and secret of something shaped like a token, else undefined. */
export function parseToken(presented: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(presented);
  return m ? { id: m[1], secret: m[2] } : undefined;
}

export function tokenMatches(secret: string, stored: { salt: string; hash: string }): boolean {
  const given = Buffer.from(tokenHash(secret, stored.salt), 'utf8');
  const expected = Buffer.from(stored.hash, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
