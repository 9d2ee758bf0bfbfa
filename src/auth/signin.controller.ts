import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { authOf } from '../common/caller';
import { DomainError } from '../common/domain.error';
import { sendHtmlPage } from '../common/html-page';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { clientIp, OwnCsrf, Public, SignInLimits } from './auth.guard';
import { parseCookies, serializeCookie, SESSION_COOKIE, SessionCodec, SIGNIN_COOKIE } from './session';
import { SignInPage } from './signin.page';
import { UserAccounts } from './user-accounts';

const DEFAULT_NEXT = '/forms';
/** How long a sign-in form stays usable, seconds. */
const SIGNIN_FORM_TTL = 3600;

/** Where to go after signing in: a path on this service only (no scheme, no '//', no backslash). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return DEFAULT_NEXT;
  if (!/^\/(?![/\\])[^\s\\]*$/.test(next) || /^\/sign(in|out)\b/.test(next)) return DEFAULT_NEXT;
  return next;
}

const field = (req: Request, name: string): string | undefined => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Browser sign-in: GET /signin shows the form (with a pre-session CSRF token: a random nonce in a cookie,
 * its HMAC in the form); POST /signin checks it, the rate limits and the credentials, then sets the signed
 * session cookie; POST /signout (with the session's CSRF token, checked by the guard) ends the session.
 */
@Controller()
export class SignInController {
  private readonly secure: boolean;
  private readonly basePath: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SessionCodec) private readonly sessions: SessionCodec,
    @Inject(UserAccounts) private readonly accounts: UserAccounts,
    @Inject(SignInLimits) private readonly limits: SignInLimits,
    @Inject(SignInPage) private readonly page: SignInPage,
  ) {
    const u = new URL(config.baseUrl);
    this.secure = u.protocol === 'https:';
    this.basePath = u.pathname.replace(/\/+$/, '');
  }

  @Get('signin')
  @Public()
  form(@Req() req: Request, @Res() res: Response): void {
    const next = safeNext(typeof req.query.next === 'string' ? req.query.next : undefined);
    this.show(req, res, 200, { next });
  }

  @Post('signin')
  @Public()
  @OwnCsrf()
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const next = safeNext(field(req, 'next'));
    const name = (field(req, 'name') ?? '').trim();
    const password = field(req, 'password') ?? '';
    const nonce = parseCookies(req.headers.cookie).get(SIGNIN_COOKIE);
    if (!this.sessions.signInMatches(nonce, field(req, '_csrf'))) {
      return this.show(req, res, 403, { next, name, message: 'This sign-in form has expired or did not come from this site: please try again.' });
    }
    const ip = clientIp(req);
    try {
      this.limits.check(ip, name || undefined);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return this.show(req, res, 429, { next, name, message: e.message }, e.headers);
    }
    const user = name && password ? await this.accounts.checkNameAndSecret(name, password) : undefined;
    if (!user) {
      this.limits.failed(ip, name || undefined);
      return this.show(req, res, 401, { next, name, message: 'Wrong user name or password.' });
    }
    this.limits.succeeded(name);
    const issued = this.sessions.issue(user.id);
    res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, issued.value, this.cookie(this.sessions.ttlSeconds)));
    res.append('Set-Cookie', serializeCookie(SIGNIN_COOKIE, '', { ...this.cookie(0), path: this.signInPath(), sameSite: 'Strict' }));
    const to = `${this.config.baseUrl}${next}`;
    res.status(303).location(to).set('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(`See ${to}`);
  }

  @Post('signout')
  @Public()
  signOut(@Req() req: Request, @Res() res: Response): void {
    // The guard has checked the session's CSRF token when the request came with a session.
    if (authOf(req)?.via === 'session') {
      const session = this.sessions.verify(parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? '');
      if (session) this.sessions.revoke(session);
    }
    res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, '', this.cookie(0)));
    const to = `${this.config.baseUrl}/signin`;
    res.status(303).location(to).type('text/plain; charset=utf-8').send(`See ${to}`);
  }

  private cookie(maxAge: number) {
    return { path: this.basePath || '/', maxAge, secure: this.secure, sameSite: 'Lax' as const };
  }

  private signInPath(): string {
    return `${this.basePath}/signin`;
  }

  private show(
    req: Request,
    res: Response,
    status: number,
    v: { next: string; name?: string; message?: string },
    headers: Record<string, string> = {},
  ): void {
    const pair = this.sessions.signInPair();
    res.append('Set-Cookie', serializeCookie(SIGNIN_COOKIE, pair.nonce, { ...this.cookie(SIGNIN_FORM_TTL), path: this.signInPath(), sameSite: 'Strict' }));
    const auth = authOf(req);
    const user = auth?.via === 'session' ? auth.caller.name : undefined;
    sendHtmlPage(res, status, this.config.baseUrl, (nonce) =>
      this.page.render({ baseUrl: this.config.baseUrl, nonce, csrf: pair.token, next: v.next, name: v.name, message: v.message, user }),
    headers);
  }
}
