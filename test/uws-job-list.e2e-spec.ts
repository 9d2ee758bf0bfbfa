/**
 * The UWS 1.1 job list over real HTTP against the real application: the document's shape, the PHASE / AFTER /
 * LAST filters (§2.2.2.1), ARCHIVED jobs, deletion, 404s, and the destruction reaper in both modes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunningApp, startApp } from './support/test-app';
import { jobRefs, send, UwsClient, xmlValue } from './support/uws-client';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = (url: string) => url.split('/').pop()!;

/** Polls (the reaper runs on a timer, there is no event to wait on) until `check` holds or time runs out. */
async function eventually(check: () => Promise<boolean>, seconds = 20): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await pause(200);
  }
  return check();
}

describe('the job list (DESTRUCTION_MODE=archive)', () => {
  let app: RunningApp;
  let c: UwsClient;
  /** Created in this order, each with a creationTime of its own: PENDING, COMPLETED, ABORTED, PENDING, ARCHIVED. */
  let j1: string, j2: string, j3: string, j4: string, j5: string;
  const created = new Map<string, string>();

  const ids = async (query = '') => {
    const r = await c.get(`/rest/sleep${query}`);
    expect(r.status).toBe(200);
    return jobRefs(r.text).refs.map((x) => x.id);
  };
  const status = async (query: string) => c.get(`/rest/sleep${query}`);

  beforeAll(async () => {
    app = await startApp({ DESTRUCTION_MODE: 'archive', MAX_EXECUTION_DURATION: '100', DEFAULT_EXECUTION_DURATION: '60' });
    c = new UwsClient(app.baseUrl);
    const make = async (form: Record<string, string>) => {
      const url = await c.create('sleep', form);
      const t = xmlValue((await c.get(url)).text, 'creationTime')!;
      // the filters compare creation times, so no two jobs may share a millisecond
      if ([...created.values()].includes(t)) throw new Error('two jobs share a creationTime');
      created.set(idOf(url), t);
      await pause(5);
      return url;
    };
    j1 = await make({ RUNID: 'first' });
    j2 = await make({ duration: '0', PHASE: 'RUN' });
    j3 = await make({});
    j4 = await make({ duration: '5' });
    j5 = await make({ duration: '0', PHASE: 'RUN' });
    expect(await c.settle(j2)).toBe('COMPLETED');
    expect(await c.settle(j5)).toBe('COMPLETED');
    expect((await c.post(`${j3}/phase`, { PHASE: 'ABORT' })).status).toBe(303);
    const del = await c.del(j5);
    expect(del.status).toBe(303);
    expect(del.location.startsWith(`${app.baseUrl}/rest/sleep`)).toBe(true);
  });
  afterAll(async () => {
    await app?.close();
    if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
  });

  const [I1, I2, I3, I4, I5] = [0, 1, 2, 3, 4].map((i) => () => idOf([j1, j2, j3, j4, j5][i]));

  it('is version 1.1 and holds only jobrefs, newest first, with absolute hrefs', async () => {
    const r = await c.get('/rest/sleep');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/xml/);
    expect(r.text).toMatch(/<uws:jobs [^>]*version="1\.1"/);
    const { refs, children } = jobRefs(r.text);
    expect(children.every((n) => n === 'jobref')).toBe(true);
    expect(refs.map((x) => x.id)).toEqual([I4(), I3(), I2(), I1()]);
    expect(refs.map((x) => x.href)).toEqual([j4, j3, j2, j1]);
    expect(refs.map((x) => x.phase)).toEqual(['PENDING', 'ABORTED', 'COMPLETED', 'PENDING']);
    expect(refs[3].runId).toBe('first');
    // each jobref's creationTime is the job document's, string for string
    for (const x of refs) expect(x.creationTime).toBe(created.get(x.id));
  });

  it('leaves ARCHIVED jobs out; the archived job itself is still readable', async () => {
    expect(await ids()).not.toContain(I5());
    const xml = (await c.get(j5)).text;
    expect(xmlValue(xml, 'phase')).toBe('ARCHIVED');
    expect(xml).not.toContain('<uws:result ');
    expect(fs.existsSync(path.join(app.dataDir, 'jobs', I5()))).toBe(false);
    expect((await c.get(`${j5}/results/report`)).status).toBe(404);
  });

  it('PHASE=ARCHIVED lists archived jobs, alone or with other phases', async () => {
    expect(await ids('?PHASE=ARCHIVED')).toEqual([I5()]);
    expect(await ids('?PHASE=ARCHIVED&PHASE=PENDING')).toEqual([I5(), I4(), I1()]);
  });

  it('PHASE filters, is repeatable (union), and its name is case-insensitive', async () => {
    expect(await ids('?PHASE=PENDING')).toEqual([I4(), I1()]);
    expect(await ids('?PHASE=COMPLETED')).toEqual([I2()]);
    expect(await ids('?PHASE=PENDING&PHASE=COMPLETED')).toEqual([I4(), I2(), I1()]);
    expect(await ids('?phase=ABORTED&Phase=COMPLETED')).toEqual([I3(), I2()]);
    expect(await ids('?PHASE=EXECUTING')).toEqual([]);
  });

  it('an invalid PHASE is 400 naming PHASE (values are case-sensitive)', async () => {
    for (const v of ['pendinggg', 'SUCCESS', 'pending', '']) {
      const r = await status(`?PHASE=${v}`);
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/PHASE/);
    }
  });

  it('AFTER is strict: a job created exactly at AFTER is left out', async () => {
    expect(await ids(`?AFTER=${created.get(I2())}`)).toEqual([I4(), I3()]);
    expect(await ids(`?AFTER=${created.get(I4())}`)).toEqual([]);
    const justBefore = new Date(new Date(created.get(I2())!).getTime() - 1).toISOString();
    expect(await ids(`?AFTER=${justBefore}`)).toEqual([I4(), I3(), I2()]);
  });

  it.each([
    '2015-10-26T09:15:35',
    '2015-10-26 09:00',
    '2015-10-26',
    '2015',
    '20151026',
    '2015-10-26T09:15:35.891000',
    '2014-09-10T10:01:02.000Z',
    '2015-10-26T09:00%2B01:00',
  ])('AFTER=%s is accepted and lists every (newer) job', async (after) => {
    expect(await ids(`?AFTER=${after}`)).toEqual([I4(), I3(), I2(), I1()]);
  });

  it.each(['sometext', '2015-26-10', '2015-10-26T09:00+01:00', '2015-10-26T25:00'])('AFTER=%s (sent raw) is 400 naming AFTER', async (after) => {
    const r = await status(`?AFTER=${after}`);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/AFTER/);
  });

  it('LAST=n gives the n newest jobs', async () => {
    expect(await ids('?LAST=1')).toEqual([I4()]);
    expect(await ids('?LAST=2')).toEqual([I4(), I3()]);
    expect(await ids('?last=100')).toEqual([I4(), I3(), I2(), I1()]);
  });

  it.each(['0', '-1', 'text', '1.5', ''])('LAST=%s is 400 naming LAST', async (last) => {
    const r = await status(`?LAST=${last}`);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/LAST/);
  });

  it('filters combine with AND, LAST applied last, whatever the order of the parameters', async () => {
    expect(await ids('?PHASE=PENDING&LAST=1')).toEqual([I4()]);
    expect(await ids('?LAST=1&PHASE=COMPLETED')).toEqual([I2()]);
    expect(await ids(`?AFTER=${created.get(I1())}&PHASE=PENDING`)).toEqual([I4()]);
    expect(await ids(`?PHASE=PENDING&PHASE=COMPLETED&AFTER=${created.get(I1())}&LAST=1`)).toEqual([I4()]);
    expect(await ids(`?LAST=5&PHASE=COMPLETED&PHASE=ABORTED&AFTER=${created.get(I2())}`)).toEqual([I3()]);
    expect(await ids(`?PHASE=ARCHIVED&AFTER=${created.get(I5())}`)).toEqual([]);
  });

  it('as JSON, with the same filters', async () => {
    const r = await send(`${app.baseUrl}/rest/sleep?PHASE=PENDING`, { headers: { accept: 'application/json' } });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/json/);
    const body = JSON.parse(r.text);
    expect(body.version).toBe('1.1');
    expect(body.jobs.map((x: { jobId: string }) => x.jobId)).toEqual([I4(), I1()]);
    expect(body.jobs[1]).toMatchObject({ href: j1, phase: 'PENDING', runId: 'first', creationTime: created.get(I1()) });
  });

  it("holds only its own type's jobs", async () => {
    const r = await c.get('/rest/wordcount');
    expect(r.status).toBe(200);
    expect(jobRefs(r.text).refs).toEqual([]);
  });

  it('an executionDuration default above MAX_EXECUTION_DURATION is clamped to the maximum', async () => {
    expect(xmlValue((await c.get(j1)).text, 'executionDuration')).toBe('100');
  });
});

describe('deleting jobs, and unknown jobs (DESTRUCTION_MODE=delete)', () => {
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

  describe('deletion', () => {
    it('DELETE: 303 to the job list, then 404', async () => {
      const url = await c.create('sleep', {});
      const r = await c.del(url);
      expect(r.status).toBe(303);
      expect(r.location.startsWith(`${app.baseUrl}/rest/sleep`)).toBe(true);
      expect(r.location).not.toContain(url);
      expect((await c.get(url)).status).toBe(404);
      expect((await c.get(`${url}/phase`)).status).toBe(404);
      expect((await c.del(url)).status).toBe(404);
    });

    it('POST ACTION=DELETE: 303 to the job list, then 404; a running job is stopped first', async () => {
      const url = await c.create('sleep', { duration: '30', PHASE: 'RUN' });
      const r = await c.post(url, { ACTION: 'DELETE' });
      expect(r.status).toBe(303);
      expect(r.location.startsWith(`${app.baseUrl}/rest/sleep`)).toBe(true);
      expect((await c.get(url)).status).toBe(404);
      const list = await c.get('/rest/sleep');
      expect(list.text).not.toContain(url);
    });

    it('action=delete in the query string works too', async () => {
      const url = await c.create('sleep', {});
      expect((await c.post(`${url}?action=DELETE`)).status).toBe(303);
      expect((await c.get(url)).status).toBe(404);
    });

    it('ACTION=other is 400 and the job stays', async () => {
      const url = await c.create('sleep', {});
      const r = await c.post(url, { ACTION: 'DESTROY' });
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/ACTION/);
      expect(await c.phase(url)).toBe('PENDING');
    });
  });

  describe('not found', () => {
    it('an unknown job id is 404 on the job and every sub-resource', async () => {
      for (const sub of ['', '/phase', '/executionduration', '/destruction', '/error', '/quote', '/owner', '/parameters', '/results']) {
        expect((await c.get(`/rest/sleep/nosuchjob${sub}`)).status).toBe(404);
      }
      expect((await c.post('/rest/sleep/nosuchjob/phase', { PHASE: 'RUN' })).status).toBe(404);
      expect((await c.del('/rest/sleep/nosuchjob')).status).toBe(404);
    });

    it("a job id under the other type's list is 404", async () => {
      const url = await c.create('sleep', {});
      const id = url.split('/').pop()!;
      for (const sub of ['', '/phase', '/parameters', '/results']) {
        expect((await c.get(`/rest/wordcount/${id}${sub}`)).status).toBe(404);
      }
      expect((await c.post(`/rest/wordcount/${id}/phase`, { PHASE: 'RUN' })).status).toBe(404);
      expect((await c.del(`/rest/wordcount/${id}`)).status).toBe(404);
      expect(await c.phase(url)).toBe('PENDING');
    });
  });
});

describe('the destruction reaper', () => {
  const destroySoon = async (c: UwsClient, url: string) => {
    const when = new Date(Date.now() + 2000).toISOString();
    expect((await c.post(`${url}/destruction`, { DESTRUCTION: when })).status).toBe(303);
    expect(await c.get(`${url}/destruction`)).toMatchObject({ text: when });
  };

  describe('DESTRUCTION_MODE=delete', () => {
    let app: RunningApp;
    let c: UwsClient;
    beforeAll(async () => {
      app = await startApp({ REAPER_INTERVAL: '1' });
      c = new UwsClient(app.baseUrl);
    });
    afterAll(async () => {
      await app?.close();
      if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
    });

    it('forgets a finished job at its destruction time and removes its folder', async () => {
      const url = await c.create('sleep', { duration: '0', PHASE: 'RUN' });
      expect(await c.settle(url)).toBe('COMPLETED');
      const dir = path.join(app.dataDir, 'jobs', idOf(url));
      expect(fs.existsSync(dir)).toBe(true);
      await destroySoon(c, url);
      expect(await eventually(async () => (await c.get(url)).status === 404)).toBe(true);
      expect(fs.existsSync(dir)).toBe(false);
      expect((await c.get(`${url}/phase`)).status).toBe(404);
      expect((await c.get('/rest/sleep')).text).not.toContain(idOf(url));
    });

    it('wakes a WAIT on a PENDING job when the reaper destroys it, then the job is gone', async () => {
      const url = await c.create('sleep', {});
      await destroySoon(c, url);
      const r = await c.get(`${url}?WAIT=30&PHASE=PENDING`);
      // woken by the abort that precedes deletion (ABORTED) or by the deletion itself (404)
      expect(r.ms).toBeLessThan(25000);
      if (r.status === 200) expect(xmlValue(r.text, 'phase')).toBe('ABORTED');
      else expect(r.status).toBe(404);
      expect(await eventually(async () => (await c.get(url)).status === 404)).toBe(true);
    });

    it('stops a running job at its destruction time', async () => {
      const url = await c.create('sleep', { duration: '60', PHASE: 'RUN' });
      await destroySoon(c, url);
      expect(await eventually(async () => (await c.get(url)).status === 404)).toBe(true);
      expect(await eventually(async () => !fs.existsSync(path.join(app.dataDir, 'jobs', idOf(url))))).toBe(true);
    });
  });

  describe('DESTRUCTION_MODE=archive', () => {
    let app: RunningApp;
    let c: UwsClient;
    beforeAll(async () => {
      app = await startApp({ REAPER_INTERVAL: '1', DESTRUCTION_MODE: 'archive' });
      c = new UwsClient(app.baseUrl);
    });
    afterAll(async () => {
      await app?.close();
      if (app) fs.rmSync(app.dataDir, { recursive: true, force: true });
    });

    it('turns a finished job ARCHIVED: metadata kept, results and folder gone', async () => {
      const url = await c.create('sleep', { duration: '0', PHASE: 'RUN', RUNID: 'keep-me' });
      expect(await c.settle(url)).toBe('COMPLETED');
      await destroySoon(c, url);
      expect(await eventually(async () => (await c.phase(url)) === 'ARCHIVED')).toBe(true);
      const xml = (await c.get(url)).text;
      expect(xmlValue(xml, 'runId')).toBe('keep-me');
      expect(xml).not.toContain('<uws:result ');
      expect(fs.existsSync(path.join(app.dataDir, 'jobs', idOf(url)))).toBe(false);
      expect(jobRefs((await c.get('/rest/sleep')).text).refs.map((x) => x.id)).not.toContain(idOf(url));
      expect(jobRefs((await c.get('/rest/sleep?PHASE=ARCHIVED')).text).refs.map((x) => x.id)).toContain(idOf(url));
      // an ARCHIVED job cannot be run again, nor get a new destruction time
      expect((await c.post(`${url}/phase`, { PHASE: 'RUN' })).status).toBe(403);
      expect((await c.post(`${url}/destruction`, { DESTRUCTION: '2040-01-01T00:00:00Z' })).status).toBe(403);
    });

    it('a PENDING job is aborted, then archived', async () => {
      const url = await c.create('sleep', {});
      await destroySoon(c, url);
      expect(await eventually(async () => (await c.phase(url)) === 'ARCHIVED')).toBe(true);
      expect(xmlValue((await c.get(url)).text, 'endTime')).toMatch(/Z$/);
    });
  });
});
