/**
 * Failed sign-ins are rate-limited per user name and per IP address (SIGNIN_RATE_LIMIT=3/60 here: 3 per name,
 * 12 per address): HTTP Basic and the sign-in form alike answer 429 with Retry-After once over the limit.
 */
import * as fs from 'node:fs';
import * as libxml from 'libxmljs2';
import { RunningApp, startApp, tempDir } from './support/test-app';
import { Answer, AuthClient, basic, bearer, cookiePair, userCli } from './support/auth-client';

const BROWSER = 'text/html,application/xhtml+xml,*/*;q=0.8';

describe('rate limiting of failed sign-ins', () => {
  let app: RunningApp;
  let dataDir: string;
  let aliceToken: string;
  const mk = (auth?: string, cookie?: string) => new AuthClient(app.baseUrl, auth, cookie);

  beforeAll(async () => {
    dataDir = tempDir();
    for (const name of ['alice', 'bob']) expect((await userCli(dataDir, ['add', name, '--password-stdin'], `${name}-password\n`)).code).toBe(0);
    aliceToken = (await userCli(dataDir, ['token', 'alice'])).out[0];
    app = await startApp({ DATA_DIR: dataDir, ANONYMOUS_ACCESS: 'false', SIGNIN_RATE_LIMIT: '3/60' });
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const retryAfter = (r: Answer) => Number(r.headers.get('retry-after'));

  it('Basic: after 3 wrong passwords for a name, 429 with Retry-After, even with the right password; tokens still work', async () => {
    for (let i = 0; i < 3; i++) expect((await mk(basic('alice', `wrong-${i}-password`)).get('/rest')).status).toBe(401);
    const blocked = await mk(basic('alice', 'wrong-again-password')).get('/rest');
    expect(blocked.status).toBe(429);
    expect(retryAfter(blocked)).toBeGreaterThan(0);
    expect(retryAfter(blocked)).toBeLessThanOrEqual(60);
    expect(blocked.text).toMatch(/Too many failed sign-ins/);
    expect((await mk(basic('alice', 'alice-password')).get('/rest')).status).toBe(429);
    // Tokens cannot be guessed, so someone else's failures do not lock the owner's programs out.
    expect((await mk(basic('alice', aliceToken)).get('/rest')).status).toBe(200);
    expect((await mk(bearer(aliceToken)).get('/rest')).status).toBe(200);
    // Another name is not affected.
    expect((await mk(basic('bob', 'bob-password')).get('/rest')).status).toBe(200);
  });

  it('the sign-in form: the same limit per name, answered with a 429 page and Retry-After', async () => {
    const attempt = async (password: string) => {
      const page = await mk().get('/signin', { Accept: BROWSER });
      const token = libxml.parseHtml(page.text).get<libxml.Element>('//input[@name="_csrf"]')!.attr('value')!.value();
      return mk(undefined, cookiePair(page, 'uws_signin')).post('/signin', { _csrf: token, name: 'bob', password, next: '/forms' });
    };
    for (let i = 0; i < 3; i++) expect((await attempt(`wrong-${i}-password`)).status).toBe(401);
    const blocked = await attempt('bob-password');
    expect(blocked.status).toBe(429);
    expect(retryAfter(blocked)).toBeGreaterThan(0);
    expect(blocked.type).toMatch(/^text\/html/);
    expect(blocked.text).toMatch(/Too many failed sign-ins/);
    expect(cookiePair(blocked, 'uws_session')).toBeUndefined();
  });

  it('per address: 12 failures under any names (bad Bearer tokens included) block everything from it', async () => {
    // 6 failures so far (3 for alice, 3 for bob).
    for (let i = 0; i < 5; i++) expect((await mk(basic(`user${i}`, 'some-password')).get('/rest')).status).toBe(401);
    expect((await mk(bearer('not-a-token')).get('/rest')).status).toBe(401);
    const blocked = await mk(basic('carol', 'first-try-password')).get('/rest');
    expect(blocked.status).toBe(429);
    expect((await mk(bearer(aliceToken)).get('/rest')).status).toBe(429);
  });
});
