import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOB_FILES } from '../job-files';
import { ExecRef, ExecStatus, ExecutionListener, JobManager, JobSpec, SchedulerResources } from '../job-manager.port';
import { checkRemotePath, remoteJoin, shellJoin } from '../transport/shell';
import { isNotFound, Transport, TransportError } from '../transport/transport.port';
import {
  interpretSqueue,
  jobEndFilesCommand,
  parseJobEndFiles,
  parseJobIds,
  parseSbatchParsable,
  parseSbatchTestOnly,
  parseScontrolShowJobs,
  rowFromScontrol,
  sbatchCommand,
  scancelCommand,
  scancelSucceeded,
  scontrolShowJobsCommand,
  SLURM_JOB_ID,
  slurmStatus,
  squeueByNameCommand,
  squeueCommand,
  SqueueRow,
} from './slurm.commands';
import { sbatchArgs, timeLimitMinutes } from './slurm.preamble';

export interface SlurmManagerOptions {
  /**
   * 'sftp': the cluster does not see the host's disk: each job runs in `${remoteRoot}/${jobId}`, its
   * payload is uploaded at submit and its end files downloaded by collect(). 'shared': the host's work
   * directory is the same path on the cluster (shared file system): nothing is copied.
   */
  fileMode: 'shared' | 'sftp';
  /** Absolute remote work root (sftp mode), e.g. /home/uwsjob/uws-jobs. */
  remoteRoot: string;
  /** Budget of one poll's commands, ms. Default 30 s. */
  pollTimeoutMs?: number;
  /** Budget of the sbatch call, ms. Default 60 s. */
  submitTimeoutMs?: number;
  /** Passed as --partition / --account on every sbatch command line (they win over #SBATCH lines). */
  partition?: string;
  account?: string;
  /** SLURM job names are `${jobNamePrefix}${jobId}` (used to find a job again after a lost sbatch reply). */
  jobNamePrefix?: string;
  /** Parallel file transfers per job. Default 8. */
  transferConcurrency?: number;
  /** close() also closes the transport (default true: the manager owns it). */
  closeTransport?: boolean;
  logger?: Pick<Logger, 'log' | 'warn' | 'error'>;
}

const SAFE_JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** squeue -j takes a comma list; keep each command line well under any server's limits. */
const SQUEUE_CHUNK = 2000;

/**
 * Runs jobs on a SLURM cluster through a Transport (SSH to a login node, or local). Knows nothing of UWS.
 * State changes reach the host mostly through the wrapper's callbacks; poll() is the batched safety net:
 * ONE squeue for all jobs, then ONE command reading the end files of those SLURM has forgotten (and the
 * exit codes of failed ones).
 */
export class SlurmJobManager extends JobManager {
  readonly name = 'slurm';
  override readonly reportsByCallback = true;
  private listener?: ExecutionListener;
  private readonly logger: Pick<Logger, 'log' | 'warn' | 'error'>;
  private readonly pollTimeoutMs: number;
  private readonly submitTimeoutMs: number;
  private readonly prefix: string;

  constructor(
    private readonly transport: Transport,
    private readonly opts: SlurmManagerOptions,
  ) {
    super();
    if (opts.fileMode !== 'shared' && opts.fileMode !== 'sftp') throw new Error(`fileMode must be 'shared' or 'sftp'`);
    if (opts.fileMode === 'sftp') checkRemotePath(opts.remoteRoot, 1);
    this.logger = opts.logger ?? new Logger('SlurmManager');
    this.pollTimeoutMs = opts.pollTimeoutMs ?? 30_000;
    this.submitTimeoutMs = opts.submitTimeoutMs ?? 60_000;
    this.prefix = opts.jobNamePrefix ?? 'uws-';
  }

  setListener(listener: ExecutionListener): void {
    // Events come from the wrapper's callbacks (and from the reconciler through poll); nothing to push here.
    this.listener = listener;
  }

  /**
   * The job's work directory as the job sees it: the host must render the wrapper with THIS path (the
   * wrapper cds into it). sftp: `${remoteRoot}/${jobId}`; shared: the host's own path.
   */
  override workdirOnCluster(jobId: string, localWorkdir: string): string {
    if (!SAFE_JOB_ID.test(jobId)) throw new Error(`job id not usable in a path: ${JSON.stringify(jobId)}`);
    if (this.opts.fileMode === 'shared') return checkRemotePath(localWorkdir);
    return remoteJoin(this.opts.remoteRoot, jobId);
  }

  /** #SBATCH arguments for the wrapper: job name, time limit, cpus, memory, partition (values checked). */
  override directives(r: SchedulerResources): string[] {
    return sbatchArgs({
      jobName: `${this.prefix}${r.jobName}`,
      durationSeconds: r.durationSeconds,
      cpus: r.cpus,
      memoryMB: r.memoryMB,
      partition: r.partition ?? this.opts.partition,
      account: this.opts.account,
    });
  }

  /**
   * When SLURM expects a job with these resources to start (`sbatch --test-only`, which queues nothing).
   * Undefined when SLURM gives no answer; the host then falls back to its own estimate.
   */
  override async estimateStart(r: SchedulerResources): Promise<number | undefined> {
    const args = this.directives(r).filter((a) => !a.startsWith('--job-name='));
    const out = await this.transport.exec(`TZ=UTC ${shellJoin(['sbatch', '--test-only', ...args, '--wrap=true'])}`, {
      timeoutMs: this.pollTimeoutMs,
      idempotent: true,
    });
    try {
      return parseSbatchTestOnly(out).startAt;
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------ submit

  async submit(spec: JobSpec): Promise<string> {
    const dir = this.workdirOnCluster(spec.jobId, spec.workdir);
    if (spec.resubmission) {
      // The host may have died between sbatch's answer and storing the id: adopt that job, don't start another.
      const existing = await this.findByName(`${this.prefix}${spec.jobId}`);
      if (existing) {
        this.logger.warn(`job ${spec.jobId}: already known to SLURM as job ${existing}; adopted, not submitted again`);
        return existing;
      }
    }
    for (const f of spec.files) relativeInside(f.path);
    if (this.opts.fileMode === 'sftp') await this.stageRemote(spec, dir);
    else await this.stageShared(spec);

    const jobName = `${this.prefix}${spec.jobId}`;
    const cmd = sbatchCommand({
      scriptPath: remoteJoin(dir, JOB_FILES.wrapper),
      workdir: dir,
      jobName,
      output: remoteJoin(dir, JOB_FILES.log),
      error: remoteJoin(dir, JOB_FILES.log),
      timeMinutes: spec.durationSeconds > 0 ? timeLimitMinutes(spec.durationSeconds) : undefined,
      partition: this.opts.partition,
      account: this.opts.account,
    });
    let id: string;
    try {
      id = parseSbatchParsable(await this.transport.exec(cmd, { timeoutMs: this.submitTimeoutMs }));
    } catch (e) {
      // The reply was lost with the connection: the job may or may not exist. Look for it by name.
      if (!(e instanceof TransportError) || (e.code !== 'DISCONNECTED' && e.code !== 'TIMEOUT')) throw e;
      const found = await this.findByName(jobName);
      if (found) {
        this.logger.warn(`job ${spec.jobId}: sbatch reply lost (${e.message}); found it as SLURM job ${found}`);
        id = found;
      } else {
        this.logger.warn(`job ${spec.jobId}: sbatch reply lost (${e.message}) and no such job in SLURM; submitting again`);
        id = parseSbatchParsable(await this.transport.exec(cmd, { timeoutMs: this.submitTimeoutMs }));
      }
    }
    this.logger.log(`job ${spec.jobId}: submitted as SLURM job ${id} (${dir})`);
    return id;
  }

  private async findByName(jobName: string): Promise<string | undefined> {
    const r = await this.transport.exec(squeueByNameCommand(jobName), { timeoutMs: this.pollTimeoutMs, idempotent: true });
    const ids = r.code === 0 ? parseJobIds(r.stdout) : [];
    return ids.length > 0 ? ids[ids.length - 1] : undefined;
  }

  /** Shared file system: the host writes the files itself, like the local manager. */
  private async stageShared(spec: JobSpec): Promise<void> {
    await fs.promises.mkdir(path.join(spec.workdir, JOB_FILES.dir), { recursive: true });
    for (const f of spec.files) {
      const target = path.join(spec.workdir, f.path);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.writeFile(target, f.content, { mode: 0o700 });
    }
    await fs.promises.writeFile(path.join(spec.workdir, JOB_FILES.wrapper), spec.script, { mode: 0o700 });
  }

  /**
   * sftp: the remote work directory gets the local work directory's payload (inputs/, staged plugin files…;
   * the local .uws/ is left out), then spec.files and the wrapper. A stale remote directory of the same job
   * (a resubmission) is replaced.
   */
  private async stageRemote(spec: JobSpec, dir: string): Promise<void> {
    await this.transport.remove(dir);
    await this.transport.mkdirp(remoteJoin(dir, JOB_FILES.dir));
    const { dirs, files } = await walkLocal(spec.workdir, (rel) => rel === JOB_FILES.dir || rel.startsWith(`${JOB_FILES.dir}/`));
    for (const d of dirs) await this.transport.mkdirp(remoteJoin(dir, d));
    const madeDirs = new Set<string>([JOB_FILES.dir, ...dirs]);
    await mapLimit(files, this.opts.transferConcurrency ?? 8, (rel) =>
      this.transport.putFile(path.join(spec.workdir, rel), remoteJoin(dir, rel)),
    );
    const writes: { rel: string; content: string }[] = [
      ...spec.files.map((f) => ({ rel: path.posix.normalize(f.path), content: f.content })),
      { rel: JOB_FILES.wrapper, content: spec.script },
    ];
    for (const w of writes) {
      const parent = path.posix.dirname(w.rel);
      if (parent !== '.' && !madeDirs.has(parent)) {
        await this.transport.mkdirp(remoteJoin(dir, parent));
        madeDirs.add(parent);
      }
    }
    await mapLimit(writes, this.opts.transferConcurrency ?? 8, (w) => this.transport.writeFile(remoteJoin(dir, w.rel), w.content, 0o700));
  }

  // ------------------------------------------------------------------ cancel

  async cancel(ref: ExecRef): Promise<void> {
    if (!SLURM_JOB_ID.test(ref.externalId)) {
      this.logger.warn(`job ${ref.jobId}: cannot cancel, '${ref.externalId}' is not a SLURM job id`);
      return;
    }
    const r = await this.transport.exec(scancelCommand([ref.externalId]), { timeoutMs: this.submitTimeoutMs, idempotent: true });
    if (!scancelSucceeded(r)) {
      throw new Error(`scancel ${ref.externalId} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
    }
    this.logger.log(`job ${ref.jobId}: cancelled SLURM job ${ref.externalId}`);
  }

  // ------------------------------------------------------------------ poll

  async poll(refs: ExecRef[]): Promise<Map<string, ExecStatus>> {
    const out = new Map<string, ExecStatus>();
    const valid = refs.filter((r) => {
      if (SLURM_JOB_ID.test(r.externalId)) return true;
      out.set(r.jobId, { state: 'lost', message: `'${r.externalId}' is not a SLURM job id` });
      return false;
    });
    if (valid.length === 0) return out;

    // 1. ONE squeue for all of them (chunked only beyond SQUEUE_CHUNK ids).
    const rows = new Map<string, SqueueRow>();
    const ids = [...new Set(valid.map((r) => r.externalId))];
    for (let i = 0; i < ids.length; i += SQUEUE_CHUNK) {
      const r = await this.transport.exec(squeueCommand(ids.slice(i, i + SQUEUE_CHUNK)), {
        timeoutMs: this.pollTimeoutMs,
        idempotent: true,
      });
      for (const [id, row] of interpretSqueue(r)) rows.set(id, row);
    }

    // 2. Jobs SLURM forgot, or that ended badly: ONE command reading their end files.
    const needFiles = valid.filter((r) => {
      const row = rows.get(r.externalId);
      return !row || (row.state !== 'COMPLETED' && row.state !== 'CANCELLED' && isFinal(row.state));
    });
    const files = new Map<string, ReturnType<typeof parseJobEndFiles>[number]>();
    if (needFiles.length > 0) {
      const dirs = needFiles.map((r) => this.workdirOnCluster(r.jobId, r.workdir));
      const r = await this.transport.exec(jobEndFilesCommand(dirs), { timeoutMs: this.pollTimeoutMs, idempotent: true });
      if (r.code !== 0) throw new Error(`reading the jobs' end files failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      parseJobEndFiles(r.stdout, dirs.length).forEach((f, i) => files.set(needFiles[i].jobId, f));
    }

    // 3. Failed jobs whose wrapper wrote no exit code (killed, or never started): scontrol's ExitCode.
    const needScontrol = valid.filter((r) => {
      const row = rows.get(r.externalId);
      return row && row.state === 'FAILED' && files.get(r.jobId)?.exitCode === undefined;
    });
    const scontrol = new Map<string, ReturnType<typeof rowFromScontrol>>();
    if (needScontrol.length > 0) {
      const r = await this.transport.exec(scontrolShowJobsCommand(needScontrol.map((x) => x.externalId)), {
        timeoutMs: this.pollTimeoutMs,
        idempotent: true,
      });
      for (const [id, fields] of parseScontrolShowJobs(r.stdout)) scontrol.set(id, rowFromScontrol(fields));
    }

    for (const ref of valid) {
      const row = rows.get(ref.externalId);
      const f = files.get(ref.jobId);
      if (row) {
        const sc = scontrol.get(ref.externalId);
        out.set(
          ref.jobId,
          slurmStatus(row, {
            exitCode: f?.exitCode ?? sc?.exitCode,
            signal: sc?.signal,
            stderrTail: f?.stderrTail,
          }),
        );
      } else {
        out.set(ref.jobId, this.forgotten(ref, f));
      }
    }
    return out;
  }

  /** SLURM no longer knows the job (MinJobAge passed, or the controller lost its state): trust the files. */
  private forgotten(ref: ExecRef, f: ReturnType<typeof parseJobEndFiles>[number] | undefined): ExecStatus {
    if (f?.exitCode === 0) return { state: 'completed', exitCode: 0 };
    if (f?.exitCode !== undefined) {
      return {
        state: 'failed',
        exitCode: f.exitCode,
        message:
          f.exitCode === 143
            ? 'the job was stopped by a signal (exit 143: cancelled, time limit or node shutdown)'
            : `the job exited with code ${f.exitCode}`,
        ...(f.stderrTail ? { stderrTail: f.stderrTail } : {}),
      };
    }
    return {
      state: 'lost',
      message: f?.dirExists
        ? `SLURM no longer knows job ${ref.externalId} and it left no exit status`
        : `SLURM no longer knows job ${ref.externalId} and its work directory is gone`,
    };
  }

  // ------------------------------------------------------------------ files back

  override async collect(ref: ExecRef): Promise<void> {
    if (this.opts.fileMode !== 'sftp') return;
    const dir = this.workdirOnCluster(ref.jobId, ref.workdir);
    let entries;
    try {
      entries = await this.transport.list!(remoteJoin(dir, JOB_FILES.dir));
    } catch (e) {
      if (isNotFound(e)) {
        this.logger.warn(`job ${ref.jobId}: nothing to collect, ${dir} is gone`);
        return;
      }
      throw e;
    }
    const conc = this.opts.transferConcurrency ?? 8;
    const own = new Set<string>([JOB_FILES.wrapper, JOB_FILES.body]);
    const endFiles = entries
      .filter((e) => e.type === 'file')
      .map((e) => `${JOB_FILES.dir}/${e.name}`)
      .filter((rel) => !own.has(rel));
    await fs.promises.mkdir(path.join(ref.workdir, JOB_FILES.dir), { recursive: true });
    await mapLimit(endFiles, conc, (rel) => this.transport.getFile(remoteJoin(dir, rel), path.join(ref.workdir, rel)));

    const manifest = await fs.promises.readFile(path.join(ref.workdir, JOB_FILES.manifest), 'utf8').catch(() => '');
    const results: string[] = [];
    for (const line of manifest.split('\n')) {
      const [id, file] = line.split('\t');
      if (!id || !file) continue;
      try {
        results.push(relativeInside(file));
      } catch {
        this.logger.warn(`job ${ref.jobId}: result '${id}' names a path outside the work directory, skipped: ${file}`);
      }
    }
    await mapLimit([...new Set(results)], conc, async (rel) => {
      try {
        await this.transport.getFile(remoteJoin(dir, rel), path.join(ref.workdir, rel));
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.logger.warn(`job ${ref.jobId}: result file ${rel} listed in the manifest is missing`);
      }
    });
    this.logger.log(`job ${ref.jobId}: collected ${endFiles.length} end files and ${results.length} results from ${dir}`);
  }

  override async cleanup(ref: ExecRef): Promise<void> {
    if (this.opts.fileMode !== 'sftp') return;
    await this.transport.remove(this.workdirOnCluster(ref.jobId, ref.workdir));
  }

  async close(): Promise<void> {
    if (this.opts.closeTransport !== false) await this.transport.close();
  }
}

function isFinal(state: string): boolean {
  return ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE'].includes(state);
}

/** A relative path that stays inside its directory (no absolute paths, no `..`, no control characters). */
export function relativeInside(p: string): string {
  const n = path.posix.normalize(p);
  if (!p || p.startsWith('/') || n.startsWith('..') || n === '.' || /[\0-\x1f\x7f]/.test(p)) {
    throw new Error(`not a relative path inside the work directory: ${JSON.stringify(p)}`);
  }
  return n;
}

/** Relative paths (POSIX) of the directories and regular files under root; symlinks are not followed. */
async function walkLocal(root: string, skip: (rel: string) => boolean): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await fs.promises.readdir(rel ? path.join(root, rel) : root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      if (e.isDirectory()) {
        dirs.push(r);
        await visit(r);
      } else if (e.isFile()) files.push(r);
    }
  };
  await visit('');
  return { dirs, files };
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

