import { CanActivate, ExecutionContext, Inject, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ANONYMOUS, attachAuth, DEFERRED_CSRF, RequestAuth, sameSecret } from '../common/caller';
import { DomainError, forbidden } from '../common/domain.error';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import type { UserRecord } from '../persistence/user.entity';
import { FailureLimiter } from './rate-limiter';
import { parseCookies, SESSION_COOKIE, SessionCodec } from './session';
import { callerFor, UserAccounts } from './user-accounts';

/** Routes that need no credentials (the sign-in page); credentials that come anyway are still checked. */
export const PUBLIC_ROUTE = 'uws-host:public';
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Routes that check their own CSRF token (the sign-in form's double submit). */
export const OWN_CSRF = 'uws-host:own-csrf';
export const OwnCsrf = () => SetMetadata(OWN_CSRF, true);

/** Authenticated otherwise: the cluster's job events carry a per-job token. */
const EXEMPT_PATHS = new Set(['/callbacks/job-event']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const REALM = 'UWS Host';
/** Per IP address, this many times the per-name allowance of failures (an office behind one NAT address). */
export const IP_FACTOR = 4;

export function unauthorized(message: string): DomainError {
  return new DomainError('UNAUTHORIZED', message, [], { 'WWW-Authenticate': `Basic realm="${REALM}"` });
}

export function tooManyFailures(waitMs: number): DomainError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new DomainError('RATE_LIMITED', `Too many failed sign-ins: try again in ${seconds} s`, [], { 'Retry-After': String(seconds) });
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Sign-in attempts: the limits per user name and per address, and what a failure or success records. */
export class SignInLimits {
  constructor(
    readonly limiter: FailureLimiter,
    private readonly perName: number,
  ) {}

  private keys(ip: string, name: string | undefined) {
    const keys = [{ key: `ip:${ip}`, limit: this.perName * IP_FACTOR }];
    if (name !== undefined) keys.push({ key: `user:${name.toLowerCase()}`, limit: this.perName });
    return keys;
  }

  /** Throws 429 when the address, or the name (when given), has too many recent failures. */
  check(ip: string, name?: string): void {
    const wait = this.limiter.blockedFor(this.keys(ip, name));
    if (wait > 0) throw tooManyFailures(wait);
  }

  failed(ip: string, name?: string): void {
    this.limiter.fail(this.keys(ip, name).map((k) => k.key));
  }

  succeeded(name: string): void {
    this.limiter.reset(`user:${name.toLowerCase()}`);
  }
}

/**
 * Who is calling, for every route: HTTP Basic "name:token" (or "name:password"), a Bearer token, or the
 * browser's session cookie; without credentials, the anonymous caller when ANONYMOUS_ACCESS is on, else
 * 401 (a browser asking for a page is sent to the sign-in page instead). Session requests that change
 * something must carry the session's CSRF token (`_csrf` field or X-CSRF-Token header).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');
  private readonly ownOrigin: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(UserAccounts) private readonly accounts: UserAccounts,
    @Inject(SessionCodec) private readonly sessions: SessionCodec,
    @Inject(SignInLimits) private readonly limits: SignInLimits,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {
    this.ownOrigin = new URL(config.baseUrl).origin;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    if (EXEMPT_PATHS.has(req.path)) return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true;
    const ownCsrf = this.reflector.getAllAndOverride<boolean>(OWN_CSRF, targets) === true;
    const deferred = this.reflector.getAllAndOverride<boolean>(DEFERRED_CSRF, targets) === true;
    attachAuth(req, await this.authenticate(req, isPublic, ownCsrf, deferred));
    return true;
  }

  private async authenticate(req: Request, isPublic: boolean, ownCsrf: boolean, deferred: boolean): Promise<RequestAuth> {
    const header = req.headers.authorization;
    if (header !== undefined) return this.fromHeader(req, header);
    const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const session = cookie ? this.sessions.verify(cookie) : undefined;
    const user = session ? await this.accounts.activeUser(session.userId) : undefined;
    if (session && user) {
      const auth: RequestAuth = { caller: callerFor(user), via: 'session', csrf: this.sessions.csrfFor(session.sid) };
      if (!SAFE_METHODS.has(req.method) && !ownCsrf) this.checkCsrf(req, auth, deferred);
      return auth;
    }
    if (isPublic || this.config.anonymousAccess) return { caller: ANONYMOUS, via: 'anonymous' };
    if (wantsPage(req)) {
      const next = req.originalUrl.startsWith('/') ? req.originalUrl : '/';
      throw new DomainError('SIGN_IN_REQUIRED', 'Sign in first', [], {
        Location: `${this.config.baseUrl}/signin?next=${encodeURIComponent(next)}`,
      });
    }
    throw unauthorized('Authentication required: HTTP Basic (user name and API token) or Authorization: Bearer <token>');
  }

  private async fromHeader(req: Request, header: string): Promise<RequestAuth> {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    const ip = clientIp(req);
    let user: UserRecord | undefined;
    let via: RequestAuth['via'];
    if (scheme === 'basic') {
      const decoded = /^[A-Za-z0-9+/]+=*$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon < 1) throw unauthorized('Malformed Basic credentials');
      const name = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      // Tokens cannot be guessed: a name locked by someone else's failures still accepts its tokens.
      const perName = this.accounts.isTokenShaped(secret) ? undefined : name;
      this.limits.check(ip, perName);
      user = await this.accounts.checkNameAndSecret(name, secret);
      if (!user) {
        this.limits.failed(ip, perName);
        this.logger.warn(`Basic sign-in of '${printable(name)}' refused (from ${ip})`);
        throw unauthorized('Wrong user name, token or password');
      }
      this.limits.succeeded(name);
      via = 'basic';
    } else if (scheme === 'bearer') {
      this.limits.check(ip);
      user = await this.accounts.checkBearer(value);
      if (!user) {
        this.limits.failed(ip);
        this.logger.warn(`Bearer token refused (from ${ip})`);
        throw unauthorized('Unknown or revoked API token');
      }
      via = 'bearer';
    } else {
      throw unauthorized(`Unsupported authorization scheme '${scheme.slice(0, 20)}': use Basic or Bearer`);
    }
    // A browser may replay Basic credentials it remembers on a cross-site form post: refuse those.
    if (via === 'basic' && !SAFE_METHODS.has(req.method) && this.crossSite(req)) {
      throw forbidden('Cross-site request refused');
    }
    return { caller: callerFor(user), via };
  }

  private crossSite(req: Request): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) {
      const site = req.headers['sec-fetch-site'];
      return site === 'cross-site' || site === 'same-site';
    }
    return origin !== this.ownOrigin && origin !== `${req.protocol}://${req.headers.host ?? ''}`;
  }

  /**
   * `_csrf` in a parsed body or the X-CSRF-Token header. A multipart body is not parsed yet: on an upload
   * route (@DeferredCsrf) callerOf checks its field after parsing; anywhere else it is refused.
   */
  private checkCsrf(req: Request, auth: RequestAuth, deferred: boolean): void {
    const expected = auth.csrf!;
    const headerToken = req.headers['x-csrf-token'];
    const body = req.body as Record<string, unknown> | undefined;
    const given = typeof headerToken === 'string' ? headerToken : body && typeof body === 'object' ? body._csrf : undefined;
    if (given === undefined && deferred && req.is('multipart/form-data')) {
      auth.pendingCsrf = expected;
      return;
    }
    if (typeof given !== 'string' || !sameSecret(given, expected)) {
      this.logger.warn(`${req.method} ${req.path}: CSRF token missing or wrong (user ${auth.caller.name}, from ${clientIp(req)})`);
      throw forbidden('Missing or wrong CSRF token: a form sent with a session cookie must carry its _csrf field');
    }
  }
}

/** A client-chosen text as it may appear in a log line: short, one line, no control characters. */
export function printable(text: string): string {
  return text.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
}

/** A browser navigating: GET or HEAD preferring HTML over XML and JSON. */
export function wantsPage(req: Request): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    req.accepts(['application/xml', 'text/xml', 'application/json', 'text/html']) === 'text/html'
  );
}
