/**
 * PURE: the `#SBATCH` arguments the HOST puts at the top of a job's script (the wrapper template renders
 * each as `#SBATCH <arg>`). Every value is checked against a strict character set and refused otherwise:
 * no whitespace, quotes, `#`, `=` or line breaks can get through, so nothing a user sends can add another
 * directive or a line of shell.
 */

export interface SbatchResources {
  jobName?: string;
  /** Execution duration, seconds: → --time in whole minutes, rounded up, at least 1; 0 → no limit line. */
  durationSeconds?: number;
  /** CPUs for the job's one task (--cpus-per-task). */
  cpus?: number;
  /** Memory for the job (--mem, MB). */
  memoryMB?: number;
  partition?: string;
  account?: string;
  /** SLURM's own stdout / stderr files for the batch script (absolute or relative; %j, %x… allowed). */
  output?: string;
  error?: string;
}

export class SbatchValueError extends Error {
  constructor(
    readonly field: keyof SbatchResources,
    message: string,
  ) {
    super(message);
    this.name = 'SbatchValueError';
  }
}

const RULES = {
  jobName: { re: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, what: 'letters, digits, . _ - (at most 128, starting with a letter or digit)' },
  partition: { re: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(,[A-Za-z0-9][A-Za-z0-9._-]{0,63})*$/, what: 'names of letters, digits, . _ - separated by commas' },
  account: { re: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, what: 'letters, digits, . _ - (at most 64)' },
  output: { re: /^[A-Za-z0-9._/%-]{1,1024}$/, what: 'a path of letters, digits, . _ / % -' },
  error: { re: /^[A-Za-z0-9._/%-]{1,1024}$/, what: 'a path of letters, digits, . _ / % -' },
} as const;

function text(field: keyof typeof RULES, v: unknown): string {
  const rule = RULES[field];
  if (typeof v !== 'string' || !rule.re.test(v)) {
    throw new SbatchValueError(field, `#SBATCH ${field} must be ${rule.what}; refused ${JSON.stringify(v)}`);
  }
  return v;
}

function integer(field: keyof SbatchResources, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SbatchValueError(field, `#SBATCH ${field} must be an integer between ${min} and ${max}; refused ${JSON.stringify(v)}`);
  }
  return v;
}

/** Whole minutes for --time: rounded up, at least 1; undefined for 0 (no limit). */
export function timeLimitMinutes(durationSeconds: number): number | undefined {
  const s = integer('durationSeconds', durationSeconds, 0, 2 ** 31 - 1);
  return s === 0 ? undefined : Math.max(1, Math.ceil(s / 60));
}

/** The arguments, e.g. `['--job-name=uws-x', '--time=2', '--cpus-per-task=4']`, in a fixed order. */
export function sbatchArgs(r: SbatchResources): string[] {
  const args: string[] = [];
  if (r.jobName !== undefined) args.push(`--job-name=${text('jobName', r.jobName)}`);
  if (r.durationSeconds !== undefined) {
    const min = timeLimitMinutes(r.durationSeconds);
    if (min !== undefined) args.push(`--time=${min}`);
  }
  if (r.cpus !== undefined) args.push(`--cpus-per-task=${integer('cpus', r.cpus, 1, 1_000_000)}`);
  if (r.memoryMB !== undefined) args.push(`--mem=${integer('memoryMB', r.memoryMB, 1, 2 ** 31 - 1)}M`);
  if (r.partition !== undefined) args.push(`--partition=${text('partition', r.partition)}`);
  if (r.account !== undefined) args.push(`--account=${text('account', r.account)}`);
  if (r.output !== undefined) args.push(`--output=${text('output', r.output)}`);
  if (r.error !== undefined) args.push(`--error=${text('error', r.error)}`);
  return args;
}

/** The same as `#SBATCH …` lines (each ending with a newline), for scripts not rendered by the wrapper. */
export function sbatchPreamble(r: SbatchResources): string {
  return sbatchArgs(r)
    .map((a) => `#SBATCH ${a}\n`)
    .join('');
}
