/**
 * The whole service on a REAL PostgreSQL (DATABASE_URL=postgresql://…): test/pg/start.sh installs and starts
 * a throwaway cluster when needed (see test/support/pg.ts), and every describe below gets a fresh database
 * of its own, dropped in afterAll. Everything goes through HTTP against the real application, as on SQLite:
 * the hand-written migrations on an empty database and again on restart, a job's life (run, parameters,
 * results, times to the millisecond), the conditional phase update racing ABORT against completion reports,
 * parameter updates, DELETE, the destruction reaper in both modes, the job list filters and its keyset
 * pagination over more than one batch (including 700 jobs that share one creation time), users and owner
 * isolation, and the WAIT wake-up. SQL is used only to look at what was stored, or to make rows the API
 * cannot (one creation time for many jobs).
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../src/config/app.config';
import { runUserCli } from '../src/auth/user.cli';
import { AuthClient, basic } from './support/auth-client';
import { dropDatabase, ensurePostgres, pgQuery } from './support/pg';
import {
  groupAlive,
  jobPid,
  killJobGroups,
  killServer,
  reachPhase,
  ROOT,
  RunningApp,
  ServerProcess,
  spawnServer,
  startApp,
  tempDir,
  testEnv,
} from './support/test-app';
import { jobRefs, send, UwsClient, xmlValue } from './support/uws-client';

jest.setTimeout(180_000);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = (url: string) => url.split('/').pop()!;
const CALLBACK_SECRET = 'postgres-e2e-callback-secret';
const tokenFor = (jobId: string) => createHmac('sha256', CALLBACK_SECRET).update(`job:${jobId}`).digest('hex');

/** Polls (the reaper runs on a timer: there is no event to wait on) until `check` holds or time runs out. */
async function eventually(check: () => Promise<boolean>, seconds = 20): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await pause(200);
  }
  return check();
}

/** Runs `fn` over `items` with at most `n` at once. */
async function pool<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

interface JobRow {
  id: string;
  phase: string;
  creation_time: string;
  start_time: string | null;
  end_time: string | null;
  destruction: string | null;
  parameters: string;
  run_id: string | null;
  owner_id: string | null;
}
/** The stored row, as PostgreSQL has it (bigint columns come back as strings from `pg`). */
async function row(url: string, id: string): Promise<JobRow | undefined> {
  return (await pgQuery<JobRow>(url, 'select * from uws_job where id = $1', [id]))[0];
}
const iso = (ms: string | number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());

/** The few character references Handlebars writes into an attribute. */
const decodeHtml = (s: string) =>
  s.replace(/&(?:amp|lt|gt|quot|#x27|#x60|#x3D);/g, (e) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#x60;': '`', '&#x3D;': '=' })[e]!);

/** Checks a job list is strictly "newest first": creation time descending, ties by id descending. */
function expectNewestFirst(refs: { id: string; creationTime?: string }[]): void {
  const bad: string[] = [];
  for (let i = 1; i < refs.length; i++) {
    const a = refs[i - 1];
    const b = refs[i];
    const ta = Date.parse(a.creationTime!);
    const tb = Date.parse(b.creationTime!);
    if (!(ta > tb || (ta === tb && a.id > b.id))) bad.push(`#${i - 1} ${a.id} ${a.creationTime} then ${b.id} ${b.creationTime}`);
  }
  expect(bad.slice(0, 5)).toEqual([]);
}

describe('PostgreSQL: migrations, a job\'s life, races, the reaper and WAIT (DESTRUCTION_MODE=delete)', () => {
  let db: string;
  let dataDir: string;
  let app: RunningApp | undefined;
  let c: UwsClient;
  let pluginsDir: string;
  const env = () => ({
    DATABASE_URL: db,
    DATA_DIR: dataDir,
    PLUGINS_DIR: pluginsDir,
    CALLBACK_SECRET,
    REAPER_INTERVAL: '1',
    DESTRUCTION_MODE: 'delete',
    MAX_CONCURRENT_JOBS: '8',
  });
  const boot = async () => {
    app = await startApp(env());
    c = new UwsClient(app.baseUrl);
  };
  const restart = async () => {
    await app!.close();
    app = undefined;
    await boot();
  };

  // On a fresh machine, the first ensurePostgres() installs PostgreSQL with apt (a minute or two).
  beforeAll(async () => {
    db = await ensurePostgres();
    dataDir = tempDir('uws-pg-test-');
    // the example sleep plugin, and one whose stderr holds a NUL byte (no database text column takes one)
    pluginsDir = tempDir('uws-pg-plugins-');
    fs.cpSync(path.join(ROOT, 'plugins/sleep'), path.join(pluginsDir, 'sleep'), { recursive: true });
    fs.mkdirSync(path.join(pluginsDir, 'nulerr'));
    const wadl = fs.readFileSync(path.join(ROOT, 'plugins/sleep/sleep.wadl'), 'utf8').replace('path="sleep"', 'path="nulerr"');
    fs.writeFileSync(path.join(pluginsDir, 'nulerr/nulerr.wadl'), wadl);
    fs.writeFileSync(path.join(pluginsDir, 'nulerr/nulerr.sh.hbs'), "printf 'bad\\000byte\\n' >&2\nexit 3\n");
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    killJobGroups(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    if (db) await dropDatabase(db);
  });

  describe('migrations', () => {
    it('the database starts empty; the server applies both migrations to it and answers', async () => {
      const before = await pgQuery<{ n: string }>(db, "select count(*) as n from information_schema.tables where table_schema = 'public'");
      expect(Number(before[0].n)).toBe(0);
      await boot();
      expect((await c.get('/rest/sleep')).status).toBe(200);
      // the first jobs of a type, created at once, all store the same plugin version: the losers' duplicate
      // inserts are unique violations that PostgreSQL must report as such (not an aborted request)
      const first = await Promise.all(Array.from({ length: 8 }, () => c.post('/rest/sleep', { duration: '0' })));
      expect(first.map((r) => r.status)).toEqual(Array(8).fill(303));
      const versions = await pgQuery<{ n: string }>(db, "select count(*) as n from uws_plugin_version where type = 'sleep'");
      expect(Number(versions[0].n)).toBe(1);
      const tables = (await pgQuery<{ t: string }>(db, "select table_name as t from information_schema.tables where table_schema = 'public' order by 1")).map((r) => r.t);
      expect(tables).toEqual(expect.arrayContaining(['uws_job', 'uws_plugin_version', 'uws_user', 'uws_api_token']));
      const applied = (await pgQuery<{ name: string }>(db, 'select name from mikro_orm_migrations order by id')).map((r) => r.name);
      expect(applied).toEqual(['Migration001Initial', 'Migration002Users']);
      // times are bigint epoch milliseconds, not timestamps and not 32-bit integers
      const types = await pgQuery<{ column_name: string; data_type: string }>(
        db,
        "select column_name, data_type from information_schema.columns where table_name = 'uws_job' and column_name in ('creation_time', 'start_time', 'end_time', 'destruction', 'quote')",
      );
      expect(types.map((t) => t.data_type)).toEqual(['bigint', 'bigint', 'bigint', 'bigint', 'bigint']);
      const indexes = (await pgQuery<{ indexname: string }>(db, "select indexname from pg_indexes where tablename = 'uws_job'")).map((r) => r.indexname);
      expect(indexes).toEqual(expect.arrayContaining(['uws_job_type_created', 'uws_job_phase', 'uws_job_destruction', 'uws_job_owner_phase']));
    });

    it('a restart on the same database applies nothing twice and keeps the jobs', async () => {
      const job = new URL(await c.create('sleep', { duration: '0', RUNID: 'before-restart' })).pathname;
      const created = xmlValue((await c.get(job)).text, 'creationTime');
      await restart();
      const applied = (await pgQuery<{ name: string }>(db, 'select name from mikro_orm_migrations order by id')).map((r) => r.name);
      expect(applied).toEqual(['Migration001Initial', 'Migration002Users']);
      const xml = (await c.get(job)).text;
      expect(xmlValue(xml, 'runId')).toBe('before-restart');
      expect(xmlValue(xml, 'creationTime')).toBe(created);
    });

    it('the migrations run again over existing tables (lost migration table) without error and without losing rows', async () => {
      const job = new URL(await c.create('sleep', { duration: '0' })).pathname;
      const before = Number((await pgQuery<{ n: string }>(db, 'select count(*) as n from uws_job'))[0].n);
      await pgQuery(db, 'delete from mikro_orm_migrations');
      await restart();
      const applied = (await pgQuery<{ name: string }>(db, 'select name from mikro_orm_migrations order by id')).map((r) => r.name);
      expect(applied).toEqual(['Migration001Initial', 'Migration002Users']);
      expect(Number((await pgQuery<{ n: string }>(db, 'select count(*) as n from uws_job'))[0].n)).toBe(before);
      expect((await c.get(job)).status).toBe(200);
    });
  });

  describe('a job', () => {
    it('is created PENDING, runs to COMPLETED, with its parameters and results', async () => {
      const url = await c.create('sleep', { duration: '0.2', message: 'hello postgres', RUNID: 'pg-run' });
      const pending = (await c.get(url)).text;
      expect(xmlValue(pending, 'phase')).toBe('PENDING');
      expect(xmlValue(pending, 'runId')).toBe('pg-run');
      expect(pending).toMatch(/<uws:ownerId xsi:nil="true"\/>/);
      const run = await c.post(`${url}/phase`, { PHASE: 'RUN' });
      expect(run.status).toBe(303);
      expect(run.location).toBe(url);
      expect(await c.settle(url)).toBe('COMPLETED');

      const xml = (await c.get(url)).text;
      expect(xml).toContain('<uws:parameter id="duration">0.2</uws:parameter>');
      expect(xml).toContain('<uws:parameter id="message">hello postgres</uws:parameter>');
      expect((await c.get(`${url}/parameters/message`)).text).toBe('hello postgres');
      const params = (await c.get(`${url}/parameters`)).text;
      expect(params).toContain('<uws:parameter id="fail">false</uws:parameter>');
      const results = (await c.get(`${url}/results`)).text;
      expect(results).toMatch(/<uws:result id="report" [^>]*mime-type="text\/plain"/);
      const report = await c.get(`${url}/results/report`);
      expect(report.status).toBe(200);
      expect(report.text).toBe('slept 0.2 s\nmessage: hello postgres\n');
      expect((await c.get(`${url}/results/stdout`)).text).toBe('done\n');

      const stored = (await row(db, idOf(url)))!;
      expect(stored.phase).toBe('COMPLETED');
      expect(JSON.parse(stored.parameters).values.find((v: { name: string }) => v.name === 'message').text).toEqual(['hello postgres']);
    });

    it('its times come back as numbers: creationTime, startTime, endTime, destruction match the stored ms exactly', async () => {
      const t0 = Date.now();
      const url = await c.create('sleep', { duration: '0', PHASE: 'RUN' });
      const t1 = Date.now();
      expect(await c.settle(url)).toBe('COMPLETED');
      const xml = (await c.get(url)).text;
      const stored = (await row(db, idOf(url)))!;
      const created = xmlValue(xml, 'creationTime')!;
      expect(created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(created).toBe(iso(stored.creation_time));
      expect(Date.parse(created)).toBeGreaterThanOrEqual(t0);
      expect(Date.parse(created)).toBeLessThanOrEqual(t1);
      expect(xmlValue(xml, 'startTime')).toBe(iso(stored.start_time));
      expect(xmlValue(xml, 'endTime')).toBe(iso(stored.end_time));
      expect(xmlValue(xml, 'destruction')).toBe(iso(stored.destruction));
      // the default destruction interval (7 days) added to the creation time, to the millisecond
      expect(Number(stored.destruction) - Number(stored.creation_time)).toBe(604_800_000);
      expect(Date.parse(xmlValue(xml, 'endTime')!)).toBeGreaterThanOrEqual(Date.parse(xmlValue(xml, 'startTime')!));
      // the JSON representation, the job list and /destruction say the same
      const json = JSON.parse((await c.get(url, { Accept: 'application/json' })).text);
      expect(json.creationTime).toBe(created);
      expect(json.startTime).toBe(iso(stored.start_time));
      expect((await c.get(`${url}/destruction`)).text).toBe(iso(stored.destruction));
      const ref = jobRefs((await c.get('/rest/sleep')).text).refs.find((r) => r.id === idOf(url))!;
      expect(ref.creationTime).toBe(created);
    });

    it('a chosen DESTRUCTION is stored to the millisecond', async () => {
      const url = await c.create('sleep', { DESTRUCTION: '2099-03-04T05:06:07.089Z' });
      expect((await c.get(`${url}/destruction`)).text).toBe('2099-03-04T05:06:07.089Z');
      expect(Number((await row(db, idOf(url)))!.destruction)).toBe(Date.parse('2099-03-04T05:06:07.089Z'));
      expect((await c.post(`${url}/destruction`, { DESTRUCTION: '2098-01-02T03:04:05.678Z' })).status).toBe(303);
      expect((await c.get(`${url}/destruction`)).text).toBe('2098-01-02T03:04:05.678Z');
    });

    it('a failing job ends in ERROR with its error summary stored', async () => {
      const url = await c.create('sleep', { duration: '0', fail: 'true', exitcode: '7', message: 'boom', PHASE: 'RUN' });
      expect(await c.settle(url)).toBe('ERROR');
      const xml = (await c.get(url)).text;
      expect(xml).toMatch(/<uws:errorSummary type="fatal"/);
      expect((await c.get(`${url}/error`)).text).toMatch(/code 7/);
    });
  });

  describe('text PostgreSQL cannot store (a NUL byte)', () => {
    it('a RUNID with a NUL byte is refused with 400 naming RUNID, at creation and in an update', async () => {
      const created = await c.post('/rest/sleep', { RUNID: 'a\u0000b' });
      expect(created.status).toBe(400);
      expect(created.text).toMatch(/RUNID/);
      const url = await c.create('sleep', { RUNID: 'fine' });
      const updated = await c.post(url, { RUNID: 'c\u0000d' });
      expect(updated.status).toBe(400);
      expect(updated.text).toMatch(/RUNID/);
      expect(xmlValue((await c.get(url)).text, 'runId')).toBe('fine');
    });

    it('a job whose stderr holds a NUL byte still ends in ERROR, its stderr tail stored with the byte replaced', async () => {
      const url = await c.create('nulerr', { PHASE: 'RUN' });
      expect(await c.settle(url, 20)).toBe('ERROR');
      const error = (await c.get(`${url}/error`)).text;
      expect(error).toMatch(/code 3/);
      expect(error).toContain('bad\ufffdbyte');
      expect((await row(db, idOf(url)))!.phase).toBe('ERROR');
    });
  });

  describe('the conditional phase update', () => {
    it('ABORT right after RUN wins; the completion report that follows does not overwrite ABORTED', async () => {
      const url = await c.create('sleep', { duration: '0.5' });
      expect((await c.post(`${url}/phase`, { PHASE: 'RUN' })).status).toBe(303);
      const abort = await c.post(`${url}/phase`, { PHASE: 'ABORT' });
      expect(abort.status).toBe(303);
      expect(await c.phase(url)).toBe('ABORTED');
      const endTime = (await row(db, idOf(url)))!.end_time;
      expect(endTime).not.toBeNull();
      await pause(1500); // well past the job's own end: its (killed) process has reported by now
      expect(await c.phase(url)).toBe('ABORTED');
      expect((await row(db, idOf(url)))!.end_time).toBe(endTime);
      // ABORT again is illegal in ABORTED
      expect((await c.post(`${url}/phase`, { PHASE: 'ABORT' })).status).toBe(403);
    });

    it('a late COMPLETED report (a valid callback) leaves an ABORTED job ABORTED; the same report completes an EXECUTING job', async () => {
      const event = (jobId: string, phase: string) =>
        send(`${app!.baseUrl}/callbacks/job-event`, { method: 'POST', body: new URLSearchParams({ jobId, token: tokenFor(jobId), phase, exitCode: '0' }) });
      // positive control: the report is honoured while the job is EXECUTING
      const running = await c.create('sleep', { duration: '5', PHASE: 'RUN' });
      const deadline = Date.now() + 20_000;
      while ((await c.phase(running)) !== 'EXECUTING' && Date.now() < deadline) await c.get(`${running}?WAIT=5&PHASE=QUEUED`);
      expect(await c.phase(running)).toBe('EXECUTING');
      expect((await event(idOf(running), 'COMPLETED')).status).toBe(204);
      await c.get(`${running}?WAIT=10&PHASE=EXECUTING`);
      expect(await c.phase(running)).toBe('COMPLETED');

      const url = await c.create('sleep', { duration: '30', PHASE: 'RUN' });
      expect((await c.post(`${url}/phase`, { PHASE: 'ABORT' })).status).toBe(303);
      const before = (await row(db, idOf(url)))!;
      expect(before.phase).toBe('ABORTED');
      expect((await event(idOf(url), 'COMPLETED')).status).toBe(204);
      expect((await event(idOf(url), 'EXECUTING')).status).toBe(204);
      await pause(800); // reports are handled after the 204
      const after = (await row(db, idOf(url)))!;
      expect(after.phase).toBe('ABORTED');
      expect(after.end_time).toBe(before.end_time);
      expect(await c.phase(url)).toBe('ABORTED');
    });

    it('many short jobs, each ABORTed as soon as it runs: every accepted ABORT sticks, every refused one completed', async () => {
      const urls = await pool(Array.from({ length: 12 }), 6, () => c.create('sleep', { duration: '0.05' }));
      const answers = await pool(urls, 12, async (url) => {
        await c.post(`${url}/phase`, { PHASE: 'RUN' });
        return (await c.post(`${url}/phase`, { PHASE: 'ABORT' })).status;
      });
      for (const url of urls) await c.settle(url);
      await pause(1000);
      const finals = await Promise.all(urls.map((u) => c.phase(u)));
      for (let i = 0; i < urls.length; i++) {
        expect([answers[i], finals[i]]).toEqual(answers[i] === 303 ? [303, 'ABORTED'] : [403, 'COMPLETED']);
      }
    });
  });

  describe('changing a PENDING job, and DELETE', () => {
    it('parameters (and RUNID, EXECUTIONDURATION) change while PENDING, not after', async () => {
      const url = await c.create('sleep', { duration: '0', message: 'first' });
      expect((await c.post(url, { message: 'second', RUNID: 'renamed' })).status).toBe(303);
      expect((await c.post(`${url}/parameters`, { duration: '0.1' })).status).toBe(303);
      const put = await send(`${url}/parameters/message`, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'third' });
      expect(put.status).toBe(303);
      expect((await c.post(`${url}/executionduration`, { EXECUTIONDURATION: '33' })).status).toBe(303);
      const xml = (await c.get(url)).text;
      expect(xml).toContain('<uws:parameter id="message">third</uws:parameter>');
      expect(xml).toContain('<uws:parameter id="duration">0.1</uws:parameter>');
      expect(xmlValue(xml, 'runId')).toBe('renamed');
      expect(xmlValue(xml, 'executionDuration')).toBe('33');
      const stored = (await row(db, idOf(url)))!;
      expect(stored.run_id).toBe('renamed');
      expect(stored.parameters).toContain('third');
      // a bad value is refused and changes nothing
      expect((await c.post(url, { duration: 'soon' })).status).toBe(400);
      expect((await c.get(`${url}/parameters/duration`)).text).toBe('0.1');

      expect((await c.post(`${url}/phase`, { PHASE: 'RUN' })).status).toBe(303);
      expect(await c.settle(url)).toBe('COMPLETED');
      expect((await c.get(`${url}/results/report`)).text).toBe('slept 0.1 s\nmessage: third\n');
      expect((await c.post(url, { message: 'too late' })).status).toBe(403);
      expect((await c.post(`${url}/executionduration`, { EXECUTIONDURATION: '10' })).status).toBe(403);
      expect((await c.get(`${url}/parameters/message`)).text).toBe('third');
    });

    it('DELETE removes the row and answers 303 to the list; the job is then 404; ACTION=DELETE too', async () => {
      const url = await c.create('sleep', {});
      expect(await row(db, idOf(url))).toBeDefined();
      const r = await c.del(url);
      expect(r.status).toBe(303);
      expect(r.location.startsWith(`${app!.baseUrl}/rest/sleep`)).toBe(true);
      expect((await c.get(url)).status).toBe(404);
      expect(await row(db, idOf(url))).toBeUndefined();
      expect((await c.del(url)).status).toBe(404);

      const running = await c.create('sleep', { duration: '30', PHASE: 'RUN' });
      expect((await c.post(running, { ACTION: 'DELETE' })).status).toBe(303);
      expect((await c.get(running)).status).toBe(404);
      expect(await row(db, idOf(running))).toBeUndefined();
    });
  });

  describe('the destruction reaper (REAPER_INTERVAL=1, DESTRUCTION_MODE=delete)', () => {
    it('forgets a job once its DESTRUCTION has passed, and only that job', async () => {
      const soon = new Date(Date.now() + 2000).toISOString();
      const doomed = await c.create('sleep', { duration: '0', PHASE: 'RUN', DESTRUCTION: soon });
      const kept = await c.create('sleep', { duration: '0', DESTRUCTION: new Date(Date.now() + 3_600_000).toISOString() });
      expect(await c.settle(doomed)).toBe('COMPLETED');
      expect((await c.get(doomed)).status).toBe(200);
      expect(await eventually(async () => (await c.get(doomed)).status === 404, 15)).toBe(true);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(soon));
      expect(await row(db, idOf(doomed))).toBeUndefined();
      expect((await c.get(kept)).status).toBe(200);
    });
  });

  describe('WAIT', () => {
    it('a WAIT on a PENDING job is woken by another client\'s RUN, not by its time limit', async () => {
      const url = await c.create('sleep', { duration: '1' });
      const t0 = Date.now();
      const waiting = c.get(`${url}?WAIT=30&PHASE=PENDING`);
      await pause(300);
      expect((await c.post(`${url}/phase`, { PHASE: 'RUN' })).status).toBe(303);
      const woke = await waiting;
      expect(woke.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(['QUEUED', 'EXECUTING', 'COMPLETED']).toContain(xmlValue(woke.text, 'phase'));
    });

    it('WAIT follows a job to COMPLETED about when it ends, and answers at once for a finished job', async () => {
      const url = await c.create('sleep', { duration: '1', PHASE: 'RUN' });
      const t0 = Date.now();
      expect(await c.settle(url, 30)).toBe('COMPLETED');
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(8000);
      const again = await c.get(`${url}?WAIT=30`);
      expect(again.ms).toBeLessThan(2000);
      expect(xmlValue(again.text, 'phase')).toBe('COMPLETED');
    });

    it('a WAIT with a PHASE the job has already left answers at once', async () => {
      const url = await c.create('sleep', { duration: '0' });
      const r = await c.get(`${url}?WAIT=30&PHASE=EXECUTING`);
      expect(r.ms).toBeLessThan(2000);
      expect(xmlValue(r.text, 'phase')).toBe('PENDING');
    });
  });
});

describe('PostgreSQL: the job list (DESTRUCTION_MODE=archive)', () => {
  let db: string;
  let app: RunningApp | undefined;
  let c: UwsClient;
  /** Created in this order, each with a creationTime of its own: PENDING, COMPLETED, ABORTED, PENDING, ARCHIVED. */
  let j1: string, j2: string, j3: string, j4: string, j5: string;
  const created = new Map<string, string>();
  const ids = async (query = '') => {
    const r = await c.get(`/rest/sleep${query}`);
    expect(r.status).toBe(200);
    return jobRefs(r.text).refs.map((x) => x.id);
  };

  beforeAll(async () => {
    db = await ensurePostgres();
    app = await startApp({ DATABASE_URL: db, DESTRUCTION_MODE: 'archive', REAPER_INTERVAL: '1' });
    c = new UwsClient(app.baseUrl);
    const make = async (form: Record<string, string>) => {
      const url = await c.create('sleep', form);
      const t = xmlValue((await c.get(url)).text, 'creationTime')!;
      if ([...created.values()].includes(t)) throw new Error('two jobs share a creationTime');
      created.set(idOf(url), t);
      await pause(5);
      return url;
    };
    j1 = await make({ RUNID: 'first' });
    j2 = await make({ duration: '0', PHASE: 'RUN' });
    j3 = await make({});
    j4 = await make({ duration: '5' });
    j5 = await make({ duration: '0', PHASE: 'RUN', DESTRUCTION: new Date(Date.now() + 2000).toISOString() });
    expect(await c.settle(j2)).toBe('COMPLETED');
    expect(await c.settle(j5)).toBe('COMPLETED');
    expect((await c.post(`${j3}/phase`, { PHASE: 'ABORT' })).status).toBe(303);
  });
  afterAll(async () => {
    await app?.close();
    if (app) {
      killJobGroups(app.dataDir);
      fs.rmSync(app.dataDir, { recursive: true, force: true });
    }
    if (db) await dropDatabase(db);
  });

  const I = (u: () => string) => () => idOf(u());
  const [I1, I2, I3, I4, I5] = [I(() => j1), I(() => j2), I(() => j3), I(() => j4), I(() => j5)];

  it('the reaper archives a job when its DESTRUCTION passes (the row stays, ARCHIVED)', async () => {
    expect(await eventually(async () => xmlValue((await c.get(j5)).text, 'phase') === 'ARCHIVED', 15)).toBe(true);
    expect((await row(db, I5()))!.phase).toBe('ARCHIVED');
    expect((await c.get(`${j5}/results/report`)).status).toBe(404);
  });

  it('newest first, ARCHIVED hidden, each creationTime the job document\'s', async () => {
    const { refs } = jobRefs((await c.get('/rest/sleep')).text);
    expect(refs.map((x) => x.id)).toEqual([I4(), I3(), I2(), I1()]);
    expect(refs.map((x) => x.phase)).toEqual(['PENDING', 'ABORTED', 'COMPLETED', 'PENDING']);
    expect(refs[3].runId).toBe('first');
    for (const x of refs) expect(x.creationTime).toBe(created.get(x.id));
    expect(await ids('?PHASE=ARCHIVED')).toEqual([I5()]);
    expect(await ids('?PHASE=ARCHIVED&PHASE=PENDING')).toEqual([I5(), I4(), I1()]);
  });

  it('PHASE filters and is repeatable (a union)', async () => {
    expect(await ids('?PHASE=PENDING')).toEqual([I4(), I1()]);
    expect(await ids('?PHASE=COMPLETED')).toEqual([I2()]);
    expect(await ids('?PHASE=PENDING&PHASE=COMPLETED')).toEqual([I4(), I2(), I1()]);
    expect(await ids('?phase=ABORTED&Phase=COMPLETED')).toEqual([I3(), I2()]);
    expect(await ids('?PHASE=EXECUTING')).toEqual([]);
  });

  it('AFTER is strict: a job whose creationTime equals AFTER is left out', async () => {
    expect(await ids(`?AFTER=${created.get(I2())}`)).toEqual([I4(), I3()]);
    expect(await ids(`?AFTER=${created.get(I4())}`)).toEqual([]);
    const justBefore = new Date(Date.parse(created.get(I2())!) - 1).toISOString();
    expect(await ids(`?AFTER=${justBefore}`)).toEqual([I4(), I3(), I2()]);
    expect(await ids('?AFTER=2015-10-26T09:15:35Z')).toEqual([I4(), I3(), I2(), I1()]);
  });

  it('LAST=n gives the n newest, and combines with the other filters', async () => {
    expect(await ids('?LAST=1')).toEqual([I4()]);
    expect(await ids('?LAST=2')).toEqual([I4(), I3()]);
    expect(await ids('?PHASE=PENDING&LAST=1')).toEqual([I4()]);
    expect(await ids(`?AFTER=${created.get(I1())}&PHASE=PENDING`)).toEqual([I4()]);
    expect(await ids(`?LAST=5&PHASE=COMPLETED&PHASE=ABORTED&AFTER=${created.get(I2())}`)).toEqual([I3()]);
  });

  it('the JSON list says the same', async () => {
    const body = JSON.parse((await c.get('/rest/sleep?PHASE=PENDING', { Accept: 'application/json' })).text);
    expect(body.jobs.map((x: { jobId: string }) => x.jobId)).toEqual([I4(), I1()]);
    expect(body.jobs[1]).toMatchObject({ href: j1, phase: 'PENDING', runId: 'first', creationTime: created.get(I1()) });
  });

  describe('keyset pagination over more than one batch (500 rows)', () => {
    const N = 1200;
    let mass: Set<string>;
    beforeAll(async () => {
      const urls = await pool(Array.from({ length: N }), 16, (_x, i) => c.create('sleep', { RUNID: `mass-${i}` }));
      mass = new Set(urls.map(idOf));
      expect(mass.size).toBe(N);
    });

    it(`lists all ${N + 4} jobs, each once, strictly newest first`, async () => {
      const r = await c.get('/rest/sleep');
      const { refs } = jobRefs(r.text);
      expect(refs.length).toBe(N + 4);
      expect(new Set(refs.map((x) => x.id)).size).toBe(refs.length);
      expect(refs.filter((x) => mass.has(x.id)).length).toBe(N);
      expectNewestFirst(refs);
      // the stored order, read straight from PostgreSQL, is the list's order
      const stored = await pgQuery<{ id: string }>(db, "select id from uws_job where type = 'sleep' and phase <> 'ARCHIVED' order by creation_time desc, id desc");
      expect(refs.map((x) => x.id)).toEqual(stored.map((s) => s.id));
      // JSON: the same list
      const json = JSON.parse((await c.get('/rest/sleep', { Accept: 'application/json' })).text);
      expect(json.jobs.map((x: { jobId: string }) => x.jobId)).toEqual(refs.map((x) => x.id));
    });

    it('LAST across a batch boundary, and AFTER over many pages', async () => {
      const all = jobRefs((await c.get('/rest/sleep')).text).refs;
      expect(await ids('?LAST=700')).toEqual(all.slice(0, 700).map((x) => x.id));
      expect(await ids('?LAST=500')).toEqual(all.slice(0, 500).map((x) => x.id));
      expect(await ids('?LAST=501')).toEqual(all.slice(0, 501).map((x) => x.id));
      const pivot = all[650].creationTime!;
      const newer = all.filter((x) => Date.parse(x.creationTime!) > Date.parse(pivot)).map((x) => x.id);
      expect(await ids(`?AFTER=${pivot}`)).toEqual(newer);
      expect(await ids('?PHASE=PENDING')).toEqual(all.filter((x) => x.phase === 'PENDING').map((x) => x.id));
    });

    it('700 more jobs sharing one creation time (rows copied in SQL) are listed once each, ties broken by id', async () => {
      const source = [...mass][0];
      const src = (await row(db, source))!;
      const tie = Number(src.creation_time);
      await pgQuery(
        db,
        `insert into uws_job (id, type, run_id, owner_id, phase, creation_time, start_time, end_time, execution_duration, destruction,
           quote, error_type, error_message, error_detail, external_ref, plugin_hash, parameters, results, job_info)
         select substr(md5('tie' || g::text), 1, 16), type, 'tie-' || g::text, owner_id, phase, creation_time, start_time, end_time,
           execution_duration, destruction, quote, error_type, error_message, error_detail, external_ref, plugin_hash, parameters, results, job_info
         from uws_job, generate_series(1, 700) as g where id = $1`,
        [source],
      );
      const sharing = await pgQuery<{ n: string }>(db, 'select count(*) as n from uws_job where creation_time = $1', [tie]);
      const tied = Number(sharing[0].n);
      expect(tied).toBeGreaterThanOrEqual(701);

      const { refs } = jobRefs((await c.get('/rest/sleep')).text);
      expect(refs.length).toBe(N + 4 + 700);
      expect(new Set(refs.map((x) => x.id)).size).toBe(refs.length);
      expectNewestFirst(refs);
      const atTie = refs.filter((x) => x.creationTime === new Date(tie).toISOString());
      expect(atTie.length).toBe(tied);
      // one contiguous run, so that a page boundary (500 rows) falls inside it
      const first = refs.findIndex((x) => x.creationTime === new Date(tie).toISOString());
      expect(refs.slice(first, first + tied).every((x) => x.creationTime === atTie[0].creationTime)).toBe(true);

      // AFTER one ms before the tie takes all of them, AFTER the tie itself none (strict)
      const newerThanTie = refs.filter((x) => Date.parse(x.creationTime!) > tie).map((x) => x.id);
      expect(await ids(`?AFTER=${new Date(tie).toISOString()}`)).toEqual(newerThanTie);
      const fromTie = await ids(`?AFTER=${new Date(tie - 1).toISOString()}`);
      expect(fromTie.length).toBe(newerThanTie.length + tied);
      expect(new Set(fromTie).size).toBe(fromTie.length);
      // LAST ending inside the tie
      expect(await ids(`?LAST=${first + 600}`)).toEqual(refs.slice(0, first + 600).map((x) => x.id));
      // a copied job reads like any other
      const copy = refs.find((x) => x.runId === 'tie-7')!;
      const doc = (await c.get(copy.href)).text;
      expect(xmlValue(doc, 'creationTime')).toBe(new Date(tie).toISOString());
    });

    /** Every job id of the web job list, following its "next page" links. */
    async function webList(query: string): Promise<string[]> {
      const seen: string[] = [];
      let next: string | undefined = `${app!.baseUrl}/jobs?${query}`;
      for (let pages = 0; next && pages < 100; pages++) {
        const page: { status: number; text: string } = await send(next, { headers: { Accept: 'text/html' } });
        expect(page.status).toBe(200);
        for (const m of page.text.matchAll(/data-job="([^"]+)"/g)) if (seen[seen.length - 1] !== m[1]) seen.push(m[1]);
        const link: RegExpExecArray | null = /<a href="([^"]+)" rel="next">/.exec(page.text);
        next = link ? decodeHtml(link[1]) : undefined;
      }
      expect(next).toBeUndefined();
      return seen;
    }

    it('the web job list pages through the same jobs with its own keyset cursor, either way round', async () => {
      const api = jobRefs((await c.get('/rest/sleep')).text).refs.map((x) => x.id);
      expect(await webList('type=sleep&size=100')).toEqual(api);
      expect(await webList('type=sleep&size=100&sort=oldest')).toEqual([...api].reverse());
      const pending = jobRefs((await c.get('/rest/sleep?PHASE=PENDING')).text).refs.map((x) => x.id);
      expect(await webList('type=sleep&size=100&phase=PENDING')).toEqual(pending);
    });
  });
});

describe('PostgreSQL: users and owner isolation (ANONYMOUS_ACCESS=false)', () => {
  const ROOT_PASSWORD = 'root-password-pg';
  let db: string;
  let dataDir: string;
  let app: RunningApp | undefined;
  let admin: AuthClient;
  let alice: AuthClient;
  let bob: AuthClient;
  const mk = (auth?: string) => new AuthClient(app!.baseUrl, auth);

  /** `npm run user -- …` on this database (the CLI's own function, in-process). */
  async function userCli(args: string[], stdin = '') {
    const out: string[] = [];
    const err: string[] = [];
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db, LOG_LEVEL: 'warn' }, ROOT);
    const code = await runUserCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => stdin }, config);
    return { code, out, err };
  }
  async function newUser(name: string): Promise<AuthClient> {
    expect((await admin.post('/admin/users', { name })).status).toBe(201);
    const t = await admin.post(`/admin/users/${name}/tokens`, { label: 'tests' });
    expect(t.status).toBe(201);
    return mk(basic(name, (JSON.parse(t.text) as { token: string }).token));
  }

  beforeAll(async () => {
    db = await ensurePostgres();
    dataDir = tempDir('uws-pg-users-');
    // the first administrator comes from the CLI, before the server runs (it migrates the empty database itself)
    const added = await userCli(['add', 'root', '--admin', '--password-stdin'], `${ROOT_PASSWORD}\n`);
    expect(added.code).toBe(0);
    app = await startApp({ DATABASE_URL: db, DATA_DIR: dataDir, ANONYMOUS_ACCESS: 'false', MAX_ACTIVE_JOBS_PER_USER: '2', SIGNIN_RATE_LIMIT: '1000/300' });
    admin = mk(basic('root', ROOT_PASSWORD));
    alice = await newUser('alice');
    bob = await newUser('bob');
  });
  afterAll(async () => {
    await app?.close();
    killJobGroups(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (db) await dropDatabase(db);
  });

  it('without credentials: 401', async () => {
    expect((await mk().get('/rest/sleep')).status).toBe(401);
  });

  it("each user sees only their own jobs; another user's job is 403; the administrator sees all", async () => {
    const a = await alice.create('sleep', { duration: '0', RUNID: 'alice-1' });
    const b = await bob.create('sleep', { duration: '0', RUNID: 'bob-1' });
    expect((await alice.get(`${a}/owner`)).text).toBe('alice');
    expect((await row(db, idOf(a)))!.owner_id).toBe('alice');
    expect((await alice.get(b)).status).toBe(403);
    expect((await bob.get(a)).status).toBe(403);
    expect((await bob.post(`${a}/phase`, { PHASE: 'RUN' })).status).toBe(403);
    expect((await bob.req('DELETE', a)).status).toBe(403);
    const ids = async (cl: AuthClient, q = '') => jobRefs((await cl.get(`/rest/sleep${q}`)).text).refs.map((x) => x.id);
    expect(await ids(alice)).toEqual([idOf(a)]);
    expect(await ids(bob)).toEqual([idOf(b)]);
    expect(await ids(admin)).toEqual([idOf(b), idOf(a)]);
    expect(await ids(admin, '?OWNER=alice')).toEqual([idOf(a)]);
    expect(await ids(bob, '?OWNER=alice')).toEqual([]);
    expect((await admin.get(a)).status).toBe(200);
  });

  it('the per-user limit of active jobs is counted in PostgreSQL', async () => {
    // alice has one PENDING job from the test above; the limit is 2
    const second = await alice.create('sleep', { duration: '0' });
    const third = await alice.post('/rest/sleep', { duration: '0' });
    expect(third.status).toBe(403);
    expect(third.text).toMatch(/at most 2/);
    expect((await bob.post('/rest/sleep', { duration: '0' })).status).toBe(303);
    // the CLI lists the active jobs per owner (a grouped count on the database)
    const list = await userCli(['list']);
    expect(list.code).toBe(0);
    expect(list.out.join('\n')).toMatch(/^alice\tuser\tno password\t2 active jobs/m);
    expect(list.out.join('\n')).toMatch(/^bob\tuser\tno password\t2 active jobs/m);
    // so does the administrators' user list
    const users = JSON.parse((await admin.get('/admin/users')).text) as { users: { name: string; activeJobs: number }[] };
    expect(users.users.find((u) => u.name === 'alice')!.activeJobs).toBe(2);
    expect(users.users.find((u) => u.name === 'root')!.activeJobs).toBe(0);
    // an ended job no longer counts
    expect((await alice.post(`${second}/phase`, { PHASE: 'RUN' })).status).toBe(303);
    expect(await alice.settle(second)).toBe('COMPLETED');
    expect((await alice.post('/rest/sleep', { duration: '0' })).status).toBe(303);
  });

  it('a token made with the CLI on the database works at once; revoked through the admin API it stops working', async () => {
    expect((await userCli(['add', 'carol'])).code).toBe(0);
    const t = await userCli(['token', 'carol', 'cli']);
    expect(t.code).toBe(0);
    const carol = mk(basic('carol', t.out[0]));
    expect((await carol.get('/rest/sleep')).status).toBe(200);
    expect(jobRefs((await carol.get('/rest/sleep')).text).refs).toEqual([]);
    expect((await admin.req('DELETE', `/admin/tokens/${t.out[0].split('.')[0]}`)).status).toBe(204);
    expect((await carol.get('/rest/sleep')).status).toBe(401);
  });

  it('a duplicate user name is 409; a token label with a NUL byte is 400 (API and CLI), not a database error', async () => {
    expect((await admin.post('/admin/users', { name: 'alice' })).status).toBe(409);
    expect((await userCli(['add', 'alice'])).code).toBe(1);
    const label = await admin.post('/admin/users/alice/tokens', { label: 'x\u0000y' });
    expect(label.status).toBe(400);
    expect(label.text).toMatch(/label/);
    const cli = await userCli(['token', 'alice', 'x\u0000y']);
    expect(cli.code).toBe(1);
    expect(cli.err.join('\n')).toMatch(/label/);
  });
});

describe('PostgreSQL: a server crash (SIGKILL) and restart on the same database', () => {
  let db: string;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  async function start(extra: Record<string, string> = {}): Promise<UwsClient> {
    const t = await testEnv({ DATABASE_URL: db, DATA_DIR: dataDir, ...extra });
    const s = await spawnServer(t);
    servers.push(s);
    return new UwsClient(s.baseUrl);
  }

  beforeAll(async () => {
    db = await ensurePostgres();
    dataDir = tempDir('uws-pg-crash-');
  });
  afterAll(async () => {
    for (const s of servers.splice(0)) await killServer(s);
    killJobGroups(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (db) await dropDatabase(db);
  });

  it('jobs running when the server dies complete after the restart (the reconciler reads them back); QUEUED ones run', async () => {
    let c = await start({ MAX_CONCURRENT_JOBS: '1' });
    const running = await c.create('sleep', { duration: '3', message: 'survivor', PHASE: 'RUN' });
    const queued = await c.create('sleep', { duration: '0', message: 'queued', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), running, 'EXECUTING')).toBe('EXECUTING');
    expect(await c.phase(queued)).toBe('QUEUED');
    const pid = jobPid(dataDir, idOf(running))!;
    await killServer(servers[servers.length - 1]);
    expect(groupAlive(pid)).toBe(true);

    c = await start({ MAX_CONCURRENT_JOBS: '1', RECONCILE_INTERVAL: '1' });
    // the new server has a new port: the same job paths
    const pathOf = (u: string) => new URL(u).pathname;
    expect(await c.settle(pathOf(running), 30)).toBe('COMPLETED');
    expect((await c.get(`${pathOf(running)}/results/report`)).text).toBe('slept 3 s\nmessage: survivor\n');
    expect(await c.settle(pathOf(queued), 30)).toBe('COMPLETED');
    expect((await c.get(`${pathOf(queued)}/results/report`)).text).toBe('slept 0 s\nmessage: queued\n');
    const applied = (await pgQuery<{ name: string }>(db, 'select name from mikro_orm_migrations order by id')).map((r) => r.name);
    expect(applied).toEqual(['Migration001Initial', 'Migration002Users']);
  });
});
