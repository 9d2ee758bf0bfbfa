/**
 * Restart recovery: the server runs as a child process, is SIGKILLed while jobs run or wait, and is started
 * again on the same DATA_DIR (same SQLite file). Running jobs live on as their own process groups and are
 * settled by the reconciler; queued ones are submitted again; a job whose process died meanwhile is an ERROR.
 */
import * as fs from 'node:fs';
import {
  groupAlive,
  jobPid,
  killJobGroups,
  killServer,
  reachPhase,
  ServerProcess,
  spawnServer,
  TestEnv,
  testEnv,
} from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

jest.setTimeout(120000);

const idOf = (jobUrl: string) => jobUrl.split('/').pop()!;

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('restart recovery', () => {
  let t: TestEnv | undefined;
  const servers: ServerProcess[] = [];

  async function start(extra: Record<string, string> = {}): Promise<UwsClient> {
    const s = await spawnServer({ ...t!, env: { ...t!.env, ...extra } });
    servers.push(s);
    return new UwsClient(s.baseUrl);
  }

  /** SIGKILLs the newest server: no shutdown hook runs, exactly like a crash. */
  async function crash(): Promise<void> {
    await killServer(servers[servers.length - 1]);
  }

  afterEach(async () => {
    for (const s of servers.splice(0)) await killServer(s);
    if (t) {
      killJobGroups(t.dataDir);
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
    t = undefined;
  });

  test('jobs running when the server dies complete after the restart, with their reports', async () => {
    t = await testEnv();
    let c = await start();
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push(await c.create('sleep', { duration: '3', message: `survivor-${i}`, PHASE: 'RUN' }));
    const long = await c.create('sleep', { duration: '654.321', PHASE: 'RUN' });
    for (const u of [...urls, long]) expect(await reachPhase((p) => c.get(p), u, 'EXECUTING')).toBe('EXECUTING');
    const pids = urls.map((u) => jobPid(t!.dataDir, idOf(u))!);
    const longPid = jobPid(t.dataDir, idOf(long))!;

    await crash();
    // The jobs are their own process groups: the server's death does not take them along.
    for (const pid of pids) expect(groupAlive(pid)).toBe(true);

    c = await start({ RECONCILE_INTERVAL: '1' });
    for (const [i, u] of urls.entries()) {
      expect(await c.settle(u, 30)).toBe('COMPLETED');
      const job = (await c.get(u)).text;
      expect(Date.parse(xmlValue(job, 'endTime')!)).toBeGreaterThanOrEqual(Date.parse(xmlValue(job, 'startTime')!));
      const results = (await c.get(`${u}/results`)).text;
      expect(results).toMatch(/<uws:result\b[^>]*id="report"/);
      const report = await c.get(`${u}/results/report`);
      expect(report.status).toBe(200);
      expect(report.text).toContain(`message: survivor-${i}`);
    }

    // A job started by the previous server can still be aborted: its whole group goes.
    expect(await c.phase(long)).toBe('EXECUTING');
    expect((await c.post(`${long}/phase`, { PHASE: 'ABORT' })).status).toBe(303);
    expect(await c.phase(long)).toBe('ABORTED');
    expect(await eventually(() => !groupAlive(longPid))).toBe(true);
  });

  test('jobs QUEUED when the server dies run after the restart, still one at a time (MAX_CONCURRENT_JOBS=1)', async () => {
    t = await testEnv({ MAX_CONCURRENT_JOBS: '1' });
    let c = await start();
    const urls: string[] = [];
    // The first job outlives the restart, so the restarted server must count it against the limit.
    for (const [i, d] of ['5', '1', '1'].entries()) urls.push(await c.create('sleep', { duration: d, message: `queued-${i}`, PHASE: 'RUN' }));
    expect(await reachPhase((p) => c.get(p), urls[0], 'EXECUTING')).toBe('EXECUTING');
    expect(await c.phase(urls[1])).toBe('QUEUED');
    expect(await c.phase(urls[2])).toBe('QUEUED');

    await crash();
    c = await start({ RECONCILE_INTERVAL: '1' });
    for (const [i, u] of urls.entries()) {
      expect(await c.settle(u, 30)).toBe('COMPLETED');
      const report = await c.get(`${u}/results/report`);
      expect(report.status).toBe(200);
      expect(report.text).toContain(`message: queued-${i}`);
    }
    const times = await Promise.all(
      urls.map(async (u) => {
        const x = (await c.get(u)).text;
        return { start: Date.parse(xmlValue(x, 'startTime')!), end: Date.parse(xmlValue(x, 'endTime')!) };
      }),
    );
    expect(times[1].start).toBeGreaterThanOrEqual(times[0].end);
    expect(times[2].start).toBeGreaterThanOrEqual(times[1].end);
  });

  test('a job whose process was killed while the server was down ends in ERROR, saying it was lost', async () => {
    t = await testEnv();
    let c = await start();
    const url = await c.create('sleep', { duration: '30.25', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), url, 'EXECUTING')).toBe('EXECUTING');
    const pid = jobPid(t.dataDir, idOf(url))!;

    await crash();
    process.kill(-pid, 'SIGKILL');
    expect(await eventually(() => !groupAlive(pid))).toBe(true);

    c = await start({ RECONCILE_INTERVAL: '1' });
    expect(await c.settle(url, 30)).toBe('ERROR');
    const job = (await c.get(url)).text;
    const tag = /<uws:errorSummary\b[^>]*>/.exec(job)?.[0] ?? '';
    expect(tag).toMatch(/type="fatal"/);
    expect(xmlValue(job, 'message')).toMatch(/gone|lost/i);
    expect(Date.parse(xmlValue(job, 'endTime')!)).toBeGreaterThan(0);
    expect((await c.get(`${url}/error`)).text).toMatch(/gone|lost/i);
  });
});
