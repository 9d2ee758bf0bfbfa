import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExecRef } from '../job-manager.port';
import { LocalTransport } from '../transport/local.transport';
import { ExecOptions, ExecResult, TransportError } from '../transport/transport.port';
import { relativeInside, SlurmJobManager } from './slurm.manager';

/** Files go to a local "remote" folder; SLURM commands are answered by a script. */
class ScriptedTransport extends LocalTransport {
  readonly commands: string[] = [];
  constructor(private readonly answer: (cmd: string) => ExecResult | Error | undefined) {
    super();
  }
  override async exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.commands.push(cmd);
    const a = this.answer(cmd);
    if (a instanceof Error) throw a;
    return a ?? super.exec(cmd, opts);
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' });

describe('SlurmJobManager (scripted SLURM, local files)', () => {
  let tmp: string;
  let remoteRoot: string;
  let local: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uws-sm-'));
    remoteRoot = path.join(tmp, 'remote');
    local = path.join(tmp, 'local', 'job1');
    fs.mkdirSync(remoteRoot, { recursive: true });
    fs.mkdirSync(path.join(local, 'inputs'), { recursive: true });
    fs.mkdirSync(path.join(local, '.uws'), { recursive: true });
    fs.writeFileSync(path.join(local, 'inputs', 'data.txt'), 'payload');
    fs.writeFileSync(path.join(local, 'plugin.cfg'), 'cfg', { mode: 0o640 });
    fs.writeFileSync(path.join(local, '.uws', 'local-only'), 'x');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const ref = (jobId: string, externalId: string, workdir = path.join(tmp, 'local', jobId)): ExecRef => ({ jobId, externalId, workdir, durationSeconds: 0 });

  it('sftp mode: stages the payload, spec files and wrapper remotely, then sbatch with chdir/output/time', async () => {
    const t = new ScriptedTransport((cmd) => (cmd.startsWith('sbatch ') ? ok('42\n') : undefined));
    const m = new SlurmJobManager(t, { fileMode: 'sftp', remoteRoot, partition: 'debug', logger: quiet });
    const id = await m.submit({
      jobId: 'job1',
      workdir: local,
      script: '#!/bin/bash\necho wrapper\n',
      durationSeconds: 61,
      files: [{ path: '.uws/body.sh', content: 'echo body' }],
    });
    expect(id).toBe('42');
    const rdir = path.join(remoteRoot, 'job1');
    expect(fs.readFileSync(path.join(rdir, 'inputs/data.txt'), 'utf8')).toBe('payload');
    expect(fs.statSync(path.join(rdir, 'plugin.cfg')).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(path.join(rdir, '.uws/body.sh'), 'utf8')).toBe('echo body');
    expect(fs.statSync(path.join(rdir, '.uws/wrapper.sh')).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(path.join(rdir, '.uws/local-only'))).toBe(false);
    expect(t.commands).toEqual([
      `sbatch --parsable --chdir=${rdir} --job-name=uws-job1 --output=${rdir}/.uws/wrapper.log --error=${rdir}/.uws/wrapper.log --time=2 --partition=debug -- ${rdir}/.uws/wrapper.sh`,
    ]);
    expect(m.workdirOnCluster('job1', local)).toBe(rdir);
  });

  it('finds the job by name when the sbatch reply was lost, instead of submitting twice', async () => {
    const t = new ScriptedTransport((cmd) => {
      if (cmd.startsWith('sbatch ')) return new TransportError('DISCONNECTED', 'dropped');
      if (cmd.startsWith('squeue -h -t all --me -n uws-job1')) return ok('77\n');
      return undefined;
    });
    const m = new SlurmJobManager(t, { fileMode: 'sftp', remoteRoot, logger: quiet });
    expect(await m.submit({ jobId: 'job1', workdir: local, script: 'x', durationSeconds: 0, files: [] })).toBe('77');
    expect(t.commands.filter((c) => c.startsWith('sbatch'))).toHaveLength(1);
  });

  it('refuses spec files outside the work directory and unsafe job ids', async () => {
    const m = new SlurmJobManager(new ScriptedTransport(() => ok('1')), { fileMode: 'sftp', remoteRoot, logger: quiet });
    await expect(m.submit({ jobId: 'job1', workdir: local, script: 'x', durationSeconds: 0, files: [{ path: '../evil', content: '' }] })).rejects.toThrow(
      /inside the work directory/,
    );
    await expect(m.submit({ jobId: '../x', workdir: local, script: 'x', durationSeconds: 0, files: [] })).rejects.toThrow(/job id/);
    expect(() => relativeInside('/etc/passwd')).toThrow();
    expect(relativeInside('out/./a.txt')).toBe('out/a.txt');
  });

  it('polls many jobs with ONE squeue, then ONE read of end files for forgotten/failed ones, then scontrol for failed ones without exit', async () => {
    for (const [job, exit] of [
      ['gone-ok', '0'],
      ['gone-bad', '2'],
      ['failed', '3'],
    ]) {
      fs.mkdirSync(path.join(remoteRoot, job, '.uws'), { recursive: true });
      fs.writeFileSync(path.join(remoteRoot, job, '.uws/exit'), `${exit}\n`);
      fs.writeFileSync(path.join(remoteRoot, job, '.uws/stderr.txt'), `err of ${job}\n`);
    }
    fs.mkdirSync(path.join(remoteRoot, 'gone-noexit'));
    fs.mkdirSync(path.join(remoteRoot, 'killed'));
    const t = new ScriptedTransport((cmd) => {
      if (cmd.startsWith('TZ=UTC squeue'))
        return ok(
          [
            '1|RUNNING|2026-01-01T00:00:00|NONE|None',
            '2|PENDING|N/A|N/A|JobHeldUser',
            '3|COMPLETED|2026-01-01T00:00:00|2026-01-01T00:01:00|None',
            '4|FAILED|2026-01-01T00:00:00|2026-01-01T00:01:00|NonZeroExitCode',
            '5|FAILED|2026-01-01T00:00:00|2026-01-01T00:01:00|NonZeroExitCode',
            '6|TIMEOUT|2026-01-01T00:00:00|2026-01-01T00:01:00|TimeLimit',
          ].join('\n'),
        );
      if (cmd.startsWith('for i in')) return ok('JobId=5 JobState=FAILED Reason=NonZeroExitCode ExitCode=0:9\n');
      return undefined;
    });
    const m = new SlurmJobManager(t, { fileMode: 'sftp', remoteRoot, logger: quiet });
    const refs = [
      ref('running', '1'),
      ref('held', '2'),
      ref('done', '3'),
      ref('failed', '4'),
      ref('killed', '5'),
      ref('slow', '6'),
      ref('gone-ok', '10'),
      ref('gone-bad', '11'),
      ref('gone-noexit', '12'),
      ref('never', '13'),
      ref('bogus', 'local:xyz'),
    ];
    const s = await m.poll(refs);
    expect(t.commands.filter((c) => c.includes('squeue'))).toEqual(["TZ=UTC squeue -h -t all -j 1,2,3,4,5,6,10,11,12,13 -o '%i|%T|%S|%e|%r'"]);
    expect(t.commands).toHaveLength(3);
    expect(s.get('running')).toEqual({ state: 'running', at: Date.UTC(2026, 0, 1) });
    expect(s.get('held')?.state).toBe('held');
    expect(s.get('done')).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(s.get('failed')).toMatchObject({ state: 'failed', exitCode: 3, message: 'the job exited with code 3', stderrTail: 'err of failed\n' });
    expect(s.get('killed')).toMatchObject({ state: 'failed', exitCode: 0, message: 'the job was killed by signal 9' });
    expect(s.get('slow')).toMatchObject({ state: 'timeout', message: expect.stringMatching(/execution duration exceeded/) });
    expect(s.get('gone-ok')).toEqual({ state: 'completed', exitCode: 0 });
    expect(s.get('gone-bad')).toMatchObject({ state: 'failed', exitCode: 2, stderrTail: 'err of gone-bad\n' });
    expect(s.get('gone-noexit')).toMatchObject({ state: 'lost', message: expect.stringMatching(/left no exit status/) });
    expect(s.get('never')).toMatchObject({ state: 'lost', message: expect.stringMatching(/work directory is gone/) });
    expect(s.get('bogus')?.state).toBe('lost');
  });

  it('a poll whose squeue fails throws (the reconciler must not conclude "lost")', async () => {
    const t = new ScriptedTransport(() => ({ code: 1, stdout: '', stderr: 'slurm_load_jobs error: Unable to contact slurm controller' }));
    const m = new SlurmJobManager(t, { fileMode: 'sftp', remoteRoot, logger: quiet });
    await expect(m.poll([ref('a', '1')])).rejects.toThrow(/Unable to contact/);
  });

  it('cancel is scancel; finished jobs are fine', async () => {
    const t = new ScriptedTransport((cmd) =>
      cmd.startsWith('scancel') ? { code: 1, stdout: '', stderr: 'scancel: error: Kill job error on job id 9: Invalid job id specified' } : undefined,
    );
    const m = new SlurmJobManager(t, { fileMode: 'sftp', remoteRoot, logger: quiet });
    await m.cancel(ref('a', '9'));
    expect(t.commands).toEqual(['scancel 9']);
  });

  it('collect brings back .uws end files and the results named in results.tsv (never outside the folder); cleanup removes the remote folder', async () => {
    const rdir = path.join(remoteRoot, 'job1');
    fs.mkdirSync(path.join(rdir, '.uws'), { recursive: true });
    fs.mkdirSync(path.join(rdir, 'out'), { recursive: true });
    for (const [f, c] of [
      ['.uws/exit', '0\n'],
      ['.uws/stdout.txt', 'hello\n'],
      ['.uws/stderr.txt', ''],
      ['.uws/wrapper.sh', 'not downloaded'],
      ['.uws/results.tsv', 'image\tout/a.png\t3\nevil\t../../etc/passwd\t1\nmissing\tnot-there.txt\t1\n'],
      ['out/a.png', 'PNG'],
    ]) fs.writeFileSync(path.join(rdir, f), c);
    const m = new SlurmJobManager(new ScriptedTransport(() => undefined), { fileMode: 'sftp', remoteRoot, logger: quiet });
    const r = ref('job1', '1', local);
    await m.collect(r);
    expect(fs.readFileSync(path.join(local, '.uws/stdout.txt'), 'utf8')).toBe('hello\n');
    expect(fs.readFileSync(path.join(local, '.uws/exit'), 'utf8')).toBe('0\n');
    expect(fs.readFileSync(path.join(local, 'out/a.png'), 'utf8')).toBe('PNG');
    expect(fs.existsSync(path.join(local, '.uws/wrapper.sh'))).toBe(false);
    await m.cleanup(r);
    expect(fs.existsSync(rdir)).toBe(false);
    await m.collect(r); // gone: nothing to do, no error
  });

  it('shared mode: writes locally, runs in the host path, copies nothing back', async () => {
    const t = new ScriptedTransport((cmd) => (cmd.startsWith('sbatch ') ? ok('5') : undefined));
    const m = new SlurmJobManager(t, { fileMode: 'shared', remoteRoot: '', logger: quiet });
    await m.submit({ jobId: 'job1', workdir: local, script: 'echo', durationSeconds: 0, files: [{ path: '.uws/body.sh', content: 'b' }] });
    expect(fs.readFileSync(path.join(local, '.uws/wrapper.sh'), 'utf8')).toBe('echo');
    expect(t.commands[0]).toContain(`--chdir=${local} `);
    expect(m.workdirOnCluster('job1', local)).toBe(local);
    await m.collect(ref('job1', '5', local));
    await m.cleanup(ref('job1', '5', local));
    expect(fs.existsSync(local)).toBe(true);
  });
});
