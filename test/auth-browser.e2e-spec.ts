/**
 * Browser sessions on the real application (ANONYMOUS_ACCESS=false): the sign-in page and its pre-session
 * CSRF token, the session cookie and its flags, CSRF protection of every state change made with the cookie
 * (urlencoded and multipart forms, headers), sign-out, and the cookie flags behind an https BASE_URL.
 */
import * as fs from 'node:fs';
import * as libxml from 'libxmljs2';
import { killJobGroups, RunningApp, startApp, tempDir } from './support/test-app';
import { Answer, AuthClient, basic, cookiePair, setCookies, userCli } from './support/auth-client';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const PASSWORD = 'alice-password-1';

const attrs = (el: libxml.Element | null): Record<string, string> => Object.fromEntries((el?.attrs() ?? []).map((a) => [a.name(), a.value()]));
const hidden = (html: string, form: string, name: string) =>
  attrs(libxml.parseHtml(html).get<libxml.Element>(`//form[@id="${form}"]//input[@name="${name}"]`)).value;

/** Opens the sign-in page and posts it as a browser would; returns the final answer and the session cookie. */
async function signIn(baseUrl: string, name: string, password: string, next?: string): Promise<{ answer: Answer; session?: string; page: Answer }> {
  const anon = new AuthClient(baseUrl);
  const page = await anon.get(`/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`, { Accept: BROWSER });
  const pre = cookiePair(page, 'uws_signin')!;
  const form = { _csrf: hidden(page.text, 'signin-form', '_csrf'), next: hidden(page.text, 'signin-form', 'next'), name, password };
  const answer = await new AuthClient(baseUrl, undefined, pre).post('/signin', form);
  return { answer, session: cookiePair(answer, 'uws_session'), page };
}

describe('browser sessions and CSRF', () => {
  let app: RunningApp;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir();
    expect((await userCli(dataDir, ['add', 'alice', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(0);
    expect((await userCli(dataDir, ['add', 'bob', '--password-stdin'], 'bob-password-1\n')).code).toBe(0);
    app = await startApp({ DATA_DIR: dataDir, ANONYMOUS_ACCESS: 'false', SESSION_TTL: '7200', SIGNIN_RATE_LIMIT: '1000/300' });
  });
  afterAll(async () => {
    await app?.close();
    killJobGroups(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('the sign-in page', () => {
    it('is an escaped HTML page with a CSP, a pre-session token in a Strict cookie and in the form', async () => {
      const r = await new AuthClient(app.baseUrl).get('/signin?next=%2Fforms%2Fsleep', { Accept: BROWSER });
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/html/);
      const csp = r.headers.get('content-security-policy')!;
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(r.headers.get('cache-control')).toBe('no-store');
      const pre = setCookies(r).find((c) => c.startsWith('uws_signin='))!;
      expect(pre).toMatch(/; Path=\/signin; Max-Age=3600; /);
      expect(pre).toMatch(/; HttpOnly; SameSite=Strict$/);
      const form = attrs(libxml.parseHtml(r.text).get<libxml.Element>('//form[@id="signin-form"]'));
      expect(form).toMatchObject({ action: `${app.baseUrl}/signin`, method: 'post' });
      expect(hidden(r.text, 'signin-form', '_csrf')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hidden(r.text, 'signin-form', 'next')).toBe('/forms/sleep');
      const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)![1];
      expect(libxml.parseHtml(r.text).find<libxml.Element>('//style').map((e) => attrs(e).nonce)).toEqual([nonce]);
    });

    it('escapes what it echoes, and never redirects off the site', async () => {
      const evil = '"><script>alert(1)</script>';
      const { answer } = await signIn(app.baseUrl, evil, 'wrong-password');
      expect(answer.status).toBe(401);
      expect(answer.text).not.toContain('<script>alert(1)');
      expect(answer.text).toContain('&lt;script&gt;');
      for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
        const r = await signIn(app.baseUrl, 'alice', PASSWORD, next);
        expect(r.answer.status).toBe(303);
        expect(r.answer.location).toBe(`${app.baseUrl}/forms`);
      }
    });

    it('refuses a post without the pre-session cookie or with a token that does not match it (403)', async () => {
      const anon = new AuthClient(app.baseUrl);
      const page = await anon.get('/signin', { Accept: BROWSER });
      const token = hidden(page.text, 'signin-form', '_csrf');
      const noCookie = await anon.post('/signin', { _csrf: token, name: 'alice', password: PASSWORD });
      expect(noCookie.status).toBe(403);
      expect(cookiePair(noCookie, 'uws_session')).toBeUndefined();
      const other = await anon.get('/signin', { Accept: BROWSER });
      const mismatched = await new AuthClient(app.baseUrl, undefined, cookiePair(other, 'uws_signin')).post('/signin', { _csrf: token, name: 'alice', password: PASSWORD });
      expect(mismatched.status).toBe(403);
      expect(cookiePair(mismatched, 'uws_session')).toBeUndefined();
    });

    it('a wrong password: 401, the form again with a message, no session', async () => {
      const { answer, session } = await signIn(app.baseUrl, 'alice', 'not-the-password');
      expect(answer.status).toBe(401);
      expect(session).toBeUndefined();
      expect(libxml.parseHtml(answer.text).get<libxml.Element>('//*[@id="signin-message"]')!.text()).toMatch(/Wrong user name or password/);
    });
  });

  describe('signed in', () => {
    let session: string;
    let cookieLine: string;
    let browser: AuthClient;
    let csrf: string;

    beforeAll(async () => {
      const r = await signIn(app.baseUrl, 'alice', PASSWORD, '/forms/sleep');
      expect(r.answer.status).toBe(303);
      expect(r.answer.location).toBe(`${app.baseUrl}/forms/sleep`);
      session = r.session!;
      cookieLine = setCookies(r.answer).find((c) => c.startsWith('uws_session='))!;
      browser = new AuthClient(app.baseUrl, undefined, session);
      const form = await browser.get('/forms/sleep', { Accept: BROWSER });
      expect(form.status).toBe(200);
      csrf = hidden(form.text, 'job-form', '_csrf');
    });

    it('the session cookie is HttpOnly, SameSite=Lax, for the whole site, expiring after SESSION_TTL, not Secure over http', () => {
      expect(cookieLine).toMatch(/^uws_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=7200; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
      expect(cookieLine).not.toMatch(/Secure/);
    });

    it('pages show who is signed in, with a sign-out form, and the job form carries the CSRF token', async () => {
      const form = await browser.get('/forms/sleep', { Accept: BROWSER });
      const doc = libxml.parseHtml(form.text);
      expect(doc.get<libxml.Element>('//form[@class="who"]/span')!.text()).toBe('alice');
      expect(attrs(doc.get<libxml.Element>('//form[@class="who"]'))).toMatchObject({ method: 'post', action: `${app.baseUrl}/signout` });
      expect(hidden(form.text, 'job-form', '_csrf')).toBe(csrf);
      expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Reading needs no token.
      expect((await browser.get('/rest/sleep')).status).toBe(200);
    });

    it('a multipart job form is refused without its _csrf field or with a wrong one (403), accepted with it', async () => {
      const fd = (token?: string) => {
        const f = new FormData();
        if (token !== undefined) f.append('_csrf', token);
        f.append('duration', '0');
        f.append('RUNID', 'from-the-browser');
        return f;
      };
      expect((await browser.post('/rest/sleep', fd())).status).toBe(403);
      expect((await browser.post('/rest/sleep', fd('x'.repeat(43)))).status).toBe(403);
      expect((await browser.post('/rest/sleep', fd(`${csrf}x`))).status).toBe(403);
      const ok = await browser.post('/rest/sleep', fd(csrf));
      expect(ok.status).toBe(303);
      // The token is no job parameter, and the job is the signed-in user's.
      expect((await browser.get(`${ok.location}/owner`)).text).toBe('alice');
      const params = (await browser.get(`${ok.location}/parameters`)).text;
      expect(params).not.toMatch(/_csrf/i);
      expect((await browser.get('/rest/sleep')).text).toContain(ok.location.split('/').pop()!);
      // A refused upload is not kept in the spool.
      const up = fd();
      up.append('infile', new Blob(['x y z\n']), 'w.txt');
      expect((await browser.post('/rest/wordcount', up)).status).toBe(403);
      expect(fs.readdirSync(`${dataDir}/uploads`)).toEqual([]);
    });

    it('every other state change with the cookie needs the token too: field or X-CSRF-Token header', async () => {
      const job = await browser.create('sleep', { _csrf: csrf, duration: '0' });
      const attempts: [string, string, Record<string, string> | string | undefined][] = [
        ['POST', `${job}/parameters`, { duration: '2' }],
        ['POST', `${job}/executionduration`, { EXECUTIONDURATION: '30' }],
        ['POST', `${job}/destruction`, { DESTRUCTION: '2099-01-01T00:00:00Z' }],
        ['PUT', `${job}/parameters/duration`, '3'],
        ['POST', job, { ACTION: 'DELETE' }],
        ['DELETE', job, undefined],
        ['POST', `${job}/phase`, { PHASE: 'RUN' }],
        ['POST', '/rest/sleep', { duration: '0' }],
      ];
      for (const [method, url, body] of attempts) {
        expect([method, url, (await browser.req(method, url, body)).status]).toEqual([method, url, 403]);
        const wrong = await browser.req(method, url, body, { 'X-CSRF-Token': 'wrong' });
        expect([method, url, wrong.status]).toEqual([method, url, 403]);
      }
      // A multipart body elsewhere than the upload route is refused even with the field (it is never parsed there).
      const multipart = () => {
        const f = new FormData();
        f.append('_csrf', csrf);
        f.append('duration', '2');
        return f;
      };
      expect((await browser.post(`${job}/parameters`, multipart())).status).toBe(403);
      expect((await browser.post('/signout', multipart())).status).toBe(403);
      expect((await browser.get(`${job}/phase`)).text).toBe('PENDING');
      expect((await browser.post(`${job}/parameters`, { duration: '2', _csrf: csrf })).status).toBe(303);
      expect((await browser.get(`${job}/parameters/duration`)).text).toBe('2');
      expect((await browser.req('PUT', `${job}/parameters/duration`, '3', { 'X-CSRF-Token': csrf })).status).toBe(303);
      expect((await browser.get(`${job}/parameters/duration`)).text).toBe('3');
      expect((await browser.req('DELETE', job, undefined, { 'X-CSRF-Token': csrf })).status).toBe(303);
      expect((await browser.get(job)).status).toBe(404);
    });

    it('the session works only for its own user\'s jobs', async () => {
      const bob = new AuthClient(app.baseUrl, basic('bob', 'bob-password-1'));
      const bobs = await bob.create('sleep', { duration: '0' });
      expect((await browser.get(bobs)).status).toBe(403);
      expect((await browser.post(bobs, { ACTION: 'DELETE', _csrf: csrf })).status).toBe(403);
    });

    it('Basic or Bearer clients need no CSRF token, but a cross-site post with Basic is refused', async () => {
      const bob = new AuthClient(app.baseUrl, basic('bob', 'bob-password-1'));
      expect((await bob.post('/rest/sleep', { duration: '0' })).status).toBe(303);
      expect((await bob.post('/rest/sleep', { duration: '0' }, { Origin: 'https://evil.example' })).status).toBe(403);
      expect((await bob.post('/rest/sleep', { duration: '0' }, { Origin: app.baseUrl })).status).toBe(303);
      // With both, the Authorization header decides: no token needed even with a cookie.
      const both = new AuthClient(app.baseUrl, basic('bob', 'bob-password-1'), session);
      const made = await both.post('/rest/sleep', { duration: '0' });
      expect(made.status).toBe(303);
      expect((await both.get(`${made.location}/owner`)).text).toBe('bob');
    });

    it('a tampered or foreign cookie is no session: 401 for programs, the sign-in page for browsers', async () => {
      const [uid, sid, exp, mac] = session.slice('uws_session='.length).split('.');
      for (const value of [`${uid}.${sid}.${Number(exp) + 1000}.${mac}`, `${uid}.${sid}.${exp}.${mac.slice(0, -2)}AA`, 'garbage']) {
        const c = new AuthClient(app.baseUrl, undefined, `uws_session=${value}`);
        expect((await c.get('/rest/sleep')).status).toBe(401);
        expect((await c.get('/forms', { Accept: BROWSER })).status).toBe(303);
      }
    });

    it('sign-out needs the token, clears the cookie, and ends the session on the server', async () => {
      const other = (await signIn(app.baseUrl, 'alice', PASSWORD)).session!;
      const c = new AuthClient(app.baseUrl, undefined, other);
      const form = await c.get('/forms', { Accept: BROWSER });
      const token = attrs(libxml.parseHtml(form.text).get<libxml.Element>('//form[@class="who"]//input[@name="_csrf"]')).value;
      expect((await c.post('/signout', {})).status).toBe(403);
      expect((await c.post('/signout', { _csrf: csrf })).status).toBe(403); // another session's token
      const out = await c.post('/signout', { _csrf: token });
      expect(out.status).toBe(303);
      expect(out.location).toBe(`${app.baseUrl}/signin`);
      expect(setCookies(out).find((l) => l.startsWith('uws_session='))).toMatch(/^uws_session=; Path=\/; Max-Age=0; /);
      // The old cookie no longer works, even if a browser kept it; the first session is unaffected.
      expect((await c.get('/rest/sleep')).status).toBe(401);
      expect((await browser.get('/rest/sleep')).status).toBe(200);
    });
  });
});

describe('session cookies behind an https BASE_URL with a path', () => {
  let app: RunningApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir();
    expect((await userCli(dataDir, ['add', 'alice', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(0);
    app = await startApp({ DATA_DIR: dataDir, ANONYMOUS_ACCESS: 'false', BASE_URL: 'https://uws.example.org/base/' });
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('are Secure and scoped to the base path; redirects use the public URL', async () => {
    // The server itself listens on plain http here; the public URL is what a proxy in front would serve.
    const local = `http://127.0.0.1:${new URL(app.baseUrl).port}`;
    const page = await new AuthClient(local).get('/signin', { Accept: BROWSER });
    expect(setCookies(page).find((c) => c.startsWith('uws_signin='))).toMatch(/; Path=\/base\/signin; .*; HttpOnly; SameSite=Strict; Secure$/);
    const form = { _csrf: hidden(page.text, 'signin-form', '_csrf'), next: '/forms', name: 'alice', password: PASSWORD };
    const r = await new AuthClient(local, undefined, cookiePair(page, 'uws_signin')).post('/signin', form);
    expect(r.status).toBe(303);
    expect(r.location).toBe('https://uws.example.org/base/forms');
    expect(setCookies(r).find((c) => c.startsWith('uws_session='))).toMatch(/; Path=\/base; Max-Age=43200; .*; HttpOnly; SameSite=Lax; Secure$/);
    const browserPage = await new AuthClient(local).get('/forms', { Accept: BROWSER });
    expect(browserPage.location).toBe('https://uws.example.org/base/signin?next=%2Fforms');
  });
});
