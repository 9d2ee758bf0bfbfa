/**
 * Uploads over real HTTP against the real application: the wordcount job type (a file parameter sent as
 * multipart/form-data) from upload to results, hostile file names, size limits; malformed requests that must
 * never be a 500; and the JSON views of the UWS resources.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunningApp, startApp } from './support/test-app';
import { send, UwsClient, xmlValue } from './support/uws-client';

const TEXT = 'the quick brown fox\nThe lazy dog\nthe end\n';
const COUNTS = `lines 3\nwords 9\nbytes ${Buffer.byteLength(TEXT)}\n`;
const FREQUENCIES = 'the\t3\nbrown\t1\ndog\t1\nend\t1\nfox\t1\nlazy\t1\nquick\t1\n';

function upload(filename: string, content: string | Uint8Array = TEXT, extra: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(extra)) fd.append(k, v);
  fd.append('infile', new Blob([content], { type: 'text/plain' }), filename);
  return fd;
}

/** The by-reference parameter `id` of a job or parameters document. */
function referenceOf(xml: string, id: string): string | undefined {
  return new RegExp(`<uws:parameter id="${id}" byReference="true">([^<]*)</uws:parameter>`).exec(xml)?.[1];
}

describe('wordcount: uploads', () => {
  let app: RunningApp;
  let c: UwsClient;
  beforeAll(async () => {
    app = await startApp();
    c = new UwsClient(app.baseUrl);
  });
  afterAll(async () => {
    await app?.close();
    if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
  });

  const inputsOf = (url: string) => fs.readdirSync(path.join(app.dataDir, 'jobs', url.split('/').pop()!, 'inputs'));

  /** Uploads, runs, and checks the counts and frequencies: the job works whatever the file was called. */
  const runAndCheck = async (url: string) => {
    expect((await c.post(`${url}/phase`, { PHASE: 'RUN' })).status).toBe(303);
    expect(await c.settle(url)).toBe('COMPLETED');
    const results = await c.get(`${url}/results`);
    expect(results.status).toBe(200);
    expect(results.text).toMatch(/<uws:result [^>]*id="counts"[^>]*mime-type="text\/plain"/);
    expect(results.text).toMatch(/<uws:result [^>]*id="frequencies"[^>]*mime-type="text\/tab-separated-values"/);
    const counts = await c.get(`${url}/results/counts`);
    expect(counts.status).toBe(200);
    expect(counts.type).toMatch(/^text\/plain/);
    expect(counts.text).toBe(COUNTS);
    const freq = await c.get(`${url}/results/frequencies`);
    expect(freq.status).toBe(200);
    expect(freq.type).toMatch(/^text\/tab-separated-values/);
    expect(freq.text).toBe(FREQUENCIES);
  };

  it('a small text file: PENDING, run, COMPLETED, correct counts and frequencies', async () => {
    const url = await c.create('wordcount', upload('words.txt'));
    expect(await c.phase(url)).toBe('PENDING');
    await runAndCheck(url);
    const sizes = (await c.get(`${url}/results`)).text;
    expect(Number(/id="counts"[^>]*size="(\d+)"/.exec(sizes)?.[1])).toBe(Buffer.byteLength(COUNTS));
  });

  it('infile is shown byReference with a URL that serves the uploaded bytes back', async () => {
    const bytes = new Uint8Array([...Buffer.from(TEXT), 0xc3, 0xa9, 0x0a]);
    const url = await c.create('wordcount', upload('bytes.txt', bytes));
    const href = referenceOf((await c.get(url)).text, 'infile');
    expect(href).toBe(`${url}/parameters/infile`);
    expect(referenceOf((await c.get(`${url}/parameters`)).text, 'infile')).toBe(href);
    const r = await fetch(href!);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('PHASE=RUN and other parameters travel in the same multipart body', async () => {
    const url = await c.create('wordcount', upload('w.txt', TEXT, { PHASE: 'RUN', top: '2', casefold: 'false' }));
    expect(await c.settle(url)).toBe('COMPLETED');
    expect((await c.get(`${url}/results/frequencies`)).text).toBe('the\t2\nThe\t1\n');
  });

  it.each(['../../etc/passwd', 'a;rm -rf ~.txt', '$(touch pwned).txt', '`id`', '.hidden', 'x\\..\\..\\y.txt'])(
    'a hostile upload name %j is stored sanitised and the job still works',
    async (name) => {
      const url = await c.create('wordcount', upload(name));
      const stored = inputsOf(url);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
      const back = await c.get(`${url}/parameters/infile`);
      expect(back.status).toBe(200);
      expect(back.text).toBe(TEXT);
      await runAndCheck(url);
      const dir = path.join(app.dataDir, 'jobs', url.split('/').pop()!);
      expect(fs.existsSync(path.join(dir, 'pwned'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'inputs', 'pwned'))).toBe(false);
    },
  );

  it('an upload named only ".." is never stored outside the job: 400 naming infile, or stored sanitised', async () => {
    const r = await c.post('/rest/wordcount', upload('..'));
    if (r.status === 400) expect(r.text).toMatch(/infile/);
    else {
      expect(r.status).toBe(303);
      expect(inputsOf(r.location)[0]).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
    }
    expect(fs.readdirSync(path.join(app.dataDir, 'uploads'))).toEqual([]);
  });

  it('an upload bigger than the WADL maxSize (10 MiB) is 413 with a message, and not kept', async () => {
    const big = new Uint8Array(10 * 1024 * 1024 + 1).fill(0x61);
    const r = await c.post('/rest/wordcount', upload('big.txt', big));
    expect([413, 400]).toContain(r.status);
    expect(r.text).toMatch(/infile/);
    expect(fs.readdirSync(path.join(app.dataDir, 'uploads'))).toEqual([]);
  });

  it('a missing upload is 400 naming infile', async () => {
    const r = await c.post('/rest/wordcount', { top: '3' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/infile/);
  });

  it('a file parameter sent as a plain form value (a server path) is refused with 400', async () => {
    for (const value of ['../../../../../../../../etc/passwd', '/etc/passwd']) {
      const r = await c.post('/rest/wordcount', { infile: value, PHASE: 'RUN' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/infile/);
    }
  });

  it('a file parameter cannot be changed by a form update or a PUT', async () => {
    const url = await c.create('wordcount', upload('w.txt'));
    expect((await c.post(`${url}/parameters`, { infile: '/etc/passwd' })).status).toBe(400);
    const put = await send(`${url}/parameters/infile`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '/etc/passwd' });
    expect(put.status).toBe(400);
    expect((await c.get(`${url}/parameters/infile`)).text).toBe(TEXT);
  });

  it('invalid parameters with an upload: 400 naming them, the upload not kept', async () => {
    const r = await c.post('/rest/wordcount', upload('w.txt', TEXT, { top: '0', casefold: 'perhaps' }));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/top/);
    expect(r.text).toMatch(/casefold/);
    expect(fs.readdirSync(path.join(app.dataDir, 'uploads'))).toEqual([]);
  });
});

describe('malformed requests are 4xx, never 500 (MAX_UPLOAD_BYTES=65536)', () => {
  let app: RunningApp;
  let c: UwsClient;
  beforeAll(async () => {
    app = await startApp({ MAX_UPLOAD_BYTES: '65536' });
    c = new UwsClient(app.baseUrl);
  });
  afterAll(async () => {
    await app?.close();
    if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
  });

  it('WAIT=abc is 400 naming WAIT', async () => {
    const url = await c.create('sleep', {});
    const r = await c.get(`${url}?WAIT=abc`);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/WAIT/);
    expect((await c.get(`${url}?WAIT=1&PHASE=RUNNING`)).status).toBe(400);
  });

  it('a malformed multipart body is 400', async () => {
    const bad = await send(`${app.baseUrl}/rest/sleep`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="duration"\r\n\r\n1\r\n--XY',
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const noBoundary = await send(`${app.baseUrl}/rest/sleep`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'garbage',
    });
    expect(noBoundary.status).toBeGreaterThanOrEqual(400);
    expect(noBoundary.status).toBeLessThan(500);
  });

  it('a huge form field is refused with 413 (or 400) and a message', async () => {
    const huge = 'x'.repeat(3 * 1024 * 1024);
    const form = await c.post('/rest/sleep', { message: huge });
    expect([400, 413]).toContain(form.status);
    expect(form.text.length).toBeGreaterThan(0);
    const fd = new FormData();
    fd.append('message', huge);
    const multi = await c.post('/rest/sleep', fd);
    expect([400, 413]).toContain(multi.status);
    expect(multi.text.length).toBeGreaterThan(0);
  });

  it('a malformed JSON body and empty bodies on control resources are 400', async () => {
    const url = await c.create('sleep', {});
    const json = await send(`${url}/phase`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(json.status).toBe(400);
    for (const sub of ['phase', 'executionduration', 'destruction']) {
      const r = await send(`${url}/${sub}`, { method: 'POST' });
      expect(r.status).toBe(400);
    }
    const empty = await send(`${url}/phase`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(empty.status).toBe(400);
  });

  it('an upload over MAX_UPLOAD_BYTES is 413 with a message, and not kept', async () => {
    const r = await c.post('/rest/wordcount', upload('big.txt', new Uint8Array(100_000).fill(0x62)));
    expect(r.status).toBe(413);
    expect(r.text.length).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(app.dataDir, 'uploads'))).toEqual([]);
  });

  it('too many fields or files, a bad charset or encoding: 4xx', async () => {
    const many = new URLSearchParams();
    const manyParts = new FormData();
    for (let i = 0; i < 1500; i++) {
      many.append(`p${i}`, 'x');
      manyParts.append(`p${i}`, 'x');
    }
    const files = new FormData();
    for (let i = 0; i < 25; i++) files.append('infile', new Blob(['x']), `f${i}.txt`);
    const form = 'application/x-www-form-urlencoded';
    const answers = [
      await send(`${app.baseUrl}/rest/sleep`, { method: 'POST', body: many }),
      await c.post('/rest/sleep', manyParts),
      await c.post('/rest/wordcount', files),
      await send(`${app.baseUrl}/rest/sleep`, { method: 'POST', headers: { 'content-type': `${form}; charset=klingon` }, body: 'a=b' }),
      await send(`${app.baseUrl}/rest/sleep`, { method: 'POST', headers: { 'content-type': form, 'content-encoding': 'gzip' }, body: 'a=b' }),
      await send(`${app.baseUrl}/rest/sleep/%zz`),
    ];
    for (const [i, r] of answers.entries()) {
      expect([i, r.status >= 400 && r.status < 500]).toEqual([i, true]);
    }
  });

  it('parameter names like __proto__ and constructor are data: 400 unknown parameter, or ignored', async () => {
    const url = await c.create('sleep', {});
    const json = { 'content-type': 'application/json' };
    const multipart = new FormData();
    multipart.append('__proto__', 'x');
    const refused = [
      await send(`${app.baseUrl}/rest/sleep?__proto__=x`, { method: 'POST' }),
      await c.post('/rest/sleep', { constructor: 'x' }),
      await send(`${app.baseUrl}/rest/sleep`, { method: 'POST', headers: json, body: '{"__proto__":"x"}' }),
      await c.post('/rest/sleep', multipart),
      await send(`${url}/parameters/__proto__`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      await send(`${url}/parameters?toString=x`, { method: 'POST' }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/__proto__|constructor|toString/);
    }
    expect((await c.get('/rest/sleep?__proto__=x')).status).toBe(200);
    expect((await c.get(`${url}?__proto__=x&constructor=y`)).status).toBe(200);
    expect((await c.get(`${url}/parameters/__proto__`)).status).toBe(404);
  });

  it('a file upload to a job type without file parameters is 400', async () => {
    const fd = new FormData();
    fd.append('duration', '1');
    fd.append('message', new Blob(['abc']), 'm.txt');
    const r = await c.post('/rest/sleep', fd);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/message/);
  });
});

describe('JSON views (Accept: application/json)', () => {
  let app: RunningApp;
  let c: UwsClient;
  let sleep: string;
  let wc: string;
  beforeAll(async () => {
    app = await startApp();
    c = new UwsClient(app.baseUrl);
    sleep = await c.create('sleep', { duration: '0', PHASE: 'RUN', message: 'all good', RUNID: 'js' });
    wc = await c.create('wordcount', upload('w.txt', TEXT, { PHASE: 'RUN' }));
    expect(await c.settle(sleep)).toBe('COMPLETED');
    expect(await c.settle(wc)).toBe('COMPLETED');
  });
  afterAll(async () => {
    await app?.close();
    if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
  });

  const json = async (url: string) => {
    const r = await send(url, { headers: { accept: 'application/json' } });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/application\/json/);
    return JSON.parse(r.text);
  };

  it('the job mirrors the XML document', async () => {
    const xml = (await c.get(sleep)).text;
    const j = await json(sleep);
    expect(j).toMatchObject({ jobId: xmlValue(xml, 'jobId'), runId: 'js', ownerId: null, phase: 'COMPLETED' });
    for (const k of ['creationTime', 'startTime', 'endTime', 'destruction']) expect(j[k]).toBe(xmlValue(xml, k));
    expect(j.executionDuration).toBe(Number(xmlValue(xml, 'executionDuration')));
    expect(j.parameters).toMatchObject({ duration: '0', message: 'all good' });
    expect(j.results.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(['report', 'stdout']));
  });

  it('results, with hrefs, sizes and MIME types', async () => {
    const results = await json(`${wc}/results`);
    expect(results).toEqual(
      expect.arrayContaining([
        { id: 'counts', href: `${wc}/results/counts`, size: Buffer.byteLength(COUNTS), mimeType: 'text/plain' },
        expect.objectContaining({ id: 'frequencies', href: `${wc}/results/frequencies`, mimeType: 'text/tab-separated-values' }),
      ]),
    );
  });

  it('parameters, an upload by reference', async () => {
    const params = await json(`${wc}/parameters`);
    expect(params).toEqual({ infile: { value: `${wc}/parameters/infile`, byReference: true }, top: '10', casefold: 'true' });
    expect(await json(`${sleep}/parameters`)).toMatchObject({ RUNID: 'js', duration: '0', fail: 'false' });
  });

  it('the job list', async () => {
    const list = await json(`${app.baseUrl}/rest/sleep`);
    expect(list.version).toBe('1.1');
    expect(list.jobs).toEqual([expect.objectContaining({ href: sleep, phase: 'COMPLETED', runId: 'js' })]);
  });

  it('XML stays the default, also for Accept: application/xml,text/plain and */*', async () => {
    for (const accept of ['application/xml,text/plain', '*/*', 'text/html,application/json;q=0.5,application/xml']) {
      const r = await send(sleep, { headers: { accept } });
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/xml/);
    }
  });

  it('errors come as JSON with the field list when JSON is asked for', async () => {
    const r = await send(`${app.baseUrl}/rest/sleep`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ duration: 'x', exitcode: '0' }),
    });
    expect(r.status).toBe(400);
    const body = JSON.parse(r.text);
    expect(body.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(['duration', 'exitcode']));
  });
});
