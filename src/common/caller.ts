import { SetMetadata } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { forbidden } from './domain.error';

/**
 * Who sent a request, as the UWS core sees it. The auth module's guard attaches it to every request it lets
 * through; the core reads it with callerOf(req) and never imports auth.
 */
export interface Caller {
  /** The user's id, or null for the anonymous caller. */
  id: string | null;
  /** The user name (a job's ownerId); 'anonymous' for the anonymous caller. */
  name: string;
  admin: boolean;
  /** The user's own limit of active jobs, when set (else MAX_ACTIVE_JOBS_PER_USER applies). */
  maxActiveJobs?: number;
}

export const ANONYMOUS: Caller = Object.freeze({ id: null, name: 'anonymous', admin: false });

/** How the request was authenticated, and what a browser form needs to carry. */
export interface RequestAuth {
  caller: Caller;
  via: 'anonymous' | 'session' | 'basic' | 'bearer';
  /** The session's CSRF token (session requests only): forms carry it as the hidden field `_csrf`. */
  csrf?: string;
  /**
   * Set by the guard for a session request whose body was not parsed yet (multipart: the upload interceptor
   * parses it after the guard ran): the `_csrf` field is then checked by callerOf, after parsing.
   */
  pendingCsrf?: string;
}

const AUTH = Symbol.for('uws-host.request-auth');

/**
 * Marks a handler whose multipart body is parsed by an interceptor after the guard ran (uploads): for a session
 * request the guard then leaves the `_csrf` check to callerOf(req), which the handler must call before acting.
 * On any other route a multipart session request without an X-CSRF-Token header is refused by the guard.
 */
export const DEFERRED_CSRF = 'uws-host:deferred-csrf';
export const DeferredCsrf = () => SetMetadata(DEFERRED_CSRF, true);

interface WithAuth {
  [AUTH]?: RequestAuth;
  body?: unknown;
}

export function attachAuth(req: object, auth: RequestAuth): void {
  (req as WithAuth)[AUTH] = auth;
}

export function authOf(req: object): RequestAuth | undefined {
  return (req as WithAuth)[AUTH];
}

/** Equal strings, compared in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The caller of a request: what the guard attached, else the anonymous caller. A CSRF check the guard had to
 * defer (multipart body) happens here, so a handler that reads its caller after parsing the body refuses a
 * session form without the right `_csrf` field (403) before doing anything.
 */
export function callerOf(req: object): Caller {
  const auth = authOf(req);
  if (!auth) return ANONYMOUS;
  if (auth.pendingCsrf !== undefined) {
    const body = (req as WithAuth).body as Record<string, unknown> | undefined;
    const given = body && typeof body === 'object' ? body._csrf : undefined;
    if (typeof given !== 'string' || !sameSecret(given, auth.pendingCsrf)) {
      throw forbidden('Missing or wrong CSRF token: a form sent with a session cookie must carry its _csrf field');
    }
    auth.pendingCsrf = undefined;
  }
  return auth.caller;
}

/** The session's CSRF token for a page's forms, when the request came with a session. */
export function csrfOf(req: object): string | undefined {
  const auth = authOf(req);
  return auth?.via === 'session' ? auth.csrf : undefined;
}

/** What a job's ownerId is for jobs this caller creates: the user name, or null when anonymous. */
export function ownerIdOf(caller: Caller): string | null {
  return caller.id === null ? null : caller.name;
}
