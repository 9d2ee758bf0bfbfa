import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExecRef, ExecStatus, ExecutionListener, JobManager, JobSpec } from '../job-manager.port';
import { JOB_FILES } from '../job-files';
import { ProcessRunner } from './process.runner';
import { readTail } from './file.tail';

interface Running {
  pid: number;
  workdir: string;
  startedAt: number;
  timer?: NodeJS.Timeout;
  stopReason?: 'cancelled' | 'timeout';
  durationSeconds: number;
}

export interface LocalManagerOptions {
  maxConcurrent: number;
  /** The manager's own folder for pid records, out of the jobs' reach (a job could rewrite its .uws/pid). */
  stateDir: string;
  killGraceSeconds: number;
}

/**
 * Runs each job as a local bash process in its own process group, at most `maxConcurrent` at once; the
 * rest wait in a FIFO. Stops (abort, duration limit) signal the whole group: TERM, then KILL after a grace.
 */
export class LocalJobManager extends JobManager {
  readonly name = 'local';
  private readonly logger = new Logger('LocalManager');
  private listener?: ExecutionListener;
  private readonly queue: JobSpec[] = [];
  private readonly running = new Map<string, Running>();
  /** Jobs found still running after a restart: they hold a slot and are watched until their group ends. */
  private readonly adopted = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly opts: LocalManagerOptions,
  ) {
    super();
  }

  setListener(listener: ExecutionListener): void {
    this.listener = listener;
  }

  async submit(spec: JobSpec): Promise<string> {
    await fs.promises.mkdir(path.join(spec.workdir, JOB_FILES.dir), { recursive: true });
    for (const f of spec.files) {
      const target = path.join(spec.workdir, f.path);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.writeFile(target, f.content, { mode: 0o700 });
    }
    await fs.promises.writeFile(path.join(spec.workdir, JOB_FILES.wrapper), spec.script, { mode: 0o700 });
    this.queue.push(spec);
    this.pump();
    return `local:${spec.jobId}`;
  }

  private pump(): void {
    while (!this.closed && this.running.size + this.adopted.size < this.opts.maxConcurrent && this.queue.length > 0) {
      const spec = this.queue.shift()!;
      this.start(spec);
    }
  }

  private start(spec: JobSpec): void {
    const proc = this.runner.start(
      path.join(spec.workdir, JOB_FILES.wrapper),
      spec.workdir,
      path.join(spec.workdir, JOB_FILES.log),
    );
    const entry: Running = {
      pid: proc.pid,
      workdir: spec.workdir,
      startedAt: Date.now(),
      durationSeconds: spec.durationSeconds,
    };
    this.running.set(spec.jobId, entry);
    fs.writeFileSync(path.join(spec.workdir, JOB_FILES.pid), `${proc.pid}\n${entry.startedAt}\n`);
    // The trusted record: pid plus the kernel's start time of that process, so a reused pid is never signalled.
    fs.mkdirSync(this.opts.stateDir, { recursive: true });
    fs.writeFileSync(path.join(this.opts.stateDir, `${spec.jobId}.pid`), `${proc.pid} ${processStart(proc.pid) ?? ''}\n`);
    if (spec.durationSeconds > 0) {
      entry.timer = setTimeout(() => void this.stop(spec.jobId, 'timeout'), spec.durationSeconds * 1000);
      entry.timer.unref();
    }
    this.logger.log(`job ${spec.jobId}: started pid ${proc.pid}`);
    this.emit(spec.jobId, { state: 'running', at: entry.startedAt });
    void proc.exited.then((code) => this.finished(spec.jobId, entry, code));
  }

  private async finished(jobId: string, entry: Running, code: number): Promise<void> {
    if (entry.timer) clearTimeout(entry.timer);
    this.running.delete(jobId);
    await fs.promises.rm(path.join(this.opts.stateDir, `${jobId}.pid`), { force: true });
    this.logger.log(`job ${jobId}: pid ${entry.pid} exited with ${code}${entry.stopReason ? ` (${entry.stopReason})` : ''}`);
    this.emit(jobId, await this.endStatus(entry.workdir, code, entry.stopReason, entry.durationSeconds));
    this.pump();
  }

  private async endStatus(
    workdir: string,
    code: number,
    stopReason: Running['stopReason'],
    durationSeconds: number,
  ): Promise<ExecStatus> {
    const at = Date.now();
    if (stopReason === 'timeout') {
      return { state: 'timeout', exitCode: code, at, message: `execution duration exceeded: the job was stopped after its limit of ${durationSeconds} s` };
    }
    if (stopReason === 'cancelled') return { state: 'cancelled', exitCode: code, at, message: 'aborted' };
    if (code === 0) return { state: 'completed', exitCode: 0, at };
    const stderrTail = await readTail(path.join(workdir, JOB_FILES.stderr), 2048);
    return { state: 'failed', exitCode: code, at, stderrTail, message: `the job exited with code ${code}` };
  }

  async cancel(ref: ExecRef): Promise<void> {
    const queued = this.queue.findIndex((s) => s.jobId === ref.jobId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      return;
    }
    if (this.running.has(ref.jobId)) {
      await this.stop(ref.jobId, 'cancelled');
      return;
    }
    // Not ours (started before a restart): signal the recorded group directly.
    const pid = await this.recordedPid(ref.jobId);
    if (pid && this.runner.isAlive(pid)) await this.killGroup(pid);
    this.release(ref.jobId);
  }

  private async stop(jobId: string, reason: 'cancelled' | 'timeout'): Promise<void> {
    const entry = this.running.get(jobId);
    if (!entry) return;
    entry.stopReason ??= reason;
    this.logger.log(`job ${jobId}: stopping pid ${entry.pid} (${reason})`);
    await this.killGroup(entry.pid);
  }

  private async killGroup(pid: number): Promise<void> {
    if (!this.runner.signalGroup(pid, 'SIGTERM')) return;
    const deadline = Date.now() + this.opts.killGraceSeconds * 1000;
    while (Date.now() < deadline && this.runner.isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
    if (this.runner.isAlive(pid)) this.runner.signalGroup(pid, 'SIGKILL');
  }

  async poll(refs: ExecRef[]): Promise<Map<string, ExecStatus>> {
    const out = new Map<string, ExecStatus>();
    for (const ref of refs) out.set(ref.jobId, await this.pollOne(ref));
    return out;
  }

  private async pollOne(ref: ExecRef): Promise<ExecStatus> {
    if (this.queue.some((s) => s.jobId === ref.jobId)) return { state: 'queued' };
    if (this.running.has(ref.jobId)) return { state: 'running' };
    const exit = await fs.promises.readFile(path.join(ref.workdir, JOB_FILES.exit), 'utf8').catch(() => undefined);
    if (exit !== undefined && /^\d+/.test(exit.trim())) {
      // The end is stamped before the slot is given to the next job.
      const status = await this.endStatus(ref.workdir, parseInt(exit, 10), undefined, ref.durationSeconds);
      this.release(ref.jobId);
      return status;
    }
    const pid = await this.recordedPid(ref.jobId);
    if (pid && this.runner.isAlive(pid)) {
      const started = ref.startedAt ?? Date.now();
      if (ref.durationSeconds > 0 && Date.now() - started > ref.durationSeconds * 1000) {
        await this.killGroup(pid);
        const status = await this.endStatus(ref.workdir, 143, 'timeout', ref.durationSeconds);
        this.release(ref.jobId);
        return status;
      }
      this.adopt(ref, pid);
      return { state: 'running' };
    }
    this.release(ref.jobId);
    return { state: 'lost', message: 'the job process is gone and left no exit status (server restart?)' };
  }

  /** Counts a job started before a restart against the limit; reports its end as soon as its group is gone. */
  private adopt(ref: ExecRef, pid: number): void {
    if (this.adopted.has(ref.jobId) || this.closed) return;
    const timer = setInterval(() => {
      if (this.runner.isAlive(pid)) return;
      clearInterval(timer);
      // pollOne reads the exit status and frees the slot.
      void this.pollOne(ref).then((s) => this.emit(ref.jobId, s));
    }, 500);
    timer.unref();
    this.adopted.set(ref.jobId, timer);
    this.logger.log(`job ${ref.jobId}: adopted running pid ${pid}`);
  }

  private release(jobId: string): void {
    const timer = this.adopted.get(jobId);
    if (!timer) return;
    clearInterval(timer);
    this.adopted.delete(jobId);
    this.pump();
  }

  private async recordedPid(jobId: string): Promise<number | undefined> {
    const text = await fs.promises.readFile(path.join(this.opts.stateDir, `${jobId}.pid`), 'utf8').catch(() => '');
    const [pidText, start] = text.trim().split(' ');
    const pid = parseInt(pidText ?? '', 10);
    // Never a group leader we did not start: not init, not a pid since reused by another process.
    if (!Number.isFinite(pid) || pid <= 1) return undefined;
    if (start && processStart(pid) !== start) return undefined;
    return pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) if (r.timer) clearTimeout(r.timer);
    for (const t of this.adopted.values()) clearInterval(t);
    this.adopted.clear();
  }

  private emit(jobId: string, status: ExecStatus): void {
    this.listener?.onStatus(jobId, status);
  }
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or undefined off Linux or if gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
