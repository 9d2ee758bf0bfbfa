/**
 * The UWS API with JOB_MANAGER=slurm on the REAL local SLURM 22.05 cluster over SSH (test/cluster/start.sh;
 * sftp file mode, the default): completion with results, failure, abort, time limit, an uploaded input file,
 * forged callbacks. Each test starts its own in-process server (startApp) on a fresh DATA_DIR and remote
 * work root. Kill/restart tests are in slurm-uws-restart.e2e-spec.ts, shared file mode in
 * slurm-uws-shared.e2e-spec.ts.
 * Run: npx jest --selectProjects e2e -- test/slurm-uws   (as root: start.sh may start the daemons)
 */
import { Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { ensureCluster, LocalCluster } from './cluster/cluster';
import { ClusterShell, jobIdOf, jobInfoValue, rmrf, slurmEnv, slurmIdOf } from './support/slurm-uws';
import { RunningApp, startApp } from './support/test-app';
import { send, UwsClient, xmlValue } from './support/uws-client';

jest.setTimeout(90_000);

const WORDS = 'the quick brown fox\njumps over the lazy dog\nThe end\n';

describe('UWS on SLURM (sftp mode, real cluster)', () => {
  let cluster: LocalCluster;
  let sh: ClusterShell;
  let app: RunningApp | undefined;
  let c: UwsClient;
  let env: Record<string, string>;

  beforeAll(() => {
    cluster = ensureCluster();
    sh = new ClusterShell(cluster);
  });

  /** A fresh server for the test (each test has its own DATA_DIR and remote work root). */
  async function boot(extra: Record<string, string> = {}): Promise<void> {
    env = slurmEnv(cluster, extra);
    sh.remoteRoots.add(env.SLURM_REMOTE_ROOT);
    app = await startApp(env);
    c = new UwsClient(app.baseUrl);
  }

  afterEach(async () => {
    jest.restoreAllMocks();
    // Cancel what the test left running while its server still takes the jobs' last reports.
    await sh.cleanup().catch(() => undefined);
    sh = new ClusterShell(cluster);
    const dir = app?.dataDir;
    await app?.close().catch(() => undefined);
    app = undefined;
    rmrf(dir);
  });

  afterAll(async () => {
    await sh?.cleanup().catch(() => undefined);
  });

  /** Creates and runs a job; returns its URL (tracked for the cleanup). */
  async function run(type: string, form: Record<string, string> | FormData): Promise<string> {
    if (form instanceof FormData) form.append('PHASE', 'RUN');
    const url = await c.create(type, form instanceof FormData ? form : { ...form, PHASE: 'RUN' });
    sh.track(url);
    return url;
  }

  test('a job completes; its results download; its SLURM job id is in jobInfo', async () => {
    await boot();
    const t0 = Date.now();
    const url = await run('sleep', { duration: '1', message: 'from-slurm' });
    expect(await c.settle(url, 60)).toBe('COMPLETED');
    const xml = (await c.get(url)).text;
    const slurmId = jobInfoValue(xml, 'externalId');
    expect(slurmId).toMatch(/^\d+$/);
    expect(jobInfoValue(xml, 'manager')).toBe('slurm');
    expect(await sh.state(slurmId!)).toBe('COMPLETED');
    // SLURM ran it under the name the manager gave it
    expect((await sh.scontrol(slurmId!)).JobName).toBe(`uws-${jobIdOf(url)}`);
    expect(Date.parse(xmlValue(xml, 'endTime')!)).toBeGreaterThanOrEqual(Date.parse(xmlValue(xml, 'startTime')!));

    const results = (await c.get(`${url}/results`)).text;
    expect(results).toMatch(/<uws:result\b[^>]*id="report"/);
    const report = await c.get(`${url}/results/report`);
    expect(report.status).toBe(200);
    expect(report.type).toMatch(/text\/plain/);
    expect(report.text).toBe('slept 1 s\nmessage: from-slurm\n');
    const stdout = await c.get(`${url}/results/stdout`);
    expect(stdout.status).toBe(200);
    expect(stdout.text).toBe('done\n');
    console.log(`sleep 1 on SLURM: created → COMPLETED in ${Date.now() - t0} ms`);
  });

  test('a failing job ends ERROR with its exit code and the tail of its stderr', async () => {
    await boot();
    const url = await run('sleep', { duration: '0', fail: 'true', exitcode: '5', message: 'boom-on-the-cluster' });
    expect(await c.settle(url, 60)).toBe('ERROR');
    const xml = (await c.get(url)).text;
    expect(xml).toMatch(/<uws:errorSummary type="fatal" hasDetail="true">/);
    const summary = xmlValue(xml, 'message')!;
    expect(summary).toMatch(/\b5\b/);
    const error = await c.get(`${url}/error`);
    expect(error.status).toBe(200);
    expect(error.text).toMatch(/\b5\b/);
    expect(error.text).toContain('boom-on-the-cluster');
    const slurmId = jobInfoValue(xml, 'externalId')!;
    expect(await sh.state(slurmId)).toBe('FAILED');
    // the report written before the failure is still a result
    expect((await c.get(`${url}/results/report`)).text).toContain('message: boom-on-the-cluster');
  });

  test('ABORT ends ABORTED and SLURM cancels the job', async () => {
    await boot();
    const url = await run('sleep', { duration: '300' });
    // wait until it runs on the cluster
    const slurmId = await slurmIdOf(c, url);
    const deadline = Date.now() + 30_000;
    while ((await c.phase(url)) !== 'EXECUTING' && Date.now() < deadline) await c.get(`${url}?WAIT=5&PHASE=QUEUED`);
    expect(await c.phase(url)).toBe('EXECUTING');
    expect(await sh.state(slurmId)).toBe('RUNNING');

    const t0 = Date.now();
    const r = await c.post(`${url}/phase`, { PHASE: 'ABORT' });
    expect(r.status).toBe(303);
    expect(await c.phase(url)).toBe('ABORTED');
    let state = '';
    while (Date.now() - t0 < 10_000) {
      state = await sh.state(slurmId);
      if (state === 'CANCELLED') break;
    }
    expect(state).toBe('CANCELLED');
    console.log(`ABORT → SLURM CANCELLED in ${Date.now() - t0} ms`);
    // the wrapper's late ABORTED report (and later reconciler passes) change nothing
    await new Promise((res) => setTimeout(res, 3000));
    expect(await c.phase(url)).toBe('ABORTED');
    expect((await c.get(url)).text).not.toMatch(/<uws:errorSummary/);
  });

  test(
    'a job over its time limit is stopped by SLURM and ends ABORTED or ERROR naming the limit',
    async () => {
      await boot();
      const t0 = Date.now();
      const url = await run('sleep', { duration: '200', EXECUTIONDURATION: '5' });
      const slurmId = await slurmIdOf(c, url);
      // EXECUTIONDURATION=5 s → --time=1 (minutes): SLURM checks limits every 30 s
      expect((await sh.scontrol(slurmId)).TimeLimit).toBe('00:01:00');
      const phase = await c.settle(url, 150);
      const took = (Date.now() - t0) / 1000;
      console.log(`time limit: ${phase} after ${took.toFixed(1)} s`);
      expect(['ABORTED', 'ERROR']).toContain(phase);
      expect(took).toBeGreaterThan(55);
      expect(took).toBeLessThan(150);
      const xml = (await c.get(url)).text;
      const summary = xmlValue(xml, 'message') ?? '';
      expect(summary).toMatch(/execution duration|time limit/i);
      console.log(`time limit: summary '${summary}'`);
      // SLURM's own verdict (it passes through COMPLETING while the step is killed)
      expect((await sh.untilFinal([slurmId], 30)).get(slurmId)).toBe('TIMEOUT');
    },
    180_000,
  );

  test('a job with an uploaded input file (wordcount) runs with the file staged by sftp', async () => {
    await boot();
    const fd = new FormData();
    fd.append('infile', new Blob([WORDS], { type: 'text/plain' }), 'words.txt');
    fd.append('top', '3');
    const url = await run('wordcount', fd);
    expect(await c.settle(url, 60)).toBe('COMPLETED');
    const counts = await c.get(`${url}/results/counts`);
    expect(counts.status).toBe(200);
    expect(counts.text).toBe(`lines 3\nwords 11\nbytes ${Buffer.byteLength(WORDS)}\n`);
    const freq = await c.get(`${url}/results/frequencies`);
    expect(freq.status).toBe(200);
    expect(freq.text).toBe('the\t3\nbrown\t1\ndog\t1\n');
  });

  test('a forged job event is refused (403), logged, and changes nothing', async () => {
    await boot();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const url = await run('sleep', { duration: '60' });
    const other = await run('sleep', { duration: '0' });
    expect(await c.settle(other, 60)).toBe('COMPLETED');
    const id = jobIdOf(url);
    const deadline = Date.now() + 30_000;
    while ((await c.phase(url)) !== 'EXECUTING' && Date.now() < deadline) await c.get(`${url}?WAIT=5&PHASE=QUEUED`);
    expect(await c.phase(url)).toBe('EXECUTING');

    const tokenFor = (jobId: string) => createHmac('sha256', env.CALLBACK_SECRET).update(`job:${jobId}`).digest('hex');
    const event = (form: Record<string, string>) =>
      send(`${app!.baseUrl}/callbacks/job-event`, { method: 'POST', body: new URLSearchParams(form) });

    const wrong = await event({ jobId: id, token: 'f'.repeat(64), phase: 'COMPLETED', exitCode: '0' });
    expect(wrong.status).toBe(403);
    const borrowed = await event({ jobId: id, token: tokenFor(jobIdOf(other)), phase: 'ERROR', exitCode: '9', message: 'forged' });
    expect(borrowed.status).toBe(403);
    const none = await event({ jobId: id, phase: 'ABORTED' });
    expect(none.status).toBe(403);
    const unknownJob = await event({ jobId: 'no-such-job', token: tokenFor(id), phase: 'COMPLETED' });
    expect(unknownJob.status).toBe(403);

    expect(await c.phase(url)).toBe('EXECUTING');
    const xml = (await c.get(url)).text;
    expect(xml).not.toMatch(/<uws:errorSummary/);
    expect(xml).not.toMatch(/<uws:endTime>[^<]/);
    const refused = warn.mock.calls.map((a) => String(a[0])).filter((m) => /refused: bad token/.test(m));
    expect(refused.some((m) => m.includes(`job ${id}: event COMPLETED refused`))).toBe(true);
    expect(refused.some((m) => m.includes(`job ${id}: event ERROR refused`))).toBe(true);
    expect(refused.length).toBeGreaterThanOrEqual(4);

    // the job's own token is accepted (a repeated EXECUTING report is harmless)
    const genuine = await event({ jobId: id, token: tokenFor(id), phase: 'EXECUTING' });
    expect(genuine.status).toBe(204);
    expect(await c.phase(url)).toBe('EXECUTING');
    expect((await c.post(`${url}/phase`, { PHASE: 'ABORT' })).status).toBe(303);
  });

  test('no job is submitted twice while reconciler passes run during submissions', async () => {
    await boot({ RECONCILE_INTERVAL: '1' });
    const urls: string[] = [];
    const t0 = Date.now();
    // 4 clients at once for ~5 s: reconciler passes (every second) are bound to find jobs whose sbatch is under way
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() - t0 < 5000) urls.push(await run('sleep', { duration: '0' }));
      }),
    );
    const phases = await Promise.all(urls.map((u) => c.settle(u, 60)));
    const bad = await Promise.all(
      urls.filter((_, i) => phases[i] !== 'COMPLETED').map(async (u) => `${u}: ${await c.phase(u)}: ${(await c.get(`${u}/error`)).text}`),
    );
    expect(bad).toEqual([]);
    const ours = await sh.ours();
    const perJob = new Map<string, number>();
    for (const j of ours) perJob.set(j.name, (perJob.get(j.name) ?? 0) + 1);
    const twice = [...perJob].filter(([, n]) => n > 1);
    console.log(`${urls.length} jobs, ${ours.length} SLURM jobs, submitted twice: ${twice.length}`);
    expect(twice).toEqual([]);
    expect(ours.length).toBe(urls.length);
  });

  test('ABORT while the job is being submitted cancels the SLURM job too', async () => {
    await boot();
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const url = await c.create('sleep', { duration: '120' });
      sh.track(url);
      const running = c.post(`${url}/phase`, { PHASE: 'RUN' });
      await new Promise((r) => setTimeout(r, 5 + 5 * i));
      const abort = await c.post(`${url}/phase`, { PHASE: 'ABORT' });
      await running;
      expect(abort.status).toBe(303);
      expect(await c.phase(url)).toBe('ABORTED');
      const slurmId = jobInfoValue((await c.get(url)).text, 'externalId');
      if (!slurmId) {
        results.push('never submitted');
        continue;
      }
      const states = await sh.untilFinal([slurmId], 10);
      results.push(states.get(slurmId) ?? '?');
    }
    console.log(`ABORT during submission: SLURM states ${results.join(', ')}`);
    expect(results.filter((s) => s !== 'never submitted' && s !== 'CANCELLED')).toEqual([]);
  });
});
