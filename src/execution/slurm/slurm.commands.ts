/**
 * PURE builders of SLURM command lines (sbatch, squeue, scancel, scontrol) and parsers of their output, for
 * SLURM 22.05 without slurmdbd (no sacct). Every variable part is validated or shell-quoted here; nothing
 * runs anything. Commands that print times are run with TZ=UTC so that times parse without guessing the
 * cluster's zone (SLURM formats them with localtime). Assumes a POSIX login shell on the cluster.
 */
import { JOB_FILES } from '../job-files';
import type { ExecState, ExecStatus } from '../job-manager.port';
import { checkRemotePath, shellJoin, shellQuote } from '../transport/shell';

/** A SLURM job id as we store it: `123`, or an array task `123_4`. */
export const SLURM_JOB_ID = /^\d+(?:_\d+)?$/;

export class SlurmCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

export function checkJobId(id: string): string {
  if (typeof id !== 'string' || !SLURM_JOB_ID.test(id)) throw new SlurmCommandError(`not a SLURM job id: ${JSON.stringify(id)}`);
  return id;
}

/** Output of a command as the transport returns it. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

// ------------------------------------------------------------------------------------------- sbatch

export interface SbatchOptions {
  /** Absolute path of the batch script on the cluster. */
  scriptPath: string;
  /** Absolute working directory of the job on the cluster (--chdir). */
  workdir: string;
  jobName?: string;
  /** SLURM's own stdout/stderr files for the batch script (absolute paths; %j etc. allowed). */
  output?: string;
  error?: string;
  /** Whole minutes; 0/undefined: no --time on the command line (the script's #SBATCH line or the default). */
  timeMinutes?: number;
  partition?: string;
  account?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PARTITION = /^[A-Za-z0-9][A-Za-z0-9._,-]{0,127}$/;
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const OUTPUT_PATH = /^\/[A-Za-z0-9._/%-]*$/;

function sbatchArgs(o: SbatchOptions): string[] {
  checkRemotePath(o.scriptPath);
  checkRemotePath(o.workdir);
  const args = [`--chdir=${o.workdir}`];
  if (o.jobName !== undefined) {
    if (!NAME.test(o.jobName)) throw new SlurmCommandError(`job name must match ${NAME}: ${JSON.stringify(o.jobName)}`);
    args.push(`--job-name=${o.jobName}`);
  }
  for (const [flag, v] of [
    ['--output', o.output],
    ['--error', o.error],
  ] as const) {
    if (v === undefined) continue;
    if (!OUTPUT_PATH.test(v)) throw new SlurmCommandError(`${flag} must be an absolute path of [A-Za-z0-9._/%-]: ${JSON.stringify(v)}`);
    args.push(`${flag}=${v}`);
  }
  if (o.timeMinutes !== undefined && o.timeMinutes !== 0) {
    if (!Number.isInteger(o.timeMinutes) || o.timeMinutes < 0) throw new SlurmCommandError(`--time must be whole minutes, got ${o.timeMinutes}`);
    args.push(`--time=${o.timeMinutes}`);
  }
  if (o.partition !== undefined) {
    if (!PARTITION.test(o.partition)) throw new SlurmCommandError(`partition must match ${PARTITION}: ${JSON.stringify(o.partition)}`);
    args.push(`--partition=${o.partition}`);
  }
  if (o.account !== undefined) {
    if (!ACCOUNT.test(o.account)) throw new SlurmCommandError(`account must match ${ACCOUNT}: ${JSON.stringify(o.account)}`);
    args.push(`--account=${o.account}`);
  }
  return args;
}

/** `sbatch --parsable …` : prints `<id>` or `<id>;<cluster>` on stdout. */
export function sbatchCommand(o: SbatchOptions): string {
  return shellJoin(['sbatch', '--parsable', ...sbatchArgs(o), '--', o.scriptPath]);
}

export function parseSbatchParsable(out: CommandOutput): string {
  if (out.code !== 0) {
    throw new SlurmCommandError(`sbatch refused the job (exit ${out.code}): ${(out.stderr || out.stdout).trim().slice(0, 500)}`);
  }
  const line = out.stdout.trim().split('\n').pop() ?? '';
  const m = /^(\d+)(?:;\S+)?$/.exec(line.trim());
  if (!m) throw new SlurmCommandError(`unexpected sbatch output: ${JSON.stringify(out.stdout.slice(0, 200))}`);
  return m[1];
}

/** `sbatch --test-only …` : validates the job and estimates its start without submitting it. */
export function sbatchTestOnlyCommand(o: SbatchOptions): string {
  return `TZ=UTC ${shellJoin(['sbatch', '--test-only', ...sbatchArgs(o), '--', o.scriptPath])}`;
}

export interface SbatchEstimate {
  /** Epoch ms of the estimated start. */
  startAt: number;
  processors: number;
  nodes: string;
  partition: string;
}

/** Parses `sbatch: Job 8 to start at 2026-11-25T07:54:40 using 1 processors on nodes vm in partition debug`. */
export function parseSbatchTestOnly(out: CommandOutput): SbatchEstimate {
  const text = `${out.stderr}\n${out.stdout}`;
  const m = /Job \d+ to start at (\S+) using (\d+) processors on nodes (\S+) in partition (\S+)/.exec(text);
  if (out.code !== 0 || !m) {
    throw new SlurmCommandError(`sbatch --test-only refused the job (exit ${out.code}): ${text.trim().slice(0, 500)}`);
  }
  const startAt = parseSlurmTime(m[1]);
  if (startAt === undefined) throw new SlurmCommandError(`sbatch --test-only: cannot parse the start time '${m[1]}'`);
  return { startAt, processors: Number(m[2]), nodes: m[3], partition: m[4] };
}

// ------------------------------------------------------------------------------------------- squeue

export interface SqueueRow {
  jobId: string;
  /** Upper-case SLURM state: PENDING, RUNNING, COMPLETED, FAILED, … */
  state: string;
  /** SLURM's reason (None, Priority, JobHeldUser, NonZeroExitCode, …). */
  reason: string;
  startTime?: number;
  endTime?: number;
}

const SQUEUE_FORMAT = '%i|%T|%S|%e|%r';

/**
 * ONE squeue call for many jobs, finished ones included (-t all). In 22.05 an id list of several jobs
 * silently omits the ids slurmctld no longer knows (exit 0), while a single unknown id fails with
 * "Invalid job id specified": interpretSqueue handles both. (`squeue --json` ignores -j in 22.05.)
 */
export function squeueCommand(ids: readonly string[]): string {
  if (ids.length === 0) throw new SlurmCommandError('squeue needs at least one job id');
  ids.forEach(checkJobId);
  return `TZ=UTC squeue -h -t all -j ${ids.join(',')} -o ${shellQuote(SQUEUE_FORMAT)}`;
}

/** `2026-11-25T07:54:15` (printed in UTC thanks to TZ=UTC) → epoch ms; N/A, NONE, Unknown → undefined. */
export function parseSlurmTime(s: string | undefined): number | undefined {
  if (!s || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(s)) return undefined;
  const t = Date.parse(`${s}Z`);
  return Number.isNaN(t) ? undefined : t;
}

export function parseSqueue(stdout: string): Map<string, SqueueRow> {
  const rows = new Map<string, SqueueRow>();
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [jobId, state, start, end, ...reason] = line.split('|');
    if (!jobId || !SLURM_JOB_ID.test(jobId.trim()) || !state) continue;
    const startTime = parseSlurmTime(start?.trim());
    const endTime = parseSlurmTime(end?.trim());
    rows.set(jobId.trim(), {
      jobId: jobId.trim(),
      state: state.trim().toUpperCase().replace(/[^A-Z_]/g, ''),
      reason: reason.join('|').trim(),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(endTime !== undefined ? { endTime } : {}),
    });
  }
  return rows;
}

const INVALID_JOB_ID = /Invalid job id specified/i;

/** Rows of the jobs slurmctld knows; ids absent from the map are forgotten (or never existed). */
export function interpretSqueue(out: CommandOutput): Map<string, SqueueRow> {
  if (out.code !== 0) {
    if (INVALID_JOB_ID.test(out.stderr)) return parseSqueue(out.stdout);
    throw new SlurmCommandError(`squeue failed (exit ${out.code}): ${(out.stderr || out.stdout).trim().slice(0, 500)}`);
  }
  return parseSqueue(out.stdout);
}

/** Finds a job by name (e.g. after a connection dropped during sbatch: was it submitted?). */
export function squeueByNameCommand(jobName: string): string {
  if (!NAME.test(jobName)) throw new SlurmCommandError(`job name must match ${NAME}: ${JSON.stringify(jobName)}`);
  return `squeue -h -t all --me -n ${shellQuote(jobName)} -o '%i'`;
}

export function parseJobIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => SLURM_JOB_ID.test(l));
}

// ------------------------------------------------------------------------------------------- scancel

export function scancelCommand(ids: readonly string[]): string {
  if (ids.length === 0) throw new SlurmCommandError('scancel needs at least one job id');
  ids.forEach(checkJobId);
  return `scancel ${ids.join(' ')}`;
}

/** scancel of a finished or forgotten job is not a failure: cancel is "safe to call for a finished job". */
export function scancelSucceeded(out: CommandOutput): boolean {
  if (out.code === 0) return true;
  return /Invalid job id specified|already completing or completed|Job\/step already/i.test(out.stderr);
}

// ------------------------------------------------------------------------------------------- scontrol

/** One line per job (`-o`), in UTC; several ids in one call (one scontrol each, errors ignored). */
export function scontrolShowJobsCommand(ids: readonly string[]): string {
  if (ids.length === 0) throw new SlurmCommandError('scontrol show job needs at least one job id');
  ids.forEach(checkJobId);
  return `for i in ${ids.join(' ')}; do TZ=UTC scontrol -o show job "$i" 2>/dev/null; done; true`;
}

/** `JobId=5 JobName=wrap … JobState=FAILED Reason=NonZeroExitCode … ExitCode=3:0 …` → fields. */
export function parseScontrolLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of line.trim().split(/\s+(?=[A-Za-z][A-Za-z0-9_:/]*=)/)) {
    const i = tok.indexOf('=');
    if (i > 0) out[tok.slice(0, i)] = tok.slice(i + 1);
  }
  return out;
}

/** Parses `scontrol show job` output, one-line (-o) or the multi-line default, into fields per job id. */
export function parseScontrolShowJobs(stdout: string): Map<string, Record<string, string>> {
  const jobs = new Map<string, Record<string, string>>();
  // the multi-line form separates jobs with a blank line and indents continuation lines
  const blocks = stdout.includes('\n   ') ? stdout.split(/\n\s*\n/) : stdout.split('\n');
  for (const block of blocks) {
    const fields = parseScontrolLine(block.replace(/\n/g, ' '));
    if (fields.JobId && SLURM_JOB_ID.test(fields.JobId)) jobs.set(fields.JobId, fields);
  }
  return jobs;
}

/** `3:0` → { code: 3, signal: 0 } (ExitCode=exit status:signal). */
export function parseExitCode(s: string | undefined): { code: number; signal: number } | undefined {
  const m = /^(\d+):(\d+)$/.exec(s ?? '');
  return m ? { code: Number(m[1]), signal: Number(m[2]) } : undefined;
}

export function rowFromScontrol(fields: Record<string, string>): SqueueRow & { exitCode?: number; signal?: number } {
  const ec = parseExitCode(fields.ExitCode);
  const startTime = parseSlurmTime(fields.StartTime);
  const endTime = parseSlurmTime(fields.EndTime);
  return {
    jobId: fields.JobId,
    state: (fields.JobState ?? '').toUpperCase(),
    reason: fields.Reason ?? 'None',
    ...(startTime !== undefined ? { startTime } : {}),
    ...(endTime !== undefined ? { endTime } : {}),
    ...(ec ? { exitCode: ec.code, signal: ec.signal } : {}),
  };
}

// ------------------------------------------------------------------------------------------- states

/** States after which SLURM will do nothing more with the job. */
export const SLURM_FINAL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
]);

const HOLD_REASONS: Record<string, string> = {
  JobHeldUser: 'held by its owner (scontrol hold); release it to let it run',
  JobHeldAdmin: 'held by a cluster administrator',
};

const PENDING_REASONS: Record<string, string> = {
  None: 'waiting in the SLURM queue',
  Priority: 'waiting in the SLURM queue for higher-priority jobs',
  Resources: 'waiting in the SLURM queue for free resources',
  Dependency: 'waiting for the jobs it depends on',
  BeginTime: 'waiting for its start time',
  PartitionTimeLimit: "its time limit exceeds the partition's: it will not start unless the limit is lowered",
  PartitionNodeLimit: "it asks for more nodes than the partition allows: it will not start",
  PartitionDown: 'its partition is down',
  PartitionInactive: 'its partition is inactive',
  ReqNodeNotAvail: 'the nodes it needs are not available',
  AssocGrpCpuLimit: "waiting: the account's CPU limit is reached",
  AssocMaxJobsLimit: "waiting: the account's limit of running jobs is reached",
  QOSMaxJobsPerUserLimit: "waiting: the user's limit of running jobs is reached",
  launch_failed_requeued_held: 'its launch failed; SLURM requeued and held it',
};

function pendingMessage(reason: string): string {
  const known = PENDING_REASONS[reason] ?? PENDING_REASONS[reason.replace(/\s+/g, '_')];
  return known ? `${known} (SLURM reason: ${reason})` : `waiting in the SLURM queue (SLURM reason: ${reason})`;
}

export interface EndDetails {
  /** Exit status of the batch script, when known (.uws/exit, or ExitCode=N:S). */
  exitCode?: number;
  /** Signal that ended it (ExitCode=N:S), when known. */
  signal?: number;
  stderrTail?: string;
}

/** Maps a SLURM state to the port's ExecStatus, with a message a UWS client can read. */
export function slurmStatus(row: SqueueRow, end: EndDetails = {}): ExecStatus {
  const s = row.state;
  const reason = row.reason || 'None';
  const ended = (state: ExecState, message: string | undefined, extra: Partial<ExecStatus> = {}): ExecStatus => ({
    state,
    ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
    ...(message ? { message } : {}),
    ...(row.endTime !== undefined ? { at: row.endTime } : {}),
    ...extra,
  });
  const withTail = (st: ExecStatus): ExecStatus => (end.stderrTail ? { ...st, stderrTail: end.stderrTail } : st);
  switch (s) {
    case 'PENDING':
    case 'REQUEUED':
    case 'REQUEUE_FED':
    case 'CONFIGURING':
      if (HOLD_REASONS[reason]) return { state: 'held', message: `${HOLD_REASONS[reason]} (SLURM reason: ${reason})` };
      if (s === 'CONFIGURING') return { state: 'queued', message: 'its nodes are being prepared (SLURM CONFIGURING)' };
      return { state: 'queued', message: pendingMessage(reason) };
    case 'REQUEUE_HOLD':
    case 'SPECIAL_EXIT':
    case 'RESV_DEL_HOLD':
      return { state: 'held', message: `held by SLURM (${s}, reason: ${reason})` };
    case 'RUNNING':
    case 'COMPLETING':
    case 'RESIZING':
    case 'SIGNALING':
    case 'STAGE_OUT':
      return { state: 'running', ...(row.startTime !== undefined ? { at: row.startTime } : {}) };
    case 'SUSPENDED':
    case 'STOPPED':
      return { state: 'suspended', message: `suspended by SLURM (${s})` };
    case 'COMPLETED':
      return ended('completed', undefined, { exitCode: end.exitCode ?? 0 });
    case 'FAILED': {
      const msg =
        end.exitCode !== undefined && end.exitCode !== 0
          ? `the job exited with code ${end.exitCode}`
          : end.signal
            ? `the job was killed by signal ${end.signal}`
            : `the job failed (SLURM reason: ${reason})`;
      return withTail(ended('failed', msg));
    }
    case 'CANCELLED':
      return ended('cancelled', 'cancelled (scancel)');
    case 'TIMEOUT':
      return ended('timeout', 'execution duration exceeded: SLURM stopped the job at its time limit');
    case 'OUT_OF_MEMORY':
      return withTail(ended('failed', 'the job ran out of memory (SLURM OUT_OF_MEMORY): ask for more memory'));
    case 'NODE_FAIL':
      return withTail(ended('failed', 'a node running the job failed (SLURM NODE_FAIL); submitting it again may work'));
    case 'PREEMPTED':
      return withTail(ended('failed', 'the job was preempted by a higher-priority job (SLURM PREEMPTED)'));
    case 'BOOT_FAIL':
      return withTail(ended('failed', "the job's nodes failed to boot (SLURM BOOT_FAIL); submitting it again may work"));
    case 'DEADLINE':
      return withTail(ended('failed', 'the job reached its deadline before it could finish (SLURM DEADLINE)'));
    case 'REVOKED':
      return { state: 'lost', message: 'SLURM revoked the job (federation: it runs on another cluster)' };
    default:
      // An unknown (newer) state: report it without concluding anything.
      return { state: 'queued', message: `SLURM state ${s} (reason: ${reason})` };
  }
}

// ------------------------------------------------------------------------------------------- job files

/**
 * One command reading the wrapper's end files in many work directories (the fallback for jobs SLURM no
 * longer knows, and the exit code of failed ones): per directory, one line
 * `index<TAB>dirExists(0|1)<TAB>exitCode or empty<TAB>base64 of the stderr tail when the exit code is non-zero`.
 */
export function jobEndFilesCommand(workdirs: readonly string[], tailBytes = 2048): string {
  if (workdirs.length === 0) throw new SlurmCommandError('no work directories');
  workdirs.forEach((d) => checkRemotePath(d));
  if (!Number.isInteger(tailBytes) || tailBytes < 0) throw new SlurmCommandError('tailBytes must be a non-negative integer');
  return [
    'i=0',
    `for d in ${workdirs.map(shellQuote).join(' ')}; do`,
    '  x=0; [ -d "$d" ] && x=1',
    `  e=$(head -c 32 -- "$d/${JOB_FILES.exit}" 2>/dev/null | tr -dc 0-9)`,
    '  t=',
    `  if [ -n "$e" ] && [ "$e" != 0 ]; then t=$(tail -c ${tailBytes} -- "$d/${JOB_FILES.stderr}" 2>/dev/null | base64 | tr -d '\\n'); fi`,
    `  printf '%s\\t%s\\t%s\\t%s\\n' "$i" "$x" "$e" "$t"`,
    '  i=$((i+1))',
    'done',
  ].join('\n');
}

export interface JobEndFiles {
  dirExists: boolean;
  exitCode?: number;
  stderrTail?: string;
}

export function parseJobEndFiles(stdout: string, count: number): JobEndFiles[] {
  const out: JobEndFiles[] = Array.from({ length: count }, () => ({ dirExists: false }));
  for (const line of stdout.split('\n')) {
    const [i, x, e, t] = line.split('\t');
    const idx = Number(i);
    if (!/^\d+$/.test(i ?? '') || idx >= count) continue;
    const tail = t ? Buffer.from(t, 'base64').toString('utf8') : '';
    out[idx] = {
      dirExists: x === '1',
      ...(e && /^\d+$/.test(e) ? { exitCode: Number(e) } : {}),
      ...(tail ? { stderrTail: tail } : {}),
    };
  }
  return out;
}
