/**
 * UWS 1.1 job resources over real HTTP against the real application (SQLite file, local bash processes):
 * creation, every sub-resource of a job, updates, deletion, the error statuses, and the JSON views.
 * The job list, deletion, 404s and the reaper are in uws-job-list.e2e-spec.ts; uploads (wordcount), malformed
 * requests and the JSON views in uws-wordcount.e2e-spec.ts.
 */
import * as fs from 'node:fs';
import { RunningApp, startApp } from './support/test-app';
import { send, UwsClient, xmlValue } from './support/uws-client';

const MAX_DURATION = 300;

describe('UWS job resources (sleep)', () => {
  let app: RunningApp;
  let c: UwsClient;

  beforeAll(async () => {
    app = await startApp({ MAX_EXECUTION_DURATION: String(MAX_DURATION), DEFAULT_EXECUTION_DURATION: '100' });
    c = new UwsClient(app.baseUrl);
  });
  afterAll(async () => {
    await app?.close();
    if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
  });

  const job = async (url: string) => {
    const r = await c.get(url);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/xml/);
    return r.text;
  };

  /** A text/plain atomic resource: 200, text/plain, never a trailing newline. */
  const text = async (url: string) => {
    const r = await c.get(url);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.text.endsWith('\n')).toBe(false);
    return r.text;
  };

  /** A completed sleep job (duration 0), for the tests that need results or a final phase. */
  let completed: string | undefined;
  const completedJob = async () => {
    if (!completed) {
      completed = await c.create('sleep', { duration: '0', PHASE: 'RUN', message: 'all good' });
      expect(await c.settle(completed)).toBe('COMPLETED');
    }
    return completed;
  };

  describe('job types', () => {
    it('GET /rest lists the job types as JSON', async () => {
      const r = await send(`${app.baseUrl}/rest`);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/application\/json/);
      const body = JSON.parse(r.text) as { jobTypes: { type: string; href: string; available: boolean }[] };
      const types = body.jobTypes.map((t) => t.type);
      expect(types).toEqual(expect.arrayContaining(['sleep', 'wordcount']));
      const sleep = body.jobTypes.find((t) => t.type === 'sleep')!;
      expect(sleep.available).toBe(true);
      expect(sleep.href).toBe(`${app.baseUrl}/rest/sleep`);
    });

    it('an unknown job type is 404 on list and on create', async () => {
      expect((await c.get('/rest/nosuchtype')).status).toBe(404);
      const r = await c.post('/rest/nosuchtype', { duration: '1' });
      expect(r.status).toBe(404);
      expect(r.text).toMatch(/nosuchtype/);
    });
  });

  describe('creation', () => {
    it('answers 303 with an absolute Location under BASE_URL; the job is PENDING', async () => {
      const r = await c.post('/rest/sleep', { duration: '1' });
      expect(r.status).toBe(303);
      expect(r.location).toMatch(new RegExp(`^${app.baseUrl}/rest/sleep/[A-Za-z0-9_-]+$`));
      const xml = await job(r.location);
      expect(xml).toMatch(/<uws:job [^>]*version="1\.1"/);
      expect(xmlValue(xml, 'phase')).toBe('PENDING');
      expect(r.location.endsWith(`/${xmlValue(xml, 'jobId')}`)).toBe(true);
      expect(xmlValue(xml, 'creationTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    });

    it('an empty body creates a job with the declared defaults', async () => {
      const r = await send(`${app.baseUrl}/rest/sleep`, { method: 'POST' });
      expect(r.status).toBe(303);
      const xml = await job(r.location);
      expect(xml).toContain('<uws:parameter id="duration">1</uws:parameter>');
      expect(xml).toContain('<uws:parameter id="message">hello</uws:parameter>');
    });

    it.each([
      ['PHASE=RUN in the body', { duration: '0', PHASE: 'RUN' }, ''],
      ['phase=run in the body', { duration: '0', phase: 'run' }, ''],
      ['Phase=RUN in the query string', { duration: '0' }, '?Phase=RUN'],
    ])('%s starts the job on creation', async (_what, form, query) => {
      const r = await c.post(`/rest/sleep${query}`, form);
      expect(r.status).toBe(303);
      expect(['QUEUED', 'EXECUTING', 'COMPLETED']).toContain(await c.phase(r.location));
      expect(await c.settle(r.location)).toBe('COMPLETED');
    });

    it('without PHASE the job stays PENDING', async () => {
      const url = await c.create('sleep', { duration: '0' });
      const again = await c.get(`${url}?WAIT=1`);
      expect(xmlValue(again.text, 'phase')).toBe('PENDING');
    });

    it.each([
      ['RUNID', { RUNID: 'run-42' }, ''],
      ['runid', { runid: 'run-42' }, ''],
      ['runId in the query string', {}, '?runId=run-42'],
    ])('%s is echoed as <uws:runId>', async (_what, form, query) => {
      const r = await c.post(`/rest/sleep${query}`, form);
      expect(r.status).toBe(303);
      const xml = await job(r.location);
      expect(xmlValue(xml, 'runId')).toBe('run-42');
      // a control parameter, not a job parameter: never an "unknown parameter" and never stored twice
      expect(xml.match(/id="RUNID"/gi)?.length ?? 0).toBeLessThanOrEqual(1);
    });

    it.each([
      [undefined, 120], // the WADL default
      ['50', 50],
      ['100000', MAX_DURATION], // clamped to MAX_EXECUTION_DURATION
      ['0', MAX_DURATION], // "unlimited" becomes the maximum
    ])('EXECUTIONDURATION=%s on creation gives %d', async (given, expected) => {
      const url = await c.create('sleep', given === undefined ? {} : { executionDuration: given });
      const xml = await job(url);
      expect(xmlValue(xml, 'executionDuration')).toBe(String(expected));
      expect(await text(`${url}/executionduration`)).toBe(String(expected));
    });

    it('a malformed EXECUTIONDURATION is 400 naming it', async () => {
      const r = await c.post('/rest/sleep', { EXECUTIONDURATION: 'soon' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/EXECUTIONDURATION/);
    });

    it('DESTRUCTION on creation is applied', async () => {
      const when = new Date(Date.now() + 3 * 86400_000);
      when.setUTCMilliseconds(0);
      const url = await c.create('sleep', { destruction: when.toISOString().replace('.000Z', 'Z') });
      expect(xmlValue(await job(url), 'destruction')).toBe(when.toISOString());
    });

    it.each([
      ['in the past', '2001-01-01T00:00:00Z'],
      ['malformed', 'next tuesday'],
      ['an impossible date', '2030-02-30T00:00:00Z'],
    ])('DESTRUCTION %s is 400 naming it', async (_what, value) => {
      const r = await c.post('/rest/sleep', { DESTRUCTION: value });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/DESTRUCTION/);
    });

    it('invalid job parameters are 400, every bad field named at once', async () => {
      const r = await c.post('/rest/sleep', { duration: 'long', exitcode: '999', fail: 'maybe' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/duration/);
      expect(r.text).toMatch(/exitcode/);
      expect(r.text).toMatch(/fail/);
    });

    it('a parameter given twice is 400 naming it', async () => {
      const r = await c.post('/rest/sleep', { duration: ['1', '2'] });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/duration/);
    });

    it('a value out of range is 400 naming the field', async () => {
      const r = await c.post('/rest/sleep', { duration: '-1' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/duration/);
    });

    it('an unknown parameter is 400 naming it', async () => {
      const r = await c.post('/rest/sleep', { bogus: '1' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/bogus/);
    });

    it('a PHASE other than RUN on creation is 400', async () => {
      const r = await c.post('/rest/sleep', { PHASE: 'ABORT' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/PHASE/);
    });
  });

  describe('sub-resources of a PENDING job', () => {
    let url: string;
    beforeAll(async () => {
      url = await c.create('sleep', { duration: '2.5', message: 'hi there', RUNID: 'sub' });
    });

    it('phase is text/plain PENDING', async () => {
      expect(await text(`${url}/phase`)).toBe('PENDING');
    });

    it('executionduration is string-identical to <uws:executionDuration>', async () => {
      const xml = await job(url);
      expect(await text(`${url}/executionduration`)).toBe(xmlValue(xml, 'executionDuration'));
    });

    it('destruction is ISO 8601 and string-identical to <uws:destruction>', async () => {
      const xml = await job(url);
      const d = await text(`${url}/destruction`);
      expect(d).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(d).toBe(xmlValue(xml, 'destruction'));
    });

    it('quote is present (not nil) and in the future', async () => {
      const xml = await job(url);
      const q = xmlValue(xml, 'quote');
      expect(q).toBeDefined();
      expect(xml).not.toMatch(/<uws:quote xsi:nil/);
      expect(new Date(q!).getTime()).toBeGreaterThan(Date.now());
      const t = await text(`${url}/quote`);
      expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(new Date(t).getTime()).toBeGreaterThan(Date.now());
    });

    it('error and owner are empty text/plain bodies; ownerId is nil', async () => {
      expect(await text(`${url}/error`)).toBe('');
      expect(await text(`${url}/owner`)).toBe('');
      expect(await job(url)).toContain('<uws:ownerId xsi:nil="true"/>');
    });

    it('startTime and endTime are nil; results is present and empty', async () => {
      const xml = await job(url);
      expect(xml).toContain('<uws:startTime xsi:nil="true"/>');
      expect(xml).toContain('<uws:endTime xsi:nil="true"/>');
      expect(xml).toMatch(/<uws:results\/>|<uws:results><\/uws:results>/);
      const r = await c.get(`${url}/results`);
      expect(r.status).toBe(200);
      expect(r.text).not.toContain('<uws:result ');
    });

    it('parameters is an XML <uws:parameters> with every value, defaults included', async () => {
      const r = await c.get(`${url}/parameters`);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/xml/);
      expect(r.text).toContain('<uws:parameters');
      expect(r.text).toContain('<uws:parameter id="duration">2.5</uws:parameter>');
      expect(r.text).toContain('<uws:parameter id="message">hi there</uws:parameter>');
      expect(r.text).toContain('<uws:parameter id="fail">false</uws:parameter>');
      expect(r.text).toContain('<uws:parameter id="exitcode">3</uws:parameter>');
    });

    it('parameters/{name} serves one value as text, the name case-insensitive; unknown is 404', async () => {
      expect(await text(`${url}/parameters/message`)).toBe('hi there');
      expect(await text(`${url}/parameters/RUNID`)).toBe('sub');
      expect(await text(`${url}/parameters/DURATION`)).toBe('2.5');
      expect((await c.get(`${url}/parameters/nosuch`)).status).toBe(404);
    });

    it('an unknown sub-resource is 404', async () => {
      expect((await c.get(`${url}/nosuch`)).status).toBe(404);
      expect((await c.get(`${url}/jobinfo`)).status).toBe(404);
    });

    it('results/{id} of a job without results is 404', async () => {
      expect((await c.get(`${url}/results/report`)).status).toBe(404);
    });
  });

  describe('updates while PENDING', () => {
    let url: string;
    beforeEach(async () => {
      url = await c.create('sleep', { duration: '1' });
    });

    it('POST executionduration: 303 to the job, value applied (and clamped)', async () => {
      let r = await c.post(`${url}/executionduration`, { EXECUTIONDURATION: '42' });
      expect(r.status).toBe(303);
      expect(r.location).toBe(url);
      expect(xmlValue(await job(url), 'executionDuration')).toBe('42');
      r = await c.post(`${url}/executionduration?executionduration=99999`);
      expect(r.status).toBe(303);
      expect(await text(`${url}/executionduration`)).toBe(String(MAX_DURATION));
    });

    it('POST executionduration with a bad or missing value is 400', async () => {
      let r = await c.post(`${url}/executionduration`, { EXECUTIONDURATION: 'abc' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/EXECUTIONDURATION/);
      r = await c.post(`${url}/executionduration`, {});
      expect(r.status).toBe(400);
    });

    it('POST destruction: 303 to the job, value applied, text identical to XML', async () => {
      const r = await c.post(`${url}/destruction`, { DESTRUCTION: '2031-06-15T12:30:00Z' });
      expect(r.status).toBe(303);
      expect(r.location).toBe(url);
      expect(xmlValue(await job(url), 'destruction')).toBe('2031-06-15T12:30:00.000Z');
      expect(await text(`${url}/destruction`)).toBe('2031-06-15T12:30:00.000Z');
    });

    it('POST destruction in the past or malformed is 400', async () => {
      expect((await c.post(`${url}/destruction`, { DESTRUCTION: '1999-12-31T23:59:59Z' })).status).toBe(400);
      const r = await c.post(`${url}/destruction`, { DESTRUCTION: '31/12/2030' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/DESTRUCTION/);
    });

    it('POST parameters: 303 to the job, values applied, names case-insensitive', async () => {
      const r = await c.post(`${url}/parameters`, { DURATION: '7', message: 'changed' });
      expect(r.status).toBe(303);
      expect(r.location).toBe(url);
      const xml = await job(url);
      expect(xml).toContain('<uws:parameter id="duration">7</uws:parameter>');
      expect(xml).toContain('<uws:parameter id="message">changed</uws:parameter>');
      expect(xml).not.toMatch(/id="DURATION"/);
    });

    it('POST parameters with runId sets the runId once, never as a second parameter', async () => {
      const r = await c.post(`${url}/parameters`, { runId: 'via-parameters' });
      expect(r.status).toBe(303);
      const xml = await job(url);
      expect(xmlValue(xml, 'runId')).toBe('via-parameters');
      expect(xml.match(/<uws:parameter id="runid"/gi)?.length ?? 0).toBeLessThanOrEqual(1);
    });

    it('POST parameters with invalid or unknown values is 400 naming them, nothing applied', async () => {
      const r = await c.post(`${url}/parameters`, { duration: '99999', exitcode: 'x', nosuch: '1' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/duration/);
      expect(r.text).toMatch(/exitcode/);
      expect(r.text).toMatch(/nosuch/);
      expect(await text(`${url}/parameters/duration`)).toBe('1');
    });

    it('PUT parameters/{name} with a text/plain body: 303, value applied', async () => {
      const r = await send(`${url}/parameters/message`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'put value' });
      expect(r.status).toBe(303);
      expect(r.location).toBe(url);
      expect(await text(`${url}/parameters/message`)).toBe('put value');
    });

    it('PUT of an invalid value, an unknown name or without a text body is 400', async () => {
      const put = (name: string, body?: string, type = 'text/plain') =>
        send(`${url}/parameters/${name}`, { method: 'PUT', headers: { 'content-type': type }, body });
      expect((await put('duration', 'forever')).status).toBe(400);
      expect((await put('nosuch', '1')).status).toBe(400);
      expect((await put('duration', '')).status).toBe(400);
      expect((await put('duration', '{"a":1}', 'application/json')).status).toBe(400);
    });

    it('POST name=value to the job URL updates parameters', async () => {
      const r = await c.post(url, { duration: '3.5' });
      expect(r.status).toBe(303);
      expect(r.location).toBe(url);
      expect(await text(`${url}/parameters/duration`)).toBe('3.5');
    });

    it('POST PHASE=SUSPEND (or any value but RUN/ABORT) is 400 naming PHASE', async () => {
      for (const p of ['SUSPEND', 'ARCHIVE', 'go']) {
        const r = await c.post(`${url}/phase`, { PHASE: p });
        expect(r.status).toBe(400);
        expect(r.text).toMatch(/PHASE/);
      }
      const r = await c.post(`${url}/phase`, {});
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/PHASE/);
      expect(await text(`${url}/phase`)).toBe('PENDING');
    });

    it('POST phase?PHASE=ABORT with an empty body aborts: 303, ABORTED with endTime', async () => {
      const r = await c.post(`${url}/phase?PHASE=ABORT`);
      expect(r.status).toBe(303);
      expect(r.location).toBe(url);
      const xml = await job(url);
      expect(xmlValue(xml, 'phase')).toBe('ABORTED');
      expect(xmlValue(xml, 'endTime')).toMatch(/Z$/);
    });
  });

  describe('a job that is not PENDING', () => {
    it('a running job refuses parameter and duration changes with 403; DESTRUCTION still changes', async () => {
      const url = await c.create('sleep', { duration: '30', PHASE: 'RUN' });
      try {
        expect((await c.post(`${url}/parameters`, { duration: '1' })).status).toBe(403);
        expect((await c.post(url, { duration: '1' })).status).toBe(403);
        expect((await c.post(`${url}/executionduration`, { EXECUTIONDURATION: '10' })).status).toBe(403);
        const put = await send(`${url}/parameters/duration`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '1' });
        expect(put.status).toBe(403);
        expect((await c.post(`${url}/destruction`, { DESTRUCTION: '2032-01-01T00:00:00Z' })).status).toBe(303);
        expect(await text(`${url}/destruction`)).toBe('2032-01-01T00:00:00.000Z');
      } finally {
        await c.post(`${url}/phase`, { PHASE: 'ABORT' });
      }
      expect(await c.settle(url)).toBe('ABORTED');
    });

    it('a COMPLETED job: RUN and ABORT are 403, parameters 403; the phase stays COMPLETED', async () => {
      const url = await completedJob();
      let r = await c.post(`${url}/phase`, { PHASE: 'RUN' });
      expect(r.status).toBe(403);
      expect(r.text).toMatch(/COMPLETED/);
      r = await c.post(`${url}/phase`, { PHASE: 'ABORT' });
      expect(r.status).toBe(403);
      expect((await c.post(`${url}/parameters`, { duration: '1' })).status).toBe(403);
      expect((await c.post(`${url}/executionduration`, { EXECUTIONDURATION: '10' })).status).toBe(403);
      expect(await text(`${url}/phase`)).toBe('COMPLETED');
    });

    it('a COMPLETED job has startTime, endTime, no quote in the past, and its results', async () => {
      const url = await completedJob();
      const xml = await job(url);
      expect(xmlValue(xml, 'startTime')).toMatch(/Z$/);
      expect(xmlValue(xml, 'endTime')).toMatch(/Z$/);
      const r = await c.get(`${url}/results`);
      expect(r.status).toBe(200);
      expect(r.text).toMatch(/<uws:result [^>]*id="report"[^>]*mime-type="text\/plain"/);
      expect(r.text).toMatch(/<uws:result [^>]*id="stdout"/);
      expect(r.text).toMatch(new RegExp(`xlink:href="${url}/results/report"`));
    });

    it('results/{id} is served with its MIME type; stdout and stderr are results too', async () => {
      const url = await completedJob();
      const report = await c.get(`${url}/results/report`);
      expect(report.status).toBe(200);
      expect(report.type).toMatch(/^text\/plain/);
      expect(report.text).toBe('slept 0 s\nmessage: all good\n');
      // A job's files are untrusted: served in a CSP sandbox, never sniffed.
      const raw = await fetch(`${url}/results/report`);
      expect(raw.headers.get('content-security-policy')).toBe('sandbox');
      expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
      const out = await c.get(`${url}/results/stdout`);
      expect(out.status).toBe(200);
      expect(out.type).toMatch(/^text\/plain/);
      expect(out.text).toBe('done\n');
      const results = (await c.get(`${url}/results`)).text;
      const size = /<uws:result [^>]*id="report"[^>]*size="(\d+)"/.exec(results)?.[1];
      expect(Number(size)).toBe(Buffer.byteLength(report.text));
      expect((await c.get(`${url}/results/nosuch`)).status).toBe(404);
    });

    it('a failing job: ERROR with an errorSummary, /error has the detail, stderr a result', async () => {
      const url = await c.create('sleep', { duration: '0', fail: 'true', exitcode: '7', message: 'it broke', PHASE: 'RUN' });
      expect(await c.settle(url)).toBe('ERROR');
      const xml = await job(url);
      expect(xml).toMatch(/<uws:errorSummary type="(fatal|transient)" hasDetail="true">/);
      expect(await text(`${url}/error`)).toMatch(/7/);
      const err = await c.get(`${url}/results/stderr`);
      expect(err.status).toBe(200);
      expect(err.text).toBe('it broke\n');
    });
  });

});

describe('BASE_URL behind a proxy (BASE_URL=https://uws.example.org/base/)', () => {
  let app: RunningApp;
  let c: UwsClient;
  beforeAll(async () => {
    app = await startApp({ BASE_URL: 'https://uws.example.org/base/' });
    c = new UwsClient(app.baseUrl);
  });
  afterAll(async () => {
    await app?.close();
    if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
  });

  it('Location, hrefs and the 303 after a delete come from BASE_URL, not from the Host header', async () => {
    const r = await c.post('/rest/sleep', { duration: '0', PHASE: 'RUN' });
    expect(r.status).toBe(303);
    expect(r.location).toMatch(/^https:\/\/uws\.example\.org\/base\/rest\/sleep\/[A-Za-z0-9_-]+$/);
    const local = `/rest/sleep/${r.location.split('/').pop()}`;
    expect(await c.settle(`${app.baseUrl}${local}`)).toBe('COMPLETED');
    expect((await c.get(`${local}/results`)).text).toContain(`xlink:href="${r.location}/results/report"`);
    expect((await c.get('/rest/sleep')).text).toContain(`xlink:href="${r.location}"`);
    expect((await c.post(`${local}/phase`, { PHASE: 'ABORT' })).status).toBe(403);
    const del = await c.del(local);
    expect(del.location.startsWith('https://uws.example.org/base/rest/sleep')).toBe(true);
  });
});
