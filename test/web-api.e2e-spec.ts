/**
 * The web client's HTTP side on the real application (ANONYMOUS_ACCESS=false): the live phase stream
 * (GET /jobs/events, server-sent events) carries a caller's own jobs only and an administrator's all; the FITS
 * header summary of a result (own jobs only, 400 for a file that is not FITS); the `_redirect` field of the
 * browser forms (same-origin paths only: no open redirect); the job list and details pages (escaping, owners,
 * keyset pages, fragments, run-again link).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killJobGroups, ROOT, RunningApp, startApp, tempDir } from './support/test-app';
import { AuthClient, basic, userCli } from './support/auth-client';
import { EventStream, PhaseEvent } from './support/event-stream';

const PASSWORDS = { alice: 'alice-password-1', bob: 'bob-password-1', root: 'root-password-1' };
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** An attribute value as the browser reads it (Handlebars escapes & = " ' < > and `). */
const unescape = (s: string) =>
  s.replace(/&(amp|quot|lt|gt|#x27|#x3D|#x60);/g, (_, e: string) => ({ amp: '&', quot: '"', lt: '<', gt: '>', '#x27': "'", '#x3D': '=', '#x60': '`' })[e]!);

/** A minimal FITS file: a primary image of 4×3 16-bit pixels and an EVENTS table extension. */
function fitsFile(): Buffer {
  const card = (k: string, v: string) => `${k.padEnd(8)}= ${v.padStart(20)}`.padEnd(80);
  const header = (cards: string[]) => {
    const text = [...cards, 'END'.padEnd(80)].join('');
    return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880), 'latin1');
  };
  const block = (n: number) => Buffer.alloc(Math.ceil(n / 2880) * 2880);
  return Buffer.concat([
    header([card('SIMPLE', 'T'), card('BITPIX', '16'), card('NAXIS', '2'), card('NAXIS1', '4'), card('NAXIS2', '3'), card('OBJECT', "'Crab    '")]),
    block(24),
    header([card('XTENSION', "'BINTABLE'"), card('BITPIX', '8'), card('NAXIS', '2'), card('NAXIS1', '8'), card('NAXIS2', '5'),
      card('PCOUNT', '0'), card('GCOUNT', '1'), card('TFIELDS', '1'), card('TTYPE1', "'ENERGY  '"), card('EXTNAME', "'EVENTS  '")]),
    block(40),
  ]);
}

/** The job plugins, plus "fitscopy": its upload comes back as an image/fits result. */
function pluginsWithFitsCopy(): string {
  const dir = tempDir('uws-web-plugins-');
  fs.cpSync(path.join(ROOT, 'plugins', 'sleep'), path.join(dir, 'sleep'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'fitscopy'));
  fs.writeFileSync(
    path.join(dir, 'fitscopy', 'fitscopy.wadl'),
    fs
      .readFileSync(path.join(ROOT, 'plugins/wordcount/wordcount.wadl'), 'utf8')
      .replace('<resource path="wordcount">', '<resource path="fitscopy">')
      .replace(/<param style="query" name="top"[\s\S]*?<\/param>\s*<param style="query" name="casefold"[\s\S]*?<\/param>/, '')
      .replace(/<param style="query" name="result-id"[\s\S]*?<\/param>/, `<param style="query" name="result-id" type="xs:string">
            <option value="copy" mediaType="image/fits" uh:file="copy.fits"><doc>The upload</doc></option>
          </param>`),
  );
  fs.writeFileSync(path.join(dir, 'fitscopy', 'fitscopy.sh.hbs'), 'cp {{infile}} copy.fits\n');
  return dir;
}

describe('the web client over HTTP', () => {
  let app: RunningApp;
  let dataDir: string;
  let plugins: string;
  let alice: AuthClient;
  let bob: AuthClient;
  let root: AuthClient;

  beforeAll(async () => {
    dataDir = tempDir();
    plugins = pluginsWithFitsCopy();
    for (const [name, password] of Object.entries(PASSWORDS)) {
      const extra = name === 'root' ? ['--admin'] : [];
      expect((await userCli(dataDir, ['add', name, ...extra, '--password-stdin'], `${password}\n`)).code).toBe(0);
    }
    app = await startApp({ DATA_DIR: dataDir, PLUGINS_DIR: plugins, ANONYMOUS_ACCESS: 'false', SIGNIN_RATE_LIMIT: '1000/300' });
    alice = new AuthClient(app.baseUrl, basic('alice', PASSWORDS.alice));
    bob = new AuthClient(app.baseUrl, basic('bob', PASSWORDS.bob));
    root = new AuthClient(app.baseUrl, basic('root', PASSWORDS.root));
  });

  afterAll(async () => {
    await app?.close();
    killJobGroups(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(plugins, { recursive: true, force: true });
  });

  const idOf = (jobUrl: string) => jobUrl.slice(jobUrl.lastIndexOf('/') + 1);

  describe('GET /jobs/events', () => {
    it('needs credentials', async () => {
      expect((await new AuthClient(app.baseUrl).get('/jobs/events', { Accept: 'text/event-stream' })).status).toBe(401);
    });

    it("streams the phases of the caller's own jobs only; an administrator sees everyone's", async () => {
      const streams = {
        alice: await EventStream.open(`${app.baseUrl}/jobs/events`, alice.authorization!),
        bob: await EventStream.open(`${app.baseUrl}/jobs/events`, bob.authorization!),
        root: await EventStream.open(`${app.baseUrl}/jobs/events`, root.authorization!),
      };
      try {
        const a = idOf(await alice.create('sleep', { duration: '0.2', PHASE: 'RUN', RUNID: 'mine' }));
        const b = idOf(await bob.create('sleep', { duration: '0.2', PHASE: 'RUN' }));
        const done = (id: string) => (e: PhaseEvent) => e.id === id && e.phase === 'COMPLETED';
        await streams.alice.until(done(a), "alice's job COMPLETED");
        await streams.bob.until(done(b), "bob's job COMPLETED");
        await streams.root.until(done(a), "alice's job COMPLETED (admin)");
        await streams.root.until(done(b), "bob's job COMPLETED (admin)");
        expect(streams.alice.events.filter((e) => e.id === a).map((e) => e.phase)).toEqual(['QUEUED', 'EXECUTING', 'COMPLETED']);
        expect(streams.alice.events.find((e) => e.id === a)).toMatchObject({ type: 'sleep', owner: 'alice', gone: false });
        expect(streams.alice.events.every((e) => e.id === a)).toBe(true);
        expect(streams.bob.events.every((e) => e.id === b)).toBe(true);
        // Deletion: the owner is told the job is gone.
        await alice.post(`/rest/sleep/${a}`, { ACTION: 'DELETE' });
        await streams.alice.until((e) => e.id === a && e.gone, 'the deletion of alice’s job');
        expect(streams.bob.events.some((e) => e.id === a)).toBe(false);
      } finally {
        for (const s of Object.values(streams)) s.close();
      }
    });
  });

  describe('GET /jobs/{type}/{id}/results/{rid}/fits-header', () => {
    let fitsJob: string;
    let textJob: string;

    beforeAll(async () => {
      const form = (name: string, content: Buffer) => {
        const f = new FormData();
        f.append('infile', new Blob([content]), name);
        f.append('PHASE', 'RUN');
        return f;
      };
      fitsJob = await alice.create('fitscopy', form('events.fits', fitsFile()));
      textJob = await alice.create('fitscopy', form('notes.txt', Buffer.from('SIMPLE? not at all\n'.repeat(200))));
      expect(await alice.settle(fitsJob)).toBe('COMPLETED');
      expect(await alice.settle(textJob)).toBe('COMPLETED');
    });

    const fitsUrl = (jobUrl: string, rid = 'copy') => `/jobs/fitscopy/${idOf(jobUrl)}/results/${rid}/fits-header`;

    it('lists each HDU with EXTNAME, BITPIX, NAXISn and a few keys', async () => {
      const r = await alice.get(fitsUrl(fitsJob), { Accept: 'application/json' });
      expect(r.status).toBe(200);
      const body = JSON.parse(r.text);
      expect(body).toMatchObject({ result: 'copy', mimeType: 'image/fits', truncated: false, size: 4 * 2880 });
      expect(body.hdus).toEqual([
        expect.objectContaining({ index: 0, kind: 'PRIMARY', extname: null, bitpix: 16, naxis: [4, 3], keys: [{ key: 'OBJECT', value: 'Crab' }] }),
        expect.objectContaining({ index: 1, kind: 'BINTABLE', extname: 'EVENTS', bitpix: 8, naxis: [8, 5], columns: ['ENERGY'] }),
      ]);
    });

    it("answers 403 for another user's job (an administrator may), 404 for an unknown result", async () => {
      expect((await bob.get(fitsUrl(fitsJob), { Accept: 'application/json' })).status).toBe(403);
      expect((await root.get(fitsUrl(fitsJob), { Accept: 'application/json' })).status).toBe(200);
      expect((await alice.get(fitsUrl(fitsJob, 'nothing'), { Accept: 'application/json' })).status).toBe(404);
    });

    it('answers 400 for a result that is not a FITS file', async () => {
      const r = await alice.get(fitsUrl(textJob), { Accept: 'application/json' });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error).toMatch(/not a FITS file/);
      expect((await alice.get(fitsUrl(textJob, 'stdout'))).status).toBe(400);
    });
  });

  describe('the _redirect field of the browser forms', () => {
    it('sends the client back to a path of this site, and nowhere else', async () => {
      const job = await alice.create('sleep', { duration: '30' });
      const id = idOf(job);
      const post = (p: string, body: Record<string, string>) => alice.post(p, body);
      expect((await post(`/rest/sleep/${id}/parameters`, { message: 'hi', _redirect: `/jobs/sleep/${id}` })).location).toBe(`${app.baseUrl}/jobs/sleep/${id}`);
      expect((await post(`/rest/sleep/${id}`, { message: 'again', _redirect: '/jobs?phase=PENDING&sort=oldest' })).location).toBe(
        `${app.baseUrl}/jobs?phase=PENDING&sort=oldest`,
      );
      for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', ' /jobs',
        '/jobs\r\nSet-Cookie: x=1', 'http://127.0.0.1:1/', 'jobs', '']) {
        const r = await post(`/rest/sleep/${id}/executionduration`, { EXECUTIONDURATION: '20', _redirect: evil });
        expect([r.status, r.location]).toEqual([303, job]);
      }
      // In the query string too, and for the state changes of the job list's buttons.
      expect((await alice.post(`/rest/sleep/${id}/phase?_redirect=${encodeURIComponent('/jobs')}`, { PHASE: 'RUN' })).location).toBe(`${app.baseUrl}/jobs`);
      const r = await alice.post(`/rest/sleep/${id}/phase`, { PHASE: 'ABORT', _redirect: '//evil.example' });
      expect(r.location).toBe(job);
      const del = await alice.post(`/rest/sleep/${id}`, { ACTION: 'DELETE', _redirect: '/jobs' });
      expect([del.status, del.location]).toEqual([303, `${app.baseUrl}/jobs`]);
    });

    it('is honoured on creation too, and never taken for a job parameter', async () => {
      const created = await alice.post('/rest/sleep', { duration: '1', RUNID: 'redirected', _redirect: '/jobs?sort=oldest' });
      expect([created.status, created.location]).toEqual([303, `${app.baseUrl}/jobs?sort=oldest`]);
      const job = (await alice.json<{ jobs: { href: string; runId: string | null }[] }>('/rest/sleep')).jobs.find((j) => j.runId === 'redirected')!;
      const params = await alice.json(`${job.href}/parameters`);
      expect(JSON.stringify(params)).not.toMatch(/redirect"/i);
      await alice.post(job.href, { ACTION: 'DELETE' });
    });
  });

  describe('the pages', () => {
    it("list the caller's jobs (escaped), an administrator's everyone's with owners, in keyset pages", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push(idOf(await alice.create('sleep', { RUNID: `<b>run ${i}</b>` })));
      const bobs = idOf(await bob.create('sleep', {}));
      const mine = await alice.get('/jobs?type=sleep&phase=PENDING&size=5', { Accept: BROWSER });
      expect(mine.status).toBe(200);
      expect(mine.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
      expect(mine.text).toContain('&lt;b&gt;run 6&lt;/b&gt;');
      expect(mine.text).not.toContain('<b>run');
      const rowIds = (html: string) => [...html.matchAll(/<tr data-job="([^"]+)"/g)].map((m) => m[1]);
      expect(rowIds(mine.text)).toEqual(ids.slice(2).reverse());
      expect(mine.text).not.toContain(bobs);
      const next = unescape(/<a href="([^"]+)" rel="next">/.exec(mine.text)![1]);
      const older = await alice.get(next, { Accept: BROWSER });
      expect(rowIds(older.text)).toEqual(ids.slice(0, 2).reverse());
      expect(older.text).not.toContain('rel="next"');
      const oldest = await alice.get('/jobs?type=sleep&phase=PENDING&sort=oldest&size=5&fragment=1', { Accept: BROWSER });
      expect(rowIds(oldest.text)).toEqual(ids.slice(0, 5));
      expect(oldest.text).not.toMatch(/<html|<style|<script/);
      const all = await root.get('/jobs?type=sleep&phase=PENDING', { Accept: BROWSER });
      expect(rowIds(all.text)).toEqual(expect.arrayContaining([...ids, bobs]));
      expect(all.text).toContain('<td data-label="Owner">bob</td>');
      expect(rowIds((await root.get('/jobs?type=sleep&phase=PENDING&owner=bob', { Accept: BROWSER })).text)).toEqual([bobs]);
    });

    it('show a job with a run-again link to its pre-filled form, and a 403 page to anyone else', async () => {
      const job = await alice.create('sleep', { duration: '2.5', message: 'say "hi" & <bye>', RUNID: 'again' });
      const page = await alice.get(`/jobs/sleep/${idOf(job)}`, { Accept: BROWSER });
      expect(page.status).toBe(200);
      expect(page.text).toContain('say &quot;hi&quot; &amp; &lt;bye&gt;');
      const again = unescape(/<a class="btn" href="([^"]+)">Run again/.exec(page.text)![1]);
      expect(new URL(again).pathname).toBe('/forms/sleep');
      const form = await alice.get(again, { Accept: BROWSER });
      expect(form.text).toMatch(/name="duration" value="2.5"/);
      expect(form.text).toContain('name="message" value="say &quot;hi&quot; &amp; &lt;bye&gt;"');
      expect(form.text).toMatch(/name="RUNID" value="again"/);
      const other = await bob.get(`/jobs/sleep/${idOf(job)}`, { Accept: BROWSER });
      expect(other.status).toBe(403);
      expect(other.type).toMatch(/^text\/html/);
      expect(other.text).toContain('is not your job');
      expect((await bob.get(`/jobs/sleep/${idOf(job)}/edit`, { Accept: BROWSER })).status).toBe(403);
      expect((await alice.get('/jobs/sleep/nosuchjob', { Accept: BROWSER })).status).toBe(404);
      const edit = await alice.get(`/jobs/sleep/${idOf(job)}/edit`, { Accept: BROWSER });
      expect(edit.text).toContain(`action="${job}/parameters"`);
      expect(edit.text).toContain(`name="_redirect" value="/jobs/sleep/${idOf(job)}"`);
    });
  });
});
