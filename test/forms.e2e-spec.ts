/**
 * The generated descriptions end to end: the HTML form and index, the JSON form description, the service WADL,
 * the browser redirect from the job list, and a job created and run by submitting the form as a browser would.
 * Runs on a copy of the plugins with an extra plugin whose WADL text tries to inject markup, and a broken one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libxml from 'libxmljs2';
import { parseWadl } from '../src/descriptor/wadl.parser';
import { validateWadlSchema } from '../src/descriptor/wadl.schema';
import { killJobGroups, ROOT, RunningApp, startApp, tempDir } from './support/test-app';
import { send, UwsClient } from './support/uws-client';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const EVIL = '<script>alert(1)</script>';
/** EVIL as it must appear in HTML text or attributes (Handlebars escaping). */
const EVIL_HTML = '&lt;script&gt;alert(1)&lt;/script&gt;';

const attrs = (el: libxml.Element): Record<string, string> => Object.fromEntries(el.attrs().map((a) => [a.name(), a.value()]));

/**
 * The form data set a browser builds from the rendered form (HTML's "constructing the entry list"): named
 * inputs with their values, checked radios only, selected options, and the submitter button's name=value.
 * Then what the page's own `formdata` handler does: empty values are left out.
 */
function browserFormData(html: string, change: Record<string, string> = {}, submitter: 'run' | 'create' = 'run'): FormData {
  const doc = libxml.parseHtml(html);
  const form = doc.get<libxml.Element>('//form[@id="job-form"]')!;
  const entries: [string, string][] = [];
  for (const el of form.find<libxml.Element>('.//input[@name]|.//select[@name]')) {
    const a = attrs(el);
    if ('disabled' in a) continue;
    if (el.name() === 'select') {
      const chosen = el.find<libxml.Element>('option').filter((o) => 'selected' in attrs(o));
      const value = change[a.name] ?? (chosen[0] ? attrs(chosen[0]).value : attrs(el.find<libxml.Element>('option')[0]).value);
      entries.push([a.name, value]);
    } else if (a.type === 'radio') {
      const checked = a.name in change ? change[a.name] === a.value : 'checked' in a;
      if (checked) entries.push([a.name, a.value]);
    } else if (a.type === 'file') {
      continue; // no file chosen: the page's handler leaves the empty file out
    } else {
      entries.push([a.name, change[a.name] ?? a.value ?? '']);
    }
  }
  const buttons = form.find<libxml.Element>('.//button[@type="submit"]').map(attrs);
  const button = submitter === 'run' ? buttons[0] : buttons[1];
  if (button.name) entries.push([button.name, button.value]);
  const fd = new FormData();
  for (const [k, v] of entries) if (v !== '') fd.append(k, v);
  return fd;
}

function copyPlugins(): string {
  const dir = tempDir('uws-forms-plugins-');
  for (const type of ['sleep', 'wordcount']) fs.cpSync(path.join(ROOT, 'plugins', type), path.join(dir, type), { recursive: true });
  // "evil": sleep with markup in every text a form shows (written escaped in the XML, so the WADL is valid)
  const xmlEvil = '&lt;script&gt;alert(1)&lt;/script&gt;';
  const wadl = fs
    .readFileSync(path.join(ROOT, 'plugins/sleep/sleep.wadl'), 'utf8')
    .replace('<resource path="sleep">', '<resource path="evil">')
    .replace(/(<doc title="description">)[^<]*/, `$1Sleeps ${xmlEvil}`)
    .replace('<doc>How long to sleep</doc>', `<doc>How long ${xmlEvil}</doc>`)
    .replace('default="hello"', `default="hi &quot;${xmlEvil}"`)
    .replace('uh:unit="s"', `uh:unit="${xmlEvil}"`)
    .replace('<doc>What the job did</doc>', `<doc>Report ${xmlEvil}</doc>`);
  fs.mkdirSync(path.join(dir, 'evil'));
  fs.writeFileSync(path.join(dir, 'evil', 'evil.wadl'), wadl);
  fs.copyFileSync(path.join(ROOT, 'plugins/sleep/sleep.sh.hbs'), path.join(dir, 'evil', 'evil.sh.hbs'));
  // "broken": no results declared, so the plugin is unavailable
  fs.mkdirSync(path.join(dir, 'broken'));
  fs.writeFileSync(path.join(dir, 'broken', 'broken.wadl'), wadl.replace(/<param style="query" name="result-id"[\s\S]*?<\/param>/, ''));
  fs.writeFileSync(path.join(dir, 'broken', 'broken.sh.hbs'), 'echo hi\n');
  return dir;
}

describe('generated descriptions: forms, JSON, service WADL', () => {
  let app: RunningApp;
  let c: UwsClient;
  let pluginsDir: string;

  beforeAll(async () => {
    pluginsDir = copyPlugins();
    app = await startApp({ PLUGINS_DIR: pluginsDir, MAX_EXECUTION_DURATION: '3600' });
    c = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    if (app) {
      killJobGroups(app.dataDir);
      await app.close();
    }
  });

  const page = async (p: string, headers: Record<string, string> = {}) => {
    const r = await send(`${app.baseUrl}${p}`, { headers });
    return { ...r, doc: libxml.parseHtml(r.text) };
  };

  describe('GET /forms/sleep', () => {
    let r: Awaited<ReturnType<typeof page>>;
    beforeAll(async () => {
      r = await page('/forms/sleep');
    });

    const input = (name: string) => {
      const found = r.doc.find<libxml.Element>(`//form//*[@name="${name}"]`);
      expect(found.length).toBeGreaterThan(0);
      return found.map(attrs);
    };

    it('is an HTML page with a CSP that allows only its own inline style and script', async () => {
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/html/);
      const res = await fetch(`${app.baseUrl}/forms/sleep`);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toMatch(/default-src 'none'/);
      const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      const doc = libxml.parseHtml(await res.text());
      expect(doc.find<libxml.Element>('//script|//style').map((e) => attrs(e).nonce)).toEqual([nonce, nonce]);
    });

    it('posts multipart to the absolute job list URL, with PHASE=RUN on the main button', () => {
      expect(attrs(r.doc.get<libxml.Element>('//form[@id="job-form"]')!)).toMatchObject({
        action: `${app.baseUrl}/rest/sleep`,
        method: 'POST',
        enctype: 'multipart/form-data',
      });
      expect(input('PHASE')).toEqual([{ type: 'submit', class: 'primary', name: 'PHASE', value: 'RUN' }]);
      expect(r.doc.find<libxml.Element>('//button[not(@name)]').map((b) => b.text())).toEqual(['Create without starting']);
    });

    it('has one control per parameter with its type, limits, step, default and help', () => {
      expect(input('duration')).toEqual([expect.objectContaining({ type: 'number', min: '0', max: '3600', step: 'any', value: '1' })]);
      expect(input('exitcode')).toEqual([expect.objectContaining({ type: 'number', min: '1', max: '255', step: '1', value: '3' })]);
      expect(input('message')).toEqual([expect.objectContaining({ type: 'text', value: 'hello' })]);
      expect(input('fail').map((a) => `${a.type}:${a.value}:${'checked' in a}`)).toEqual(['radio:true:false', 'radio:false:true']);
      expect(r.text).toContain('How long to sleep');
      expect(r.text).toContain('Exit code used when failing');
      expect(r.doc.get<libxml.Element>('//input[@name="duration"]/ancestor::div[@class="field"]//span[@class="unit"]')!.text()).toBe('s');
      expect(input('EXECUTIONDURATION')).toEqual([expect.objectContaining({ type: 'number', value: '120', min: '0', max: '3600', step: '1' })]);
      expect(input('RUNID')).toEqual([expect.objectContaining({ type: 'text' })]);
      expect(input('DESTRUCTION')).toEqual([expect.objectContaining({ type: 'datetime-local' })]);
    });

    it('takes its title and description from the WADL', () => {
      expect(r.doc.get<libxml.Element>('//title')!.text()).toMatch(/^sleep/);
      expect(r.doc.get<libxml.Element>('//p[@class="lead"]')!.text()).toMatch(/^Sleeps for a given time/);
    });
  });

  it('marks required parameters (wordcount infile: attribute and visible *)', async () => {
    const r = await page('/forms/wordcount');
    const infile = r.doc.get<libxml.Element>('//input[@name="infile"]')!;
    expect(attrs(infile)).toMatchObject({ type: 'file' });
    expect(attrs(infile)).toHaveProperty('required');
    expect(infile.get<libxml.Element>('ancestor::div[@class="field"]//abbr[@class="req"]')!.text()).toBe('*');
  });

  it('escapes every text that comes from the WADL', async () => {
    const form = await page('/forms/evil');
    expect(form.status).toBe(200);
    expect(form.text).not.toContain(EVIL);
    expect(form.text).toContain(`Sleeps ${EVIL_HTML}`);
    expect(form.text).toContain(`How long ${EVIL_HTML}`);
    expect(form.text).toContain(`Report ${EVIL_HTML}`);
    expect(form.doc.find('//script')).toHaveLength(1); // the page's own
    expect(attrs(form.doc.get<libxml.Element>('//input[@name="message"]')!).value).toBe(`hi "${EVIL}`);
    const index = await page('/forms');
    expect(index.text).not.toContain(EVIL);
    expect(index.text).toContain(EVIL_HTML);
    const json = await send(`${app.baseUrl}/forms/evil/description`);
    expect(JSON.parse(json.text).description).toBe(`Sleeps ${EVIL}`);
  });

  it('GET /forms lists the job types, unavailable ones with their problems', async () => {
    const r = await page('/forms');
    expect(r.status).toBe(200);
    const links = r.doc.find<libxml.Element>('//ul[@class="types"]/li/h2/a').map((a) => [a.text(), attrs(a).href]);
    expect(links).toEqual([
      ['evil', `${app.baseUrl}/forms/evil`],
      ['sleep', `${app.baseUrl}/forms/sleep`],
      ['wordcount', `${app.baseUrl}/forms/wordcount`],
    ]);
    const broken = r.doc.get<libxml.Element>('//ul[@class="types"]/li[.//span[@class="badge"]]')!;
    expect(broken.get<libxml.Element>('h2')!.text()).toMatch(/^broken/);
    expect(broken.get<libxml.Element>('.//ul[@class="problems"]')!.text()).toMatch(/no results declared/);
  });

  it('answers unknown types with a 404 page and unavailable ones with a 503 page', async () => {
    const missing = await page('/forms/nope');
    expect(missing.status).toBe(404);
    expect(missing.type).toMatch(/^text\/html/);
    expect(missing.doc.get<libxml.Element>('//h1')!.text()).toMatch(/404/);
    const broken = await page('/forms/broken');
    expect(broken.status).toBe(503);
    expect(broken.text).toMatch(/no results declared/);
    expect((await send(`${app.baseUrl}/forms/nope/description`)).status).toBe(404);
    expect((await send(`${app.baseUrl}/wadl/broken`)).status).toBe(503);
  });

  it('GET /forms/sleep/description: the same description as JSON', async () => {
    const r = await send(`${app.baseUrl}/forms/sleep/description`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    const d = JSON.parse(r.text);
    expect(d).toMatchObject({
      type: 'sleep',
      submit: { url: `${app.baseUrl}/rest/sleep`, method: 'POST', enctype: 'multipart/form-data' },
      results: [{ id: 'report', mediaType: 'text/plain', file: 'report.txt', doc: 'What the job did' }],
      executionDuration: { default: 120, max: 3600 },
      quote: 5,
    });
    expect(d.parameters).toEqual([
      { name: 'duration', type: 'double', required: false, default: '1', repeating: false, fixed: null, choices: null,
        min: 0, max: 3600, unit: 's', pattern: null, maxSize: null, doc: 'How long to sleep', input: 'number' },
      expect.objectContaining({ name: 'fail', type: 'boolean', default: 'false', input: 'checkbox' }),
      expect.objectContaining({ name: 'exitcode', type: 'int', min: 1, max: 255, input: 'number' }),
      expect.objectContaining({ name: 'message', type: 'string', default: 'hello', input: 'text' }),
    ]);
  });

  it('GET /wadl/sleep: the service WADL, valid against the WADL schema and equivalent to the plugin', async () => {
    // plain fetch: send() would check the document against the UWS schema
    const res = await fetch(`${app.baseUrl}/wadl/sleep`);
    const r = { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/xml/);
    expect(validateWadlSchema(r.text, 'service.wadl')).toEqual([]);
    expect(r.text).toContain(`<resources base="${app.baseUrl}/rest/">`);
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'line' ? undefined : v)));
    const plugin = parseWadl(fs.readFileSync(path.join(pluginsDir, 'sleep/sleep.wadl'), 'utf8'), { file: 'sleep.wadl', type: 'sleep' });
    const back = parseWadl(r.text, { file: 'service.wadl', type: 'sleep' });
    expect(back.messages).toEqual([]);
    expect(strip(back.descriptor)).toEqual(strip(plugin.descriptor));
  });

  it('a browser asking for the job list is sent to the form; programs still get XML or JSON', async () => {
    const r = await send(`${app.baseUrl}/rest/sleep`, { headers: { Accept: BROWSER_ACCEPT } });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${app.baseUrl}/forms/sleep`);
    const form = await page(new URL(r.location).pathname, { Accept: BROWSER_ACCEPT });
    expect(form.status).toBe(200);
    expect(form.doc.get('//form[@id="job-form"]')).toBeTruthy();
    expect((await c.get('/rest/sleep')).type).toMatch(/xml/);
    expect((await c.get('/rest/sleep', { Accept: '*/*' })).type).toMatch(/xml/);
    expect((await c.get('/rest/sleep', { Accept: 'application/json' })).type).toMatch(/json/);
  });

  describe('submitting the form as a browser does', () => {
    let html: string;
    beforeAll(async () => {
      html = (await send(`${app.baseUrl}/forms/sleep`)).text;
    });
    const action = () => attrs(libxml.parseHtml(html).get<libxml.Element>('//form')!).action;
    const param = (xml: string, id: string) => new RegExp(`<uws:parameter id="${id}"[^>]*>([^<]*)</uws:parameter>`).exec(xml)?.[1];

    it('"Create and run" with the defaults and the boolean left at "no" runs a job that completes', async () => {
      const fd = browserFormData(html, { duration: '0.2', message: 'from the form', RUNID: 'web-1' });
      expect(fd.getAll('fail')).toEqual(['false']);
      expect(fd.get('PHASE')).toBe('RUN');
      const r = await c.post(action(), fd);
      expect(r.status).toBe(303);
      expect(r.location).toMatch(new RegExp(`^${app.baseUrl}/rest/sleep/[^/]+$`));
      expect(await c.settle(r.location)).toBe('COMPLETED');
      const job = (await c.get(r.location)).text;
      expect(param(job, 'fail')).toBe('false');
      expect(param(job, 'duration')).toBe('0.2');
      expect(param(job, 'message')).toBe('from the form');
      expect(job).toContain('<uws:runId>web-1</uws:runId>');
      expect(job).toContain('<uws:executionDuration>120</uws:executionDuration>');
    });

    it('choosing "yes" on the boolean sends one value, true, and the job fails as told', async () => {
      const fd = browserFormData(html, { duration: '0', fail: 'true' });
      expect(fd.getAll('fail')).toEqual(['true']);
      const r = await c.post(action(), fd);
      expect(r.status).toBe(303);
      expect(await c.settle(r.location)).toBe('ERROR');
      expect(param((await c.get(r.location)).text, 'fail')).toBe('true');
    });

    it('"Create without starting" leaves the job PENDING', async () => {
      const fd = browserFormData(html, {}, 'create');
      expect(fd.has('PHASE')).toBe(false);
      const r = await c.post(action(), fd);
      expect(r.status).toBe(303);
      expect(await c.phase(r.location)).toBe('PENDING');
    });
  });
});
