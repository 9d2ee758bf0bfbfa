/**
 * SLURM over SSH: submission throughput, RUN latency and end-to-end time of trivial jobs, on the REAL local
 * cluster of test/cluster/start.sh (single node, 16 slots; SLURM schedules once a second).
 *
 *   npm run bench:slurm        (as root: start.sh may start the daemons)
 *
 * Figures, in this order:
 *  1. sbatch submissions/s over ONE pooled ssh2 connection (SshTransport, 8 channels, 200 trivial jobs),
 *     next to the baseline of one `ssh` process per submission (30 jobs, one after another); also
 *     SlurmJobManager.submit (sftp staging of the wrapper and body included) for information.
 *  2. PHASE=RUN → sbatch accepted through the real server (a child process, built as in production): the
 *     latency of the POST .../phase PHASE=RUN request, which answers (303) once sbatch has accepted the job
 *     and its SLURM id is stored. Median of 30, after a warm-up.
 *  3. A trivial job from creation (POST with PHASE=RUN) to COMPLETED as seen by a WAIT request, median of
 *     12, interleaved with bare `sbatch` + `squeue` polling every 50 ms over the same kind of connection.
 * Every SLURM job started here is cancelled at the end. The exit code is 0 whatever the figures say.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { JOB_FILES } from '../src/execution/job-files';
import { SlurmJobManager } from '../src/execution/slurm/slurm.manager';
import { sbatchArgs } from '../src/execution/slurm/slurm.preamble';
import { SshTransport } from '../src/execution/transport/ssh.transport';
import { WrapperRenderer } from '../src/rendering/wrapper.renderer';
import { ensureCluster, LocalCluster, quietLogger, sshTransportFor } from '../test/cluster/cluster';
import { ROOT, tempDir, testEnv } from '../test/support/test-app';
import { buildServer } from './build';
import { request, targetOf } from './client';
import { BenchServer, startServer } from './server';
import { Figure, line, median, percentile } from './stats';

const POOLED_JOBS = 200;
const SSH_PROCESS_JOBS = 30;
const MANAGER_JOBS = 200;
const RUN_SAMPLES = 30;
const E2E_SAMPLES = 12;
const POLL_MS = 50;

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[bench:slurm] ${s}\n`);
const NAME = `uwsbench-${process.pid}`;
/** Every SLURM job id this run created (cancelled at the end). */
const created: string[] = [];

function sbatchLine(): string {
  return `sbatch --parsable --job-name=${NAME} -o /dev/null -e /dev/null --time=1 --wrap true`;
}

function parseId(out: string): string {
  const id = out.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new Error(`unexpected sbatch output: ${JSON.stringify(out)}`);
  return id;
}

/** Waits until none of `ids` is pending or running (so one measurement does not load the next). */
async function drain(ssh: SshTransport, ids: string[], seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (ids.length > 0 && Date.now() < deadline) {
    const r = await ssh.exec(`squeue -h -t PENDING,RUNNING,COMPLETING,CONFIGURING --me -o %i`, { timeoutMs: 30_000 });
    const active = new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    if (!ids.some((id) => active.has(id))) return;
    await sleep(250);
  }
}

// ------------------------------------------------------------------ 1. submissions per second

async function pooledSubmissions(ssh: SshTransport): Promise<number> {
  await ssh.connect();
  const t0 = performance.now();
  const outs = await Promise.all(Array.from({ length: POOLED_JOBS }, () => ssh.exec(sbatchLine(), { timeoutMs: 60_000 })));
  const secs = (performance.now() - t0) / 1000;
  for (const o of outs) {
    if (o.code !== 0) throw new Error(`sbatch failed: ${o.stderr}`);
    created.push(parseId(o.stdout));
  }
  return POOLED_JOBS / secs;
}

async function sshProcessSubmissions(c: LocalCluster): Promise<number> {
  const args = [
    '-i', c.keyPath,
    '-o', `UserKnownHostsFile=${c.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR',
    '-p', String(c.port),
    `${c.user}@${c.host}`,
  ];
  const t0 = performance.now();
  for (let i = 0; i < SSH_PROCESS_JOBS; i++) {
    const { stdout } = await run('ssh', [...args, sbatchLine()], { timeout: 30_000 });
    created.push(parseId(stdout));
  }
  return SSH_PROCESS_JOBS / ((performance.now() - t0) / 1000);
}

async function managerSubmissions(c: LocalCluster, ssh: SshTransport, remoteRoot: string): Promise<number> {
  const m = new SlurmJobManager(ssh, { fileMode: 'sftp', remoteRoot, partition: c.partition, closeTransport: false, logger: quietLogger });
  const wrapper = new WrapperRenderer(path.join(ROOT, 'templates'));
  const local = tempDir('uws-bench-slurm-');
  try {
    const specs = Array.from({ length: MANAGER_JOBS }, (_, i) => {
      const jobId = `b${process.pid}-${i}`;
      const workdir = path.join(local, jobId);
      fs.mkdirSync(path.join(workdir, 'inputs'), { recursive: true });
      const script = wrapper.render({
        jobId,
        workdir: m.workdirOnCluster(jobId, workdir),
        results: [],
        sbatch: sbatchArgs({ jobName: NAME, durationSeconds: 60 }),
      });
      return { jobId, workdir, script, durationSeconds: 60, files: [{ path: JOB_FILES.body, content: 'true\n' }] };
    });
    await ssh.mkdirp(remoteRoot);
    const t0 = performance.now();
    const ids = await Promise.all(specs.map((s) => m.submit(s)));
    const secs = (performance.now() - t0) / 1000;
    created.push(...ids);
    return MANAGER_JOBS / secs;
  } finally {
    fs.rmSync(local, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ 2 and 3. through the server

function jobPath(location: string): string {
  return new URL(location).pathname;
}

async function phaseOf(agent: http.Agent, server: BenchServer, jobPathname: string): Promise<string> {
  return (await request(agent, targetOf(server.baseUrl), 'GET', `${jobPathname}/phase`)).body.trim();
}

/** Latency of POST .../phase PHASE=RUN on PENDING jobs: it answers once sbatch accepted the job. */
async function runLatency(agent: http.Agent, server: BenchServer, n: number): Promise<number[]> {
  const t = targetOf(server.baseUrl);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const made = await request(agent, t, 'POST', '/rest/sleep', 'duration=0&message=run-latency');
    if (made.status !== 303) throw new Error(`create answered ${made.status}: ${made.body}`);
    const p = jobPath(String(made.headers.location));
    const t0 = performance.now();
    const r = await request(agent, t, 'POST', `${p}/phase`, 'PHASE=RUN');
    samples.push(performance.now() - t0);
    if (r.status !== 303) throw new Error(`PHASE=RUN answered ${r.status}: ${r.body}`);
    const job = await request(agent, t, 'GET', p);
    const id = /<uh:externalId>(\d+)<\/uh:externalId>/.exec(job.body)?.[1];
    if (!id) throw new Error(`no SLURM id stored after RUN: ${job.body.slice(0, 400)}`);
    created.push(id);
  }
  return samples;
}

/** Creation (with PHASE=RUN) → COMPLETED as a WAIT request sees it, ms. */
async function uwsEndToEnd(agent: http.Agent, server: BenchServer): Promise<number> {
  const t = targetOf(server.baseUrl);
  const t0 = performance.now();
  const r = await request(agent, t, 'POST', '/rest/sleep', 'duration=0&message=e2e&PHASE=RUN');
  if (r.status !== 303) throw new Error(`create answered ${r.status}: ${r.body}`);
  const p = jobPath(String(r.headers.location));
  let phase = 'QUEUED';
  const deadline = Date.now() + 60_000;
  while (['PENDING', 'QUEUED', 'EXECUTING'].includes(phase) && Date.now() < deadline) {
    const w = await request(agent, t, 'GET', `${p}?WAIT=30&PHASE=${phase}`);
    phase = /<uws:phase>([A-Z]+)<\/uws:phase>/.exec(w.body)?.[1] ?? (await phaseOf(agent, server, p));
  }
  const ms = performance.now() - t0;
  if (phase !== 'COMPLETED') throw new Error(`job ${p} ended ${phase}`);
  return ms;
}

/** Bare SLURM: sbatch, then squeue every 50 ms until COMPLETED, over a pooled connection. */
async function bareEndToEnd(ssh: SshTransport): Promise<number> {
  const t0 = performance.now();
  const out = await ssh.exec(sbatchLine(), { timeoutMs: 30_000 });
  const id = parseId(out.stdout);
  created.push(id);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await ssh.exec(`squeue -h -t all -j ${id} -o %T`, { timeoutMs: 30_000 });
    const state = r.stdout.trim();
    if (state === 'COMPLETED') return performance.now() - t0;
    if (/FAILED|CANCELLED|TIMEOUT/.test(state) || Date.now() > deadline) throw new Error(`bare job ${id} ended ${state}`);
    await sleep(POLL_MS);
  }
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const c = ensureCluster();
  const ssh = sshTransportFor(c, { maxChannels: 8 });
  const remoteRoot = `${c.remoteHome}/uws-bench-${process.pid}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uws-bench-slurm-'));
  let server: BenchServer | undefined;
  try {
    // 1. submissions per second
    const pooled = await pooledSubmissions(ssh);
    await drain(ssh, created);
    const perProcess = await sshProcessSubmissions(c);
    await drain(ssh, created);
    const viaManager = await managerSubmissions(c, ssh, remoteRoot);
    await drain(ssh, created);
    figures.push(
      { name: 'sbatch submissions over the pooled ssh2 connection (8 channels, 200 jobs)', value: pooled, unit: 'jobs/s', target: { op: '>=', limit: 100 }, note: `${(pooled / perProcess).toFixed(1)}x the ssh-process baseline` },
      { name: 'sbatch submissions, one ssh process each (baseline, 30 jobs)', value: perProcess, unit: 'jobs/s' },
      { name: 'SlurmJobManager.submit incl. sftp staging (8 channels, 200 jobs)', value: viaManager, unit: 'jobs/s', target: { op: '>=', limit: 100 } },
    );
    log(figures.slice(-3).map(line).join('\n[bench:slurm] '));

    // 2. the real server, built as in production
    const { main: mainJs } = buildServer(work);
    const t = await testEnv({
      JOB_MANAGER: 'slurm',
      SLURM_SSH_HOST: c.host,
      SLURM_SSH_PORT: String(c.port),
      SLURM_SSH_USER: c.user,
      SLURM_SSH_KEY: c.keyPath,
      SLURM_KNOWN_HOSTS: c.knownHostsPath,
      SLURM_PARTITION: c.partition,
      SLURM_REMOTE_ROOT: `${remoteRoot}-server`,
      DATA_DIR: path.join(work, 'data'),
    });
    server = await startServer(t, { main: mainJs });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    await runLatency(agent, server, 3); // warm-up: connection, plugin version row, JIT
    const run = await runLatency(agent, server, RUN_SAMPLES);
    figures.push({
      name: 'PHASE=RUN → sbatch accepted (RUN request latency, median of 30)',
      value: median(run),
      unit: 'ms',
      target: { op: '<', limit: 50 },
      note: `p90 ${percentile(run, 90).toFixed(1)} ms, max ${Math.max(...run).toFixed(1)} ms`,
    });
    log(line(figures[figures.length - 1]));
    await sleep(3000); // let the RUN-latency jobs finish

    // 3. creation → COMPLETED, interleaved with bare SLURM
    const uws: number[] = [];
    const bare: number[] = [];
    await uwsEndToEnd(agent, server); // warm-up
    for (let i = 0; i < E2E_SAMPLES; i++) {
      uws.push(await uwsEndToEnd(agent, server));
      bare.push(await bareEndToEnd(ssh));
    }
    const gap = median(uws) - median(bare);
    figures.push(
      { name: 'trivial job, creation → COMPLETED seen by WAIT (median of 12)', value: median(uws) / 1000, unit: 's', note: `min ${(Math.min(...uws) / 1000).toFixed(2)}, max ${(Math.max(...uws) / 1000).toFixed(2)}` },
      { name: 'bare sbatch + squeue polling every 50 ms (median of 12)', value: median(bare) / 1000, unit: 's', note: `min ${(Math.min(...bare) / 1000).toFixed(2)}, max ${(Math.max(...bare) / 1000).toFixed(2)}` },
      { name: 'UWS end to end minus bare SLURM', value: gap / 1000, unit: 's', target: { op: '<', limit: 0.3 } },
    );
    agent.destroy();
  } catch (e) {
    log(`FAILED: ${(e as Error).stack ?? e}`);
    if (server) log(`server output:\n${server.output().slice(-3000)}`);
  } finally {
    if (server) await server.stop();
    // cancel every job of this run that may still be active
    const ids = [...new Set(created)];
    for (let i = 0; i < ids.length; i += 500) {
      await ssh.exec(`scancel ${ids.slice(i, i + 500).join(' ')}`, { timeoutMs: 30_000 }).catch(() => undefined);
    }
    await ssh.remove(remoteRoot).catch(() => undefined);
    await ssh.remove(`${remoteRoot}-server`).catch(() => undefined);
    await ssh.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log('');
  for (const f of figures) console.log(line(f));
}

void main();
