import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, RunningApp, startApp, tempDir } from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

/** Drop-in job types: a folder added, broken, fixed, changed and removed while the server runs. */
describe('plugins dropped into a running server', () => {
  let app: RunningApp;
  let uws: UwsClient;
  let pluginsDir: string;

  const wadl = (type: string, extra = '') => `<?xml version="1.0"?>
<application xmlns="http://wadl.dev.java.net/2009/02" xmlns:xs="http://www.w3.org/2001/XMLSchema"
             xmlns:uh="urn:uws-host:wadl-ext:1">
  <doc title="description">Echo test job</doc>
  <resources base="/rest/">
    <resource path="${type}">
      <method name="POST">
        <request>
          <param style="query" name="word" type="xs:string" default="hi"><doc>What to echo</doc></param>
          <param style="query" name="n" type="xs:int" default="1" uh:min="1" uh:max="5"/>
          ${extra}
          <param style="query" name="result-id" type="xs:string">
            <option value="out" mediaType="text/plain" uh:file="out.txt"/>
          </param>
        </request>
      </method>
    </resource>
  </resources>
</application>`;

  const write = (type: string, wadlText: string, template: string) => {
    const dir = path.join(pluginsDir, type);
    fs.mkdirSync(dir, { recursive: true });
    // Template first, WADL last: the folder is complete once the WADL appears.
    fs.writeFileSync(path.join(dir, `${type}.sh.hbs`), template);
    fs.writeFileSync(path.join(dir, `${type}.wadl`), wadlText);
  };

  async function typeState(type: string): Promise<{ available: boolean; problems: string[] } | undefined> {
    const r = await fetch(`${app.baseUrl}/rest`);
    const body = (await r.json()) as { jobTypes: { type: string; available: boolean; problems: string[] }[] };
    return body.jobTypes.find((t) => t.type === type);
  }

  /** Waits until the server's view of a type satisfies `ok` (rescans happen every 2 s; 5 s is the promise). */
  async function until(type: string, ok: (s: Awaited<ReturnType<typeof typeState>>) => boolean): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < 10000) {
      if (ok(await typeState(type))) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`plugin ${type} did not reach the expected state: ${JSON.stringify(await typeState(type))}`);
  }

  beforeAll(async () => {
    pluginsDir = tempDir('uws-plugins-');
    fs.cpSync(path.join(ROOT, 'plugins', 'sleep'), path.join(pluginsDir, 'sleep'), { recursive: true });
    app = await startApp({ PLUGINS_DIR: pluginsDir });
    uws = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('picks up a new folder within 5 s and runs its jobs', async () => {
    expect((await uws.post('/rest/echo', { word: 'x' })).status).toBe(404);
    write('echo', wadl('echo'), 'for i in $(seq {{n}}); do printf "%s\\n" {{word}}; done > out.txt\n');
    const waited = await until('echo', (s) => !!s?.available);
    expect(waited).toBeLessThan(5000);
    const job = await uws.create('echo', { word: 'drop-in', n: '2', PHASE: 'RUN' });
    expect(await uws.settle(job)).toBe('COMPLETED');
    expect((await uws.get(`${job}/results/out`)).text).toBe('drop-in\ndrop-in\n');
  });

  it('lists a broken WADL as unavailable with file, line and reason, and refuses jobs', async () => {
    write('echo', wadl('echo', '<param style="query" name="bad" type="xs:nonsense"/>'), 'echo {{word}} > out.txt\n');
    await until('echo', (s) => s?.available === false);
    const s = await typeState('echo');
    expect(s!.problems.join('\n')).toMatch(/echo\.wadl:\d+: error: .*xs:nonsense/);
    const r = await uws.post('/rest/echo', { word: 'x' });
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/unavailable/);
    // The rest of the service carries on.
    expect((await uws.post('/rest/sleep', { duration: '0' })).status).toBe(303);
  });

  it('lists a template naming an undeclared variable as unavailable', async () => {
    write('echo', wadl('echo'), 'echo {{wrod}} > out.txt\n');
    await until('echo', (s) => s?.available === false && s.problems.some((p) => p.includes('wrod')));
    expect((await typeState('echo'))!.problems.join('\n')).toMatch(/echo\.sh\.hbs:1: error: .*wrod/);
  });

  it('a fixed folder comes back; a change leaves jobs created before it on their old version', async () => {
    write('echo', wadl('echo'), 'printf "v1 %s\\n" {{word}} > out.txt\n');
    await until('echo', (s) => !!s?.available);
    const old = await uws.create('echo', { word: 'a' });
    // Change the template (and the WADL's limits): new jobs see the new version, the old job keeps v1.
    write('echo', wadl('echo').replace('uh:max="5"', 'uh:max="9"'), 'printf "v2 %s\\n" {{word}} > out.txt\n');
    await until('echo', () => true);
    const t0 = Date.now();
    let fresh = '';
    while (Date.now() - t0 < 8000) {
      const r = await uws.post('/rest/echo', { word: 'b', n: '7' });
      if (r.status === 303) {
        fresh = r.location;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(fresh).not.toBe('');
    await uws.post(`${old}/phase`, { PHASE: 'RUN' });
    await uws.post(`${fresh}/phase`, { PHASE: 'RUN' });
    expect(await uws.settle(old)).toBe('COMPLETED');
    expect(await uws.settle(fresh)).toBe('COMPLETED');
    expect((await uws.get(`${old}/results/out`)).text).toBe('v1 a\n');
    expect((await uws.get(`${fresh}/results/out`)).text).toBe('v2 b\n');
  });

  it('a removed folder disappears; existing jobs stay readable', async () => {
    const job = await uws.create('echo', { word: 'c', PHASE: 'RUN' });
    expect(await uws.settle(job)).toBe('COMPLETED');
    fs.rmSync(path.join(pluginsDir, 'echo'), { recursive: true });
    await until('echo', (s) => s === undefined);
    expect((await uws.post('/rest/echo', { word: 'x' })).status).toBe(404);
    const doc = await uws.get(job);
    expect(doc.status).toBe(200);
    expect(xmlValue(doc.text, 'phase')).toBe('COMPLETED');
  });
});
