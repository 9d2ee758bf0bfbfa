/**
 * SlurmJobManager in sftp mode against the REAL local SLURM 22.05 cluster over SSH (test/cluster/start.sh),
 * with the host's real job wrapper (templates/wrapper.sh.hbs, no callback URL).
 * Run: npx jest --selectProjects e2e -- test/slurm-manager.e2e-spec.ts   (as root: start.sh may start daemons)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JOB_FILES } from '../src/execution/job-files';
import { ExecRef, ExecStatus, JobSpec } from '../src/execution/job-manager.port';
import { sbatchArgs } from '../src/execution/slurm/slurm.preamble';
import { SlurmJobManager } from '../src/execution/slurm/slurm.manager';
import { SshTransport } from '../src/execution/transport/ssh.transport';
import { WrapperRenderer } from '../src/rendering/wrapper.renderer';
import { CountingTransport, ensureCluster, LocalCluster, quietLogger, sleep, sshTransportFor } from './cluster/cluster';

jest.setTimeout(120_000);

describe('SlurmJobManager (sftp mode, real SLURM over SSH)', () => {
  let c: LocalCluster;
  let ssh: SshTransport;
  let t: CountingTransport;
  let m: SlurmJobManager;
  let localRoot: string;
  let remoteRoot: string;
  const wrapper = new WrapperRenderer(path.join(__dirname, '..', 'templates'));
  const submitted: ExecRef[] = [];

  beforeAll(async () => {
    c = ensureCluster();
    ssh = sshTransportFor(c);
    t = new CountingTransport(ssh);
    remoteRoot = `${c.remoteHome}/uws-jobs-e2e-${process.pid}`;
    await ssh.mkdirp(remoteRoot);
    m = new SlurmJobManager(t, { fileMode: 'sftp', remoteRoot, partition: c.partition, pollTimeoutMs: 15_000, logger: quietLogger });
    localRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'uws-slurm-'));
  });

  afterAll(async () => {
    if (submitted.length) await ssh.exec(`scancel ${submitted.map((r) => r.externalId).join(' ')}`).catch(() => undefined);
    await ssh?.remove(remoteRoot).catch(() => undefined);
    await m?.close();
    fs.rmSync(localRoot, { recursive: true, force: true });
  });

  let seq = 0;
  /** A job as the host would prepare it: a local work dir (with inputs), the wrapper rendered for the cluster path. */
  function job(body: string, opts: { results?: { id: string; pattern: string }[]; sbatch?: string[]; duration?: number; inputs?: Record<string, string> } = {}): JobSpec {
    const jobId = `j${process.pid}-${++seq}`;
    const workdir = path.join(localRoot, jobId);
    fs.mkdirSync(path.join(workdir, 'inputs'), { recursive: true });
    for (const [name, content] of Object.entries(opts.inputs ?? {})) fs.writeFileSync(path.join(workdir, 'inputs', name), content);
    const script = wrapper.render({
      jobId,
      workdir: m.workdirOnCluster(jobId, workdir),
      results: opts.results ?? [],
      sbatch: opts.sbatch ?? sbatchArgs({ jobName: `uws-${jobId}`, durationSeconds: opts.duration ?? 120 }),
    });
    return { jobId, workdir, script, durationSeconds: opts.duration ?? 120, files: [{ path: JOB_FILES.body, content: body }] };
  }

  async function submit(spec: JobSpec): Promise<ExecRef> {
    const externalId = await m.submit(spec);
    const ref = { jobId: spec.jobId, externalId, workdir: spec.workdir, durationSeconds: spec.durationSeconds };
    submitted.push(ref);
    return ref;
  }

  async function until(ref: ExecRef, ok: (s: ExecStatus) => boolean, timeoutMs = 30_000): Promise<ExecStatus> {
    const end = Date.now() + timeoutMs;
    let last: ExecStatus | undefined;
    while (Date.now() < end) {
      last = (await m.poll([ref])).get(ref.jobId);
      if (last && ok(last)) return last;
      await sleep(200);
    }
    throw new Error(`job ${ref.jobId} (${ref.externalId}) never reached the expected state; last: ${JSON.stringify(last)}`);
  }

  it('submits a job with its inputs, polls it to completed and collects stdout, end files and results', async () => {
    const spec = job('cat inputs/data.txt; mkdir -p out; echo "result of $(hostname)" > out/result.txt; echo done', {
      inputs: { 'data.txt': "payload with 'quotes' and $(not run)\n" },
      results: [{ id: 'result', pattern: 'out/result.txt' }],
    });
    const t0 = Date.now();
    const ref = await submit(spec);
    expect(ref.externalId).toMatch(/^\d+$/);
    const s = await until(ref, (x) => x.state === 'completed' || x.state === 'failed');
    console.log(`[figures] submit → completed seen by poll: ${Date.now() - t0} ms`);
    expect(s).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(s.at).toBeGreaterThan(Date.now() - 120_000);

    await m.collect(ref);
    expect(fs.readFileSync(path.join(spec.workdir, JOB_FILES.stdout), 'utf8')).toBe("payload with 'quotes' and $(not run)\ndone\n");
    expect(fs.readFileSync(path.join(spec.workdir, JOB_FILES.exit), 'utf8').trim()).toBe('0');
    expect(fs.readFileSync(path.join(spec.workdir, JOB_FILES.manifest), 'utf8')).toMatch(/^result\tout\/result\.txt\t\d+\n$/);
    expect(fs.readFileSync(path.join(spec.workdir, 'out/result.txt'), 'utf8')).toMatch(/^result of /);

    await m.cleanup(ref);
    await expect(ssh.list(m.workdirOnCluster(ref.jobId, ref.workdir))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a failing script ends failed with its exit code and the tail of its stderr', async () => {
    const ref = await submit(job('echo "about to fail" >&2; exit 3'));
    const s = await until(ref, (x) => x.state === 'failed' || x.state === 'completed');
    expect(s).toMatchObject({ state: 'failed', exitCode: 3, message: 'the job exited with code 3' });
    expect(s.stderrTail).toContain('about to fail');
  });

  it('cancel → cancelled (scancel of a running job), and cancelling again is harmless', async () => {
    const ref = await submit(job('sleep 60'));
    await until(ref, (x) => x.state === 'running');
    await m.cancel(ref);
    const s = await until(ref, (x) => x.state !== 'running', 15_000);
    expect(s).toMatchObject({ state: 'cancelled', message: 'cancelled (scancel)' });
    await m.cancel(ref);
    // the wrapper trapped SIGTERM and recorded 143
    expect((await ssh.readFile(`${m.workdirOnCluster(ref.jobId, ref.workdir)}/${JOB_FILES.exit}`)).toString().trim()).toBe('143');
  });

  it('a job held in SLURM is reported held, with the reason', async () => {
    const ref = await submit(job('true', { sbatch: [...sbatchArgs({ durationSeconds: 60 }), '--begin=now+3600'] }));
    expect((await m.poll([ref])).get(ref.jobId)).toMatchObject({ state: 'queued', message: expect.stringMatching(/start time.*BeginTime/) });
    await ssh.exec(`scontrol hold ${ref.externalId}`);
    expect((await m.poll([ref])).get(ref.jobId)).toMatchObject({ state: 'held', message: expect.stringMatching(/JobHeldUser/) });
    await m.cancel(ref);
  });

  it('polls a batch of jobs with ONE squeue call', async () => {
    const refs = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => submit(job(i % 2 ? `exit ${i}` : 'echo ok'))));
    for (const r of refs) await until(r, (x) => x.state === 'completed' || x.state === 'failed');
    // plus one job SLURM never heard of whose work directory says it ended (the "forgotten job" fallback)
    const forgotten = job('true');
    const fdir = m.workdirOnCluster(forgotten.jobId, forgotten.workdir);
    await ssh.mkdirp(`${fdir}/.uws`);
    await ssh.writeFile(`${fdir}/${JOB_FILES.exit}`, '0\n');
    const all = [...refs, { jobId: forgotten.jobId, externalId: '999999', workdir: forgotten.workdir, durationSeconds: 0 }];

    t.commands.length = 0;
    const statuses = await m.poll(all);
    const squeues = t.commands.filter((cmd) => /\bsqueue\b/.test(cmd));
    expect(squeues).toHaveLength(1);
    expect(squeues[0]).toContain(`-j ${all.map((r) => r.externalId).join(',')}`);
    // one more call reads the end files of the failed and the forgotten jobs together
    expect(t.commands).toHaveLength(2);
    refs.forEach((r, i) =>
      expect(statuses.get(r.jobId)).toMatchObject(i % 2 ? { state: 'failed', exitCode: i } : { state: 'completed', exitCode: 0 }),
    );
    expect(statuses.get(forgotten.jobId)).toEqual({ state: 'completed', exitCode: 0 });
  });

  it('[figures] 200 sbatch submissions over one connection with 8 parallel channels', async () => {
    const dir = `${remoteRoot}/bulk`;
    await ssh.mkdirp(dir);
    await ssh.writeFile(`${dir}/job.sh`, '#!/bin/bash\ntrue\n', 0o700);
    const cmd = `sbatch --parsable --chdir=${dir} --time=1 -o /dev/null -e /dev/null ${dir}/job.sh`;
    const t0 = performance.now();
    const outs = await Promise.all(Array.from({ length: 200 }, () => ssh.exec(cmd)));
    const secs = (performance.now() - t0) / 1000;
    const ids = outs.map((o) => o.stdout.trim());
    expect(outs.every((o) => o.code === 0)).toBe(true);
    expect(new Set(ids).size).toBe(200);
    console.log(`[figures] 200 sbatch, 8 channels: ${secs.toFixed(2)} s = ${(200 / secs).toFixed(0)} submissions/s`);
    // one squeue for all 200
    const t1 = performance.now();
    const st = await m.poll(ids.map((id, i) => ({ jobId: `bulk${i}`, externalId: id, workdir: '/nonexistent', durationSeconds: 60 })));
    console.log(`[figures] one poll of 200 jobs: ${(performance.now() - t1).toFixed(0)} ms`);
    expect(st.size).toBe(200);
    await ssh.exec(`scancel ${ids.join(' ')}`);
  });
});
