/**
 * The port between the UWS core and whatever runs jobs. It speaks of scripts, work directories and states,
 * never of UWS phases, WADL or the database.
 */

export interface JobSpec {
  jobId: string;
  /** The full script (wrapper included) to run with bash. */
  script: string;
  /** Absolute work directory, already created, holding the body and inputs. */
  workdir: string;
  /** 0 = unlimited. */
  durationSeconds: number;
  /** Files to place in the work directory (relative paths) before the script runs. */
  files: { path: string; content: string }[];
  /** Set when the host submits again a job it may already have submitted (after a crash). */
  resubmission?: boolean;
}

/** Resources a job asks of a scheduler, already validated against the job type's limits. */
export interface SchedulerResources {
  jobName: string;
  durationSeconds: number;
  cpus?: number;
  memoryMB?: number;
  partition?: string;
}

export interface ExecRef {
  jobId: string;
  /** What submit() returned: a pid, a SLURM job id. */
  externalId: string;
  workdir: string;
  /** Epoch ms when it started running, if known: lets a manager enforce the duration after a restart. */
  startedAt?: number;
  durationSeconds: number;
}

export type ExecState =
  | 'queued'
  | 'running'
  | 'held'
  | 'suspended'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'timeout'
  /** The manager has no trace of the job: neither running nor a recorded end. */
  | 'lost';

export interface ExecStatus {
  state: ExecState;
  exitCode?: number;
  /** Human-readable explanation (why it failed, what limit was hit). */
  message?: string;
  /** Tail of the job's stderr, for failures. */
  stderrTail?: string;
  at?: number;
}

/** Implemented by the UWS core: where managers report state changes as they see them. */
export interface ExecutionListener {
  onStatus(jobId: string, status: ExecStatus): void;
}

export abstract class JobManager {
  abstract readonly name: string;
  abstract setListener(listener: ExecutionListener): void;
  /** Accepts the job; returns its external id. The job may wait in the manager's own queue. */
  abstract submit(spec: JobSpec): Promise<string>;
  /** Stops the job and everything it started. Safe to call for a finished job. */
  abstract cancel(ref: ExecRef): Promise<void>;
  /** One batched status query for many jobs. */
  abstract poll(refs: ExecRef[]): Promise<Map<string, ExecStatus>>;
  /** Quiesce at shutdown: stop timers; running jobs are left to finish (a restart adopts them). */
  abstract close(): Promise<void>;
  /**
   * Optional, for managers whose jobs run where the host cannot see their files (SLURM in sftp mode):
   * brings the job's end files (.uws/*: stdout, stderr, exit, results.tsv) and every result named in
   * .uws/results.tsv back into ref.workdir. Call it when the job has ended, before reading its results.
   */
  collect?(ref: ExecRef): Promise<void>;
  /** Optional: removes what the job left on the execution side (a remote work directory). */
  cleanup?(ref: ExecRef): Promise<void>;
  /** Where the job's work directory is as the job sees it (default: the host's own path). */
  workdirOnCluster?(jobId: string, localWorkdir: string): string;
  /** Scheduler directive arguments for the wrapper's preamble (e.g. `--cpus-per-task=4`); none by default. */
  directives?(r: SchedulerResources): string[];
  /** Epoch ms at which the scheduler expects such a job to start, if it can tell (for the quote). */
  estimateStart?(r: SchedulerResources): Promise<number | undefined>;
  /** True when jobs report their own phases to the server (callbacks), as cluster jobs do. */
  readonly reportsByCallback?: boolean;
}
