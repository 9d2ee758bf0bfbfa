/**
 * UWS on the REAL local SLURM cluster when things break: the server SIGKILLed while 20 jobs run, job events
 * lost while the server is down (settled by the reconciler at start-up), sshd restarted under a running job.
 * The server runs as a child process (spawnServer) where it gets killed.
 * Run: npx jest --selectProjects e2e -- test/slurm-uws   (as root: start.sh may start the daemons)
 */
import { ensureCluster, extraSshd, LocalCluster, sleep } from './cluster/cluster';
import { ClusterShell, jobInfoValue, rmrf, slurmEnv, slurmIdOf } from './support/slurm-uws';
import { killServer, RunningApp, ServerProcess, spawnServer, startApp, TestEnv, testEnv } from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

jest.setTimeout(120_000);

/** Port of the restartable sshd of this file (extra-sshd.sh); not 2223, which transport.e2e-spec uses. */
const EXTRA_PORT = 2241;

describe('UWS on SLURM: crashes, lost events, sshd restarts', () => {
  let cluster: LocalCluster;
  let sh: ClusterShell;
  let t: TestEnv | undefined;
  let app: RunningApp | undefined;
  const servers: ServerProcess[] = [];

  beforeAll(() => {
    cluster = ensureCluster();
  });

  beforeEach(() => {
    sh = new ClusterShell(cluster);
  });

  afterEach(async () => {
    for (const s of servers.splice(0)) await killServer(s);
    await app?.close().catch(() => undefined);
    await sh.cleanup().catch(() => undefined);
    rmrf(t?.dataDir ?? app?.dataDir);
    t = undefined;
    app = undefined;
  });

  afterAll(() => {
    try {
      extraSshd('stop', EXTRA_PORT);
    } catch {
      /* not started */
    }
  });

  async function start(extra: Record<string, string> = {}): Promise<UwsClient> {
    const s = await spawnServer({ ...t!, env: { ...t!.env, ...extra } });
    servers.push(s);
    return new UwsClient(s.baseUrl);
  }

  async function crash(): Promise<void> {
    await killServer(servers[servers.length - 1]);
  }

  async function newEnv(extra: Record<string, string> = {}): Promise<TestEnv> {
    const e = slurmEnv(cluster, extra);
    sh.remoteRoots.add(e.SLURM_REMOTE_ROOT);
    return testEnv(e);
  }

  test('the server is SIGKILLed while 20 jobs run; after the restart each reaches its true final phase', async () => {
    t = await newEnv();
    let c = await start();
    const jobs: { url: string; fail: boolean; msg: string }[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) {
      const fail = i === 6 || i === 13;
      const msg = `crash-${i}`;
      const url = await c.create('sleep', {
        duration: String(3 + (i % 3)),
        message: msg,
        PHASE: 'RUN',
        ...(fail ? { fail: 'true', exitcode: String(10 + i) } : {}),
      });
      sh.track(url);
      jobs.push({ url, fail, msg });
    }
    const submitMs = Date.now() - t0;
    // let them start on the cluster (16 slots on the node: a few may still be pending)
    const deadline = Date.now() + 20_000;
    let executing = 0;
    while (Date.now() < deadline) {
      const phases = await Promise.all(jobs.map((j) => c.phase(j.url)));
      executing = phases.filter((p) => p === 'EXECUTING').length;
      if (executing >= 10) break;
      await sleep(200);
    }
    expect(executing).toBeGreaterThanOrEqual(10);
    const slurmIds = await Promise.all(jobs.map((j) => slurmIdOf(c, j.url)));
    await crash();
    const tKill = Date.now();

    c = await start();
    console.log(`20 jobs submitted in ${submitMs} ms; ${executing} EXECUTING at the kill; restarted in ${Date.now() - tKill} ms`);
    const phases = await Promise.all(jobs.map((j) => c.settle(j.url, 60)));
    console.log(`all settled ${Date.now() - tKill} ms after the kill`);
    expect(phases).toEqual(jobs.map((j) => (j.fail ? 'ERROR' : 'COMPLETED')));

    const states = await sh.untilFinal(slurmIds, 30);
    for (const [i, j] of jobs.entries()) {
      const xml = (await c.get(j.url)).text;
      expect(jobInfoValue(xml, 'externalId')).toBe(slurmIds[i]);
      expect(states.get(slurmIds[i])).toBe(j.fail ? 'FAILED' : 'COMPLETED');
      const report = await c.get(`${j.url}/results/report`);
      expect(report.status).toBe(200);
      expect(report.text).toContain(`message: ${j.msg}`);
      if (j.fail) {
        expect(xmlValue(xml, 'message')).toContain(String(10 + i));
        expect((await c.get(`${j.url}/error`)).text).toContain(j.msg);
      }
    }
    // each job ran exactly once on the cluster: no resubmission after the restart
    const ours = await sh.ours();
    expect(ours.length).toBe(20);
  });

  test(
    'events lost while the server is down are recovered by the reconciler at start-up',
    async () => {
      t = await newEnv();
      let c = await start();
      const jobs: { url: string; fail: boolean }[] = [];
      for (let i = 0; i < 4; i++) {
        const fail = i === 3;
        const url = await c.create('sleep', {
          duration: '1',
          message: `lost-${i}`,
          PHASE: 'RUN',
          ...(fail ? { fail: 'true', exitcode: '7' } : {}),
        });
        sh.track(url);
        jobs.push({ url, fail });
      }
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const phases = await Promise.all(jobs.map((j) => c.phase(j.url)));
        if (phases.every((p) => p === 'EXECUTING')) break;
        await sleep(100);
      }
      const slurmIds = await Promise.all(jobs.map((j) => slurmIdOf(c, j.url)));
      await crash();
      const tKill = Date.now();
      // The jobs end while the server is down; their wrappers retry the report (1+2+4+…+32 s) and give up:
      // only then does SLURM see them end.
      const states = await sh.untilFinal(slurmIds, 110);
      console.log(`SLURM ended the jobs ${Date.now() - tKill} ms after the kill (wrappers gave up reporting)`);
      expect(slurmIds.map((id) => states.get(id))).toEqual(jobs.map((j) => (j.fail ? 'FAILED' : 'COMPLETED')));

      // A long interval: only the start-up pass can settle them before the first request.
      c = await start({ RECONCILE_INTERVAL: '3600' });
      for (const [i, j] of jobs.entries()) {
        const xml = (await c.get(j.url)).text;
        expect(xmlValue(xml, 'phase')).toBe(j.fail ? 'ERROR' : 'COMPLETED');
        const report = await c.get(`${j.url}/results/report`);
        expect(report.status).toBe(200);
        expect(report.text).toContain(`message: lost-${i}`);
        if (j.fail) {
          expect(xmlValue(xml, 'message')).toContain('7');
          expect((await c.get(`${j.url}/error`)).text).toContain(`lost-${i}`);
        }
      }
    },
    200_000,
  );

  test('sshd restarted mid-run: the running job completes and a later submission works', async () => {
    const knownHosts = extraSshd('start', EXTRA_PORT);
    const env = slurmEnv(cluster, { SLURM_SSH_PORT: String(EXTRA_PORT), SLURM_KNOWN_HOSTS: knownHosts });
    sh.remoteRoots.add(env.SLURM_REMOTE_ROOT);
    app = await startApp(env);
    const c = new UwsClient(app.baseUrl);

    const url = await c.create('sleep', { duration: '6', message: 'through-a-restart', PHASE: 'RUN' });
    sh.track(url);
    const deadline = Date.now() + 30_000;
    while ((await c.phase(url)) !== 'EXECUTING' && Date.now() < deadline) await c.get(`${url}?WAIT=5&PHASE=QUEUED`);
    expect(await c.phase(url)).toBe('EXECUTING');

    // cut the server's connection (stop drops its sessions) and bring sshd back
    extraSshd('restart', EXTRA_PORT);
    expect(await c.settle(url, 60)).toBe('COMPLETED');
    expect((await c.get(`${url}/results/report`)).text).toContain('message: through-a-restart');

    // sshd down when the job ends: collecting its files waits for the reconnection
    const url2 = await c.create('sleep', { duration: '2', message: 'collected-late', PHASE: 'RUN' });
    sh.track(url2);
    while ((await c.phase(url2)) !== 'EXECUTING' && Date.now() < deadline + 30_000) await c.get(`${url2}?WAIT=5&PHASE=QUEUED`);
    extraSshd('stop', EXTRA_PORT);
    await sleep(5_000);
    extraSshd('start', EXTRA_PORT);
    expect(await c.settle(url2, 60)).toBe('COMPLETED');
    expect((await c.get(`${url2}/results/report`)).text).toContain('message: collected-late');

    // a later submission goes through the reconnected transport
    const t0 = Date.now();
    const url3 = await c.create('sleep', { duration: '0', message: 'after', PHASE: 'RUN' });
    sh.track(url3);
    expect(await c.settle(url3, 60)).toBe('COMPLETED');
    expect((await c.get(`${url3}/results/report`)).text).toContain('message: after');
    console.log(`submission after the sshd restarts: COMPLETED in ${Date.now() - t0} ms`);
  });
});
