import { execFileSync } from 'node:child_process';
import {
  interpretSqueue,
  jobEndFilesCommand,
  parseExitCode,
  parseJobEndFiles,
  parseSbatchParsable,
  parseSbatchTestOnly,
  parseScontrolShowJobs,
  parseSlurmTime,
  parseSqueue,
  rowFromScontrol,
  sbatchCommand,
  sbatchTestOnlyCommand,
  scancelCommand,
  scancelSucceeded,
  scontrolShowJobsCommand,
  slurmStatus,
  SlurmCommandError,
  squeueByNameCommand,
  squeueCommand,
  SqueueRow,
} from './slurm.commands';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ok = (stdout: string, stderr = '') => ({ code: 0, stdout, stderr });

describe('sbatch', () => {
  const base = { scriptPath: '/home/u/jobs/j1/.uws/wrapper.sh', workdir: '/home/u/jobs/j1' };

  it('builds a parsable submission with chdir, name, output files and limits', () => {
    expect(
      sbatchCommand({ ...base, jobName: 'uws-j1', output: '/home/u/jobs/j1/.uws/wrapper.log', error: '/home/u/jobs/j1/.uws/wrapper.log', timeMinutes: 2, partition: 'debug', account: 'acc' }),
    ).toBe(
      'sbatch --parsable --chdir=/home/u/jobs/j1 --job-name=uws-j1 --output=/home/u/jobs/j1/.uws/wrapper.log --error=/home/u/jobs/j1/.uws/wrapper.log --time=2 --partition=debug --account=acc -- /home/u/jobs/j1/.uws/wrapper.sh',
    );
  });

  it('quotes paths with unusual characters and refuses relative ones', () => {
    expect(sbatchCommand({ scriptPath: "/h/o'k/s.sh", workdir: '/h/a b' })).toBe(
      "sbatch --parsable '--chdir=/h/a b' -- '/h/o'\\''k/s.sh'",
    );
    expect(() => sbatchCommand({ scriptPath: 's.sh', workdir: '/h' })).toThrow();
    expect(() => sbatchCommand({ ...base, jobName: 'a b' })).toThrow(SlurmCommandError);
    expect(() => sbatchCommand({ ...base, output: 'rel/x' })).toThrow(SlurmCommandError);
    expect(() => sbatchCommand({ ...base, partition: 'p;id' })).toThrow(SlurmCommandError);
  });

  it('parses the job id (with or without a cluster name) and explains refusals', () => {
    expect(parseSbatchParsable(ok('123\n'))).toBe('123');
    expect(parseSbatchParsable(ok('456;cluster\n'))).toBe('456');
    expect(() => parseSbatchParsable({ code: 1, stdout: '', stderr: 'sbatch: error: invalid partition specified: nope\n' })).toThrow(
      /sbatch refused the job \(exit 1\): sbatch: error: invalid partition/,
    );
    expect(() => parseSbatchParsable(ok('Submitted batch job 5\n'))).toThrow(/unexpected sbatch output/);
  });

  it('builds --test-only and parses its estimate (from stderr, in UTC)', () => {
    expect(sbatchTestOnlyCommand(base)).toBe('TZ=UTC sbatch --test-only --chdir=/home/u/jobs/j1 -- /home/u/jobs/j1/.uws/wrapper.sh');
    const est = parseSbatchTestOnly({
      code: 0,
      stdout: '',
      stderr: 'sbatch: Job 8 to start at 2026-11-25T07:54:40 using 1 processors on nodes vm in partition debug\n',
    });
    expect(est).toEqual({ startAt: Date.UTC(2026, 10, 25, 7, 54, 40), processors: 1, nodes: 'vm', partition: 'debug' });
    expect(() =>
      parseSbatchTestOnly({ code: 1, stdout: '', stderr: 'sbatch: error: invalid partition specified: nope\nallocation failure: Invalid partition name specified\n' }),
    ).toThrow(/invalid partition/);
  });
});

describe('squeue', () => {
  it('queries many ids in one call, finished jobs included, machine-parseable, in UTC', () => {
    expect(squeueCommand(['1', '22', '333_4'])).toBe("TZ=UTC squeue -h -t all -j 1,22,333_4 -o '%i|%T|%S|%e|%r'");
    expect(() => squeueCommand(['1', '2;id'])).toThrow(SlurmCommandError);
    expect(() => squeueCommand([])).toThrow(SlurmCommandError);
  });

  // Real output of SLURM 22.05.8 for the command above.
  const REAL = [
    '5|FAILED|2026-11-25T07:54:15|2026-11-25T07:54:15|NonZeroExitCode',
    '6|PENDING|N/A|N/A|JobHeldUser',
    '4|RUNNING|2026-11-25T07:54:15|NONE|None',
    '9|PENDING|N/A|N/A|launch failed requeued held',
    '',
  ].join('\n');

  it('parses rows with times in UTC and reasons with spaces', () => {
    const rows = parseSqueue(REAL);
    expect([...rows.keys()]).toEqual(['5', '6', '4', '9']);
    expect(rows.get('5')).toEqual({
      jobId: '5',
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      startTime: Date.UTC(2026, 10, 25, 7, 54, 15),
      endTime: Date.UTC(2026, 10, 25, 7, 54, 15),
    });
    expect(rows.get('6')).toEqual({ jobId: '6', state: 'PENDING', reason: 'JobHeldUser' });
    expect(rows.get('9')?.reason).toBe('launch failed requeued held');
  });

  it('treats "Invalid job id specified" (one forgotten id) as "no rows", other failures as errors', () => {
    expect(interpretSqueue({ code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified\n' }).size).toBe(0);
    expect(interpretSqueue(ok('')).size).toBe(0); // several forgotten ids: exit 0, no output
    expect(() => interpretSqueue({ code: 1, stdout: '', stderr: 'slurm_load_jobs error: Unable to contact slurm controller' })).toThrow(
      /squeue failed \(exit 1\): slurm_load_jobs error: Unable to contact/,
    );
  });

  it('parses SLURM times', () => {
    expect(parseSlurmTime('2026-01-02T03:04:05')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    for (const s of ['N/A', 'NONE', 'Unknown', undefined, '']) expect(parseSlurmTime(s)).toBeUndefined();
  });

  it('finds a job by name', () => {
    expect(squeueByNameCommand('uws-abc')).toBe("squeue -h -t all --me -n uws-abc -o '%i'");
    expect(() => squeueByNameCommand('a b')).toThrow();
  });
});

describe('scancel and scontrol', () => {
  it('builds scancel and accepts already-finished jobs', () => {
    expect(scancelCommand(['4', '7'])).toBe('scancel 4 7');
    expect(() => scancelCommand(['4 ; rm'])).toThrow();
    expect(scancelSucceeded(ok(''))).toBe(true);
    expect(scancelSucceeded({ code: 1, stdout: '', stderr: 'scancel: error: Kill job error on job id 9: Invalid job id specified' })).toBe(true);
    expect(scancelSucceeded({ code: 1, stdout: '', stderr: 'scancel: error: Kill job error on job id 9: Job/step already completing or completed' })).toBe(true);
    expect(scancelSucceeded({ code: 1, stdout: '', stderr: 'scancel: error: Access/permission denied' })).toBe(false);
  });

  // Real `scontrol -o show job 5` and the default multi-line form (SLURM 22.05.8).
  const ONE_LINE =
    'JobId=5 JobName=wrap UserId=uwsjob(1001) GroupId=uwsjob(1001) MCS_label=N/A Priority=4294901755 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-11-25T07:54:15 EligibleTime=2026-11-25T07:54:15 AccrueTime=2026-11-25T07:54:15 StartTime=2026-11-25T07:54:15 EndTime=2026-11-25T07:54:15 Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-11-25T07:54:15 Scheduler=Main Partition=debug AllocNode:Sid=localhost:25532 ReqNodeList=(null) ExcNodeList=(null) NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/home/uwsjob StdErr=/home/uwsjob/slurm-5.out StdIn=/dev/null StdOut=/home/uwsjob/slurm-5.out Power= ';
  const MULTI = `JobId=4 JobName=wrap
   UserId=uwsjob(1001) GroupId=uwsjob(1001) MCS_label=N/A
   JobState=CANCELLED Reason=None Dependency=(null)
   Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:15
   StartTime=2026-11-25T07:54:15 EndTime=2026-11-25T07:54:40 Deadline=N/A
   Power=
   

JobId=7 JobName=wrap
   JobState=TIMEOUT Reason=TimeLimit Dependency=(null)
   ExitCode=0:15
`;

  it('builds one command for several jobs', () => {
    expect(scontrolShowJobsCommand(['5', '6'])).toBe('for i in 5 6; do TZ=UTC scontrol -o show job "$i" 2>/dev/null; done; true');
  });

  it('parses one-line and multi-line scontrol output, exit codes and signals', () => {
    const one = parseScontrolShowJobs(ONE_LINE);
    const f = one.get('5')!;
    expect(f.JobState).toBe('FAILED');
    expect(f['AllocNode:Sid']).toBe('localhost:25532');
    expect(f.TRES).toBe('cpu=1,node=1,billing=1');
    expect(rowFromScontrol(f)).toMatchObject({ jobId: '5', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: 0 });
    const multi = parseScontrolShowJobs(MULTI);
    expect([...multi.keys()]).toEqual(['4', '7']);
    expect(rowFromScontrol(multi.get('4')!)).toMatchObject({ state: 'CANCELLED', exitCode: 0, signal: 15, endTime: Date.UTC(2026, 10, 25, 7, 54, 40) });
    expect(multi.get('7')!.JobState).toBe('TIMEOUT');
    expect(parseExitCode('3:0')).toEqual({ code: 3, signal: 0 });
    expect(parseExitCode('x')).toBeUndefined();
  });
});

describe('SLURM states → ExecStatus', () => {
  const row = (state: string, reason = 'None', extra: Partial<SqueueRow> = {}): SqueueRow => ({ jobId: '1', state, reason, ...extra });
  const T = Date.UTC(2026, 0, 1);

  it.each([
    ['PENDING', 'Priority', 'queued', /higher-priority/],
    ['PENDING', 'Resources', 'queued', /free resources/],
    ['PENDING', 'SomethingNew', 'queued', /SLURM reason: SomethingNew/],
    ['PENDING', 'JobHeldUser', 'held', /held by its owner/],
    ['PENDING', 'JobHeldAdmin', 'held', /administrator/],
    ['REQUEUE_HOLD', 'None', 'held', /REQUEUE_HOLD/],
    ['CONFIGURING', 'None', 'queued', /being prepared/],
    ['SUSPENDED', 'None', 'suspended', /suspended/],
    ['CANCELLED', 'None', 'cancelled', /scancel/],
    ['TIMEOUT', 'TimeLimit', 'timeout', /execution duration exceeded/],
    ['OUT_OF_MEMORY', 'OutOfMemory', 'failed', /out of memory/],
    ['NODE_FAIL', 'None', 'failed', /NODE_FAIL/],
    ['PREEMPTED', 'None', 'failed', /preempted/],
    ['BOOT_FAIL', 'None', 'failed', /BOOT_FAIL/],
    ['DEADLINE', 'None', 'failed', /deadline/],
    ['REVOKED', 'None', 'lost', /revoked/],
    ['SOME_FUTURE_STATE', 'None', 'queued', /SOME_FUTURE_STATE/],
  ])('%s (%s) → %s', (state, reason, exec, message) => {
    const s = slurmStatus(row(state, reason));
    expect(s.state).toBe(exec);
    expect(s.message).toMatch(message);
  });

  it('RUNNING and COMPLETING are running, at the start time', () => {
    expect(slurmStatus(row('RUNNING', 'None', { startTime: T }))).toEqual({ state: 'running', at: T });
    expect(slurmStatus(row('COMPLETING')).state).toBe('running');
  });

  it('COMPLETED is completed with exit 0 at the end time', () => {
    expect(slurmStatus(row('COMPLETED', 'None', { endTime: T }))).toEqual({ state: 'completed', exitCode: 0, at: T });
  });

  it('FAILED carries the exit code, stderr tail, or the signal', () => {
    expect(slurmStatus(row('FAILED', 'NonZeroExitCode'), { exitCode: 3, stderrTail: 'boom\n' })).toEqual({
      state: 'failed',
      exitCode: 3,
      message: 'the job exited with code 3',
      stderrTail: 'boom\n',
    });
    expect(slurmStatus(row('FAILED', 'NonZeroExitCode'), { exitCode: 0, signal: 9 }).message).toBe('the job was killed by signal 9');
    expect(slurmStatus(row('FAILED', 'NonZeroExitCode')).message).toBe('the job failed (SLURM reason: NonZeroExitCode)');
  });
});

describe('job end files', () => {
  it('reads exit codes and stderr tails of many directories in one command, run by a real bash', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uws-end-'));
    try {
      const mk = (name: string, exit?: string, stderr?: string) => {
        fs.mkdirSync(path.join(root, name, '.uws'), { recursive: true });
        if (exit !== undefined) fs.writeFileSync(path.join(root, name, '.uws/exit'), exit);
        if (stderr !== undefined) fs.writeFileSync(path.join(root, name, '.uws/stderr.txt'), stderr);
      };
      mk('ok', '0\n', 'ignored');
      mk('bad', '3\n', "line1\nit's $(broken)\n");
      mk('running');
      const dirs = ['ok', 'bad', 'running', "gone 'x'"].map((d) => path.join(root, d));
      const out = execFileSync('bash', ['-c', jobEndFilesCommand(dirs)]).toString();
      expect(parseJobEndFiles(out, 4)).toEqual([
        { dirExists: true, exitCode: 0 },
        { dirExists: true, exitCode: 3, stderrTail: "line1\nit's $(broken)\n" },
        { dirExists: true },
        { dirExists: false },
      ]);
      expect(() => jobEndFilesCommand(['relative'])).toThrow();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
