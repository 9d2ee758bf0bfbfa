/**
 * Execution end to end: every phase transition of a real local job, the duration limit, the concurrency
 * limit and shell injection through parameter values. Real HTTP, real SQLite, real processes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { groupAlive, jobPid, killJobGroups, reachPhase, RunningApp, startApp, tempDir } from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

const idOf = (jobUrl: string) => jobUrl.split('/').pop()!;

/** Polls a local condition (process table, file system) for at most `ms`; never used for job phases. */
async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Processes whose command line contains `pattern` (pgrep run without a shell, so it cannot match itself). */
function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // exit status 1: no match
  }
}

function errorSummary(xml: string): { type?: string; hasDetail?: string; message?: string } {
  const tag = /<uws:errorSummary\b[^>]*>/.exec(xml)?.[0] ?? '';
  return {
    type: /type="([^"]*)"/.exec(tag)?.[1],
    hasDetail: /hasDetail="([^"]*)"/.exec(tag)?.[1],
    message: xmlValue(xml, 'message'),
  };
}

const unescapeXml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

describe('UWS execution (local processes)', () => {
  let app: RunningApp;
  let c: UwsClient;

  beforeAll(async () => {
    app = await startApp();
    c = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    if (app) {
      killJobGroups(app.dataDir);
      await app.close();
      fs.rmSync(app.dataDir, { recursive: true, force: true });
    }
  });

  test('PENDING → QUEUED/EXECUTING → COMPLETED, with start/end times and sized, typed results', async () => {
    const url = await c.create('sleep', { duration: '0.5', message: 'done-ok' });
    expect(await c.phase(url)).toBe('PENDING');
    const run = await c.post(`${url}/phase`, { PHASE: 'RUN' });
    expect(run.status).toBe(303);
    expect(run.location).toBe(url);
    expect(['QUEUED', 'EXECUTING']).toContain(await c.phase(url));
    expect(await c.settle(url)).toBe('COMPLETED');

    const job = (await c.get(url)).text;
    const start = Date.parse(xmlValue(job, 'startTime')!);
    const end = Date.parse(xmlValue(job, 'endTime')!);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThanOrEqual(start);
    expect(job).not.toContain('<uws:errorSummary');

    const results = (await c.get(`${url}/results`)).text;
    const tag = /<uws:result\b[^>]*id="report"[^>]*\/?>/.exec(results)?.[0];
    expect(tag).toBeDefined();
    expect(tag).toMatch(/mime-type="text\/plain"/);
    const size = Number(/size="(\d+)"/.exec(tag!)?.[1]);
    const href = /xlink:href="([^"]+)"/.exec(tag!)![1];
    const report = await c.get(href);
    expect(report.status).toBe(200);
    expect(report.text).toContain('message: done-ok');
    expect(Buffer.byteLength(report.text)).toBe(size);
  });

  test('PENDING → ABORTED via PHASE=ABORT sets endTime', async () => {
    const url = await c.create('sleep', { duration: '5' });
    const r = await c.post(`${url}/phase`, { PHASE: 'ABORT' });
    expect(r.status).toBe(303);
    const job = (await c.get(url)).text;
    expect(xmlValue(job, 'phase')).toBe('ABORTED');
    expect(Date.parse(xmlValue(job, 'endTime')!)).toBeGreaterThan(0);
    expect(jobPid(app.dataDir, idOf(url))).toBeUndefined();
  });

  test('EXECUTING → ABORTED via PHASE=ABORT leaves no process behind', async () => {
    const url = await c.create('sleep', { duration: '987.654', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), url, 'EXECUTING')).toBe('EXECUTING');
    const pid = jobPid(app.dataDir, idOf(url))!;
    expect(pid).toBeGreaterThan(0);
    expect(groupAlive(pid)).toBe(true);
    expect(await eventually(() => pgrep('sleep 987.654').length > 0)).toBe(true);

    const r = await c.post(`${url}/phase`, { PHASE: 'ABORT' });
    expect(r.status).toBe(303);
    const job = (await c.get(url)).text;
    expect(xmlValue(job, 'phase')).toBe('ABORTED');
    expect(Date.parse(xmlValue(job, 'endTime')!)).toBeGreaterThan(0);
    // Every process got the signal; a killed orphan (the sleep) can linger as a zombie until PID 1 reaps
    // it, and kill(-pid, 0) still counts zombies, so allow a few seconds for that.
    expect(await eventually(() => !groupAlive(pid))).toBe(true);
    expect(() => process.kill(-pid, 0)).toThrow();
    expect(pgrep('sleep 987.654')).toEqual([]);
    // A late report from the dying process does not change the phase.
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.phase(url)).toBe('ABORTED');
  });

  test('fail=true → ERROR with a fatal errorSummary, the exit code, and the stderr tail in /error', async () => {
    const url = await c.create('sleep', { duration: '0.2', fail: 'true', exitcode: '7', message: 'boom-5c1e', PHASE: 'RUN' });
    expect(await c.settle(url)).toBe('ERROR');
    const job = (await c.get(url)).text;
    const e = errorSummary(job);
    expect(e.type).toBe('fatal');
    expect(e.hasDetail).toBe('true');
    expect(e.message).toMatch(/\b7\b/);
    expect(Date.parse(xmlValue(job, 'endTime')!)).toBeGreaterThan(0);
    const detail = await c.get(`${url}/error`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('boom-5c1e');
    expect(detail.text).toMatch(/\b7\b/);
  });


  test('EXECUTIONDURATION=2 on a 30 s sleep → ABORTED after the limit, error names it, group gone', async () => {
    const t0 = Date.now();
    const url = await c.create('sleep', { duration: '30.5', EXECUTIONDURATION: '2', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), url, 'EXECUTING')).toBe('EXECUTING');
    const pid = jobPid(app.dataDir, idOf(url))!;
    expect(await c.settle(url, 20)).toBe('ABORTED');
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1800);
    expect(elapsed).toBeLessThan(15000);
    const job = (await c.get(url)).text;
    const e = errorSummary(job);
    expect(e.message).toMatch(/duration/i);
    expect(e.message).toMatch(/\b2 s\b/);
    expect(await eventually(() => !groupAlive(pid))).toBe(true);
    expect(pgrep('sleep 30.5')).toEqual([]);
  });

  describe('shell injection through a string parameter', () => {
    const dir = tempDir('uws-inject-');
    const file = (n: number) => path.join(dir, `pwned-${n}`);
    const values = [
      `$(touch ${file(1)})`,
      `\`touch ${file(2)}\``,
      `; touch ${file(3)}`,
      `' ; touch ${file(4)}; '`,
      `"$(touch ${file(5)})"`,
      `x\ntouch ${file(6)}`,
    ];

    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test.each(values.map((v, i) => [i + 1, v]))('value %i runs as plain text', async (n, value) => {
      const url = await c.create('sleep', { duration: '0.1', message: value as string, PHASE: 'RUN' });
      expect(await c.settle(url)).toBe('COMPLETED');
      expect(fs.existsSync(file(n as number))).toBe(false);
      const params = (await c.get(`${url}/parameters`)).text;
      expect(unescapeXml(/<uws:parameter id="message"[^>]*>([^<]*)</.exec(params)![1])).toBe(value);
      const report = await c.get(`${url}/results/report`);
      expect(report.status).toBe(200);
      expect(report.text).toBe(`slept 0.1 s\nmessage: ${value}\n`);
    });

    test('no file was created by any of them', () => {
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });
});

describe('UWS execution with MAX_CONCURRENT_JOBS=1', () => {
  let app: RunningApp;
  let c: UwsClient;

  beforeAll(async () => {
    app = await startApp({ MAX_CONCURRENT_JOBS: '1' });
    c = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    if (app) {
      killJobGroups(app.dataDir);
      await app.close();
      fs.rmSync(app.dataDir, { recursive: true, force: true });
    }
  });

  test('one job executes while the others wait QUEUED; all complete, one after another', async () => {
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push(await c.create('sleep', { duration: '1.5', message: `q${i}`, PHASE: 'RUN' }));
    const dropped = await c.create('sleep', { duration: '1', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), urls[0], 'EXECUTING')).toBe('EXECUTING');
    expect(await c.phase(urls[1])).toBe('QUEUED');
    expect(await c.phase(urls[2])).toBe('QUEUED');

    // QUEUED → ABORTED: the job leaves the queue and never runs.
    expect(await c.phase(dropped)).toBe('QUEUED');
    expect((await c.post(`${dropped}/phase`, { PHASE: 'ABORT' })).status).toBe(303);
    const aborted = (await c.get(dropped)).text;
    expect(xmlValue(aborted, 'phase')).toBe('ABORTED');
    expect(Date.parse(xmlValue(aborted, 'endTime')!)).toBeGreaterThan(0);
    const queued = (await c.get(urls[1])).text;
    expect(queued).toMatch(/<uws:startTime xsi:nil="true"\s*\/>/);
    const list = (await c.get('/rest/sleep?PHASE=QUEUED')).text;
    for (const u of urls.slice(1)) expect(list).toContain(`id="${idOf(u)}"`);

    for (const u of urls) expect(await c.settle(u)).toBe('COMPLETED');
    const times = await Promise.all(
      urls.map(async (u) => {
        const x = (await c.get(u)).text;
        return { start: Date.parse(xmlValue(x, 'startTime')!), end: Date.parse(xmlValue(x, 'endTime')!) };
      }),
    );
    // Never two at once: each starts after the previous one ended.
    expect(times[1].start).toBeGreaterThanOrEqual(times[0].end);
    expect(times[2].start).toBeGreaterThanOrEqual(times[1].end);
    expect(await c.phase(dropped)).toBe('ABORTED');
    expect(jobPid(app.dataDir, idOf(dropped))).toBeUndefined();
  });
});
