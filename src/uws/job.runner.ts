import { Logger } from '@nestjs/common';
import * as path from 'node:path';
import type { AppConfig } from '../config/app.config';
import { Clock } from '../common/clock';
import { illegalPhase } from '../common/domain.error';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import { ExecRef, ExecStatus, ExecutionListener, JobManager, SchedulerResources } from '../execution/job-manager.port';
import { JOB_FILES } from '../execution/job-files';
import type { JobRecord } from '../persistence/job.entity';
import { JobPatch, JobRepository } from '../persistence/job.repository';
import { PluginVersionStore } from './plugin-version.store';
import { JobWorkspace } from '../results/job.workspace';
import { scriptContext, TemplateValue } from '../rendering/script.renderer';
import { WrapperRenderer } from '../rendering/wrapper.renderer';
import type { StoredParameters } from './job.presenter';
import { JobStateService } from './job-state.service';
import { JobTokens } from './job-token';
import { FINAL_PHASES, Phase } from './job.model';

/** Starts, stops and follows jobs through the JobManager port; turns its reports into phase changes. */
export class JobRunner implements ExecutionListener {
  private readonly logger = new Logger('JobRunner');
  /** Reports for one job are handled one after another, in arrival order. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Jobs whose submit() is under way: QUEUED without an external ref, yet not to be submitted again. */
  private readonly submitting = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly repo: JobRepository,
    private readonly versions: PluginVersionStore,
    private readonly workspace: JobWorkspace,
    private readonly state: JobStateService,
    private readonly manager: JobManager,
    private readonly wrapper: WrapperRenderer,
    private readonly clock: Clock,
    private readonly tokens: JobTokens,
  ) {
    manager.setListener(this);
  }

  versionOf(rec: JobRecord) {
    return this.versions.get(rec.pluginHash);
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** PHASE=RUN. */
  async run(rec: JobRecord): Promise<void> {
    const v = await this.versionOf(rec);
    const estimate = this.config.startupCostSeconds + (v.descriptor.quote ?? rec.executionDuration);
    // Marked before the phase says QUEUED: a reconciler pass must not take it for a lost submission.
    const mine = !this.submitting.has(rec.id);
    this.submitting.add(rec.id);
    let applied: Phase | undefined;
    try {
      applied = await this.state.apply(rec.id, 'RUN', { quote: this.now() + estimate * 1000 }, 'run requested');
    } finally {
      if (!applied && mine) this.submitting.delete(rec.id);
    }
    if (!applied) throw illegalPhase(`PHASE=RUN is not allowed while the job is ${rec.phase}`);
    // Run what is stored now: a parameter update may have landed between the request's read and RUN.
    const fresh = (await this.repo.findById(rec.id)) ?? rec;
    // RUN on a HELD job: the scheduler still holds the first submission; withdraw it before submitting anew.
    if (rec.phase === 'HELD' && fresh.externalRef) await this.cancelExecution(fresh);
    await this.submit(fresh);
  }

  /** Renders and hands the job to the manager; a failure here ends the job in ERROR, not the request in 500. */
  private async submit(rec: JobRecord, resubmission = false): Promise<void> {
    this.submitting.add(rec.id);
    try {
      const v = await this.versionOf(rec);
      const d = v.descriptor;
      const workdir = await this.workspace.create(rec.id);
      const stored = JSON.parse(rec.parameters) as StoredParameters;
      const results = Object.fromEntries(d.results.map((r) => [r.id, r.file]));
      const plugindir = path.join(this.config.pluginsDir, rec.type);
      await this.workspace.stagePayload(rec.id, plugindir, [`${rec.type}.wadl`, `${rec.type}.sh.hbs`]);
      // The job sees its own copy of the payload, in its work directory, wherever it runs.
      const jobDir = this.manager.workdirOnCluster?.(rec.id, workdir) ?? workdir;
      const ctx = { id: rec.id, workdir: jobDir, plugindir: jobDir, results };
      const body = v.compiled(scriptContext(templateValues(d, stored), ctx));
      const callbacks = this.manager.reportsByCallback === true;
      const resources = schedulerResources(rec, d);
      const script = this.wrapper.render({
        jobId: rec.id,
        workdir: jobDir,
        callbackUrl: callbacks ? `${this.config.callbackBaseUrl}/callbacks/job-event` : undefined,
        token: callbacks ? this.tokens.tokenFor(rec.id) : undefined,
        results: d.results.map((r) => ({ id: r.id, pattern: r.file })),
        sbatch: this.manager.directives?.(resources) ?? [],
      });
      // The scheduler's own start estimate, asked alongside the submission, refines the quote.
      const estimate = this.manager.estimateStart?.(resources).catch(() => undefined);
      const ref = await this.manager.submit({
        jobId: rec.id,
        script,
        workdir,
        durationSeconds: rec.executionDuration,
        files: [{ path: JOB_FILES.body, content: body }],
        resubmission,
      });
      const startAt = await estimate;
      const quote = startAt !== undefined ? { quote: startAt + rec.executionDuration * 1000 } : {};
      await this.repo.update(rec.id, { externalRef: ref, jobInfo: JSON.stringify({ manager: this.manager.name, externalId: ref }), ...quote });
      this.logger.log(`job ${rec.id}: submitted to ${this.manager.name} as ${ref}`);
      // An ABORT that came while the job was being submitted found no external ref to cancel: cancel it now.
      const now = await this.repo.findById(rec.id);
      if (!now) {
        // Destroyed while being submitted: nobody else will ever stop this run or remove its files.
        this.logger.log(`job ${rec.id}: destroyed while it was being submitted; cancelling ${ref}`);
        const orphan = { ...this.refOf(rec), externalId: ref };
        await this.manager.cancel(orphan).catch(() => undefined);
        await this.manager.cleanup?.(orphan).catch(() => undefined);
        await this.workspace.remove(rec.id);
      } else if (FINAL_PHASES.includes(now.phase as Phase)) {
        this.logger.log(`job ${rec.id}: ${now.phase} while it was being submitted; cancelling ${ref}`);
        await this.cancelExecution(now);
      }
    } catch (e) {
      const message = `The job could not be started: ${(e as Error).message}`;
      this.logger.error(`job ${rec.id}: ${message}`);
      await this.state.apply(rec.id, 'FAIL', { errorType: 'fatal', errorMessage: message, endTime: this.now() });
    } finally {
      this.submitting.delete(rec.id);
    }
  }

  /** PHASE=ABORT. */
  async abort(rec: JobRecord): Promise<void> {
    const applied = await this.state.apply(rec.id, 'ABORT', { endTime: this.now() }, 'abort requested');
    if (!applied) throw illegalPhase(`PHASE=ABORT is not allowed while the job is ${rec.phase}`);
    await this.cancelExecution(rec);
  }

  /** Before a job is destroyed: stop it if it runs, and remove what it left on the execution side. */
  async stopForDestruction(rec: JobRecord): Promise<void> {
    if (!FINAL_PHASES.includes(rec.phase as Phase)) {
      await this.state.apply(rec.id, 'ABORT', { endTime: this.now() }, 'destroyed');
      await this.cancelExecution(rec);
    }
    const fresh = (await this.repo.findById(rec.id)) ?? rec;
    if (fresh.externalRef && this.manager.cleanup) {
      await this.manager.cleanup(this.refOf(fresh)).catch((e) => this.logger.warn(`job ${rec.id}: cleanup failed: ${(e as Error).message}`));
    }
  }

  private async cancelExecution(rec: JobRecord): Promise<void> {
    const fresh = (await this.repo.findById(rec.id)) ?? rec;
    if (!fresh.externalRef) return;
    await this.manager.cancel(this.refOf(fresh)).catch((e) => this.logger.error(`job ${rec.id}: cancel failed: ${(e as Error).message}`));
  }

  private refOf(rec: JobRecord): ExecRef {
    return {
      jobId: rec.id,
      externalId: rec.externalRef ?? '',
      workdir: this.workspace.dirFor(rec.id),
      startedAt: rec.startTime ? Number(rec.startTime) : undefined,
      durationSeconds: rec.executionDuration,
    };
  }

  onStatus(jobId: string, status: ExecStatus): void {
    const prev = this.chains.get(jobId) ?? Promise.resolve();
    const next = prev
      .then(() => this.handle(jobId, status))
      .catch((e) => this.logger.error(`job ${jobId}: report ${status.state} failed: ${(e as Error).message}`))
      .finally(() => {
        if (this.chains.get(jobId) === next) this.chains.delete(jobId);
      });
    this.chains.set(jobId, next);
  }

  private async handle(jobId: string, s: ExecStatus): Promise<void> {
    const rec = await this.repo.findById(jobId);
    if (!rec) return;
    const at = s.at ?? this.now();
    const ended = (extra: JobPatch): JobPatch => ({ endTime: at, ...(rec.startTime ? {} : { startTime: at }), ...extra });
    switch (s.state) {
      case 'queued':
      case 'lost':
        return;
      case 'running':
        await this.state.apply(jobId, 'START', { startTime: at }, 'running');
        return;
      case 'held':
        await this.state.apply(jobId, 'HOLD', {}, s.message ?? 'held');
        return;
      case 'suspended':
        await this.state.apply(jobId, 'SUSPEND', {}, s.message ?? 'suspended');
        return;
    }
    if (this.manager.collect) await this.fetchFiles(rec);
    const results = JSON.stringify(await this.collect(rec));
    let applied: Phase | undefined;
    if (s.state === 'completed') {
      applied = await this.state.apply(jobId, 'COMPLETE', ended({ results }), 'exit code 0');
    } else if (s.state === 'failed') {
      const message = storable(s.message) ?? `The job exited with code ${s.exitCode}`;
      const tail = storable(s.stderrTail);
      const detail = [`${message}.`, tail ? `Last lines of stderr:\n${tail}` : ''].filter(Boolean).join('\n\n');
      applied = await this.state.apply(jobId, 'FAIL', ended({ results, errorType: 'fatal', errorMessage: message, errorDetail: detail }), message);
    } else {
      const message = storable(s.message) ?? 'aborted';
      const error: JobPatch = s.state === 'timeout' ? { errorType: 'fatal', errorMessage: message, errorDetail: message } : {};
      applied = await this.state.apply(jobId, 'ABORT', ended({ results, ...error }), message);
    }
    // An abort by the user already set ABORTED; the files produced so far are still worth listing.
    if (!applied) await this.repo.updateIfPhase(jobId, ['ABORTED'], { results });
  }

  /** Brings an ended job's files back, retrying a few times: a connection outage must not lose results. */
  private async fetchFiles(rec: JobRecord): Promise<void> {
    const delays = [0, 2000, 10000, 30000];
    for (const [i, delay] of delays.entries()) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      try {
        await this.manager.collect!(this.refOf(rec));
        return;
      } catch (e) {
        const last = i === delays.length - 1;
        this.logger.warn(`job ${rec.id}: fetching its files failed${last ? ', giving up' : ', will retry'}: ${(e as Error).message}`);
      }
    }
  }

  private async collect(rec: JobRecord) {
    const d = (await this.versionOf(rec)).descriptor;
    return this.workspace.collect(rec.id, (id) => d.results.find((r) => r.id === id)?.mediaType);
  }

  /**
   * The wrapper says it was stopped by a signal it did not ask for: the scheduler's time limit, a
   * cancellation or a preemption. Near the job's limit, the limit is the likely cause; the reconciler's
   * scheduler query refines this when the scheduler still knows the job.
   */
  stoppedByScheduler(rec: JobRecord): ExecStatus {
    const ran = rec.startTime ? (this.now() - Number(rec.startTime)) / 1000 : 0;
    if (rec.executionDuration > 0 && ran >= rec.executionDuration - 5) {
      return { state: 'timeout', message: `execution duration exceeded: the job was stopped after its limit of ${rec.executionDuration} s` };
    }
    return { state: 'cancelled', message: 'The job was stopped by the scheduler (cancelled or preempted)' };
  }

  /** At start-up and periodically: asks the manager about every active job in one call. */
  async reconcile(): Promise<void> {
    const active = await this.repo.findByPhases(['QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED', 'UNKNOWN']);
    if (active.length === 0) return;
    const withRef = active.filter((r) => r.externalRef);
    const statuses = await this.manager.poll(withRef.map((r) => this.refOf(r)));
    for (const rec of active) {
      const s = statuses.get(rec.id);
      const neverStarted = rec.phase === 'QUEUED' && !rec.startTime;
      if (!s || s.state === 'lost') {
        if (neverStarted) {
          if (!rec.externalRef) {
            // `rec` was read before the poll: its submission may be under way in this process, or done by now.
            const fresh = this.submitting.has(rec.id) ? undefined : await this.repo.findById(rec.id);
            if (!fresh || fresh.externalRef || fresh.phase !== 'QUEUED' || this.submitting.has(rec.id)) continue;
          }
          this.logger.log(`job ${rec.id}: queued but not held by the manager; submitting again`);
          await this.submit(rec, true);
        } else if (s) {
          const message = s.message ?? 'The job was lost by the execution manager';
          await this.state.apply(rec.id, 'FAIL', { errorType: 'fatal', errorMessage: message, endTime: this.now() }, message);
        }
        continue;
      }
      if (s.state === 'queued') continue;
      if (s.state === 'running' && rec.phase === 'EXECUTING') continue;
      this.onStatus(rec.id, s);
    }
    await Promise.all([...this.chains.values()]);
  }
}

/**
 * Text from a job's own output (its stderr tail, a manager's message) with any NUL byte replaced: no database
 * text column takes one (PostgreSQL refuses the statement, SQLite cuts it short), and a refused update would
 * leave the job EXECUTING for ever, its every report failing the same way.
 */
export function storable(text: string | undefined): string | undefined {
  return text?.replace(/\u0000/g, '\ufffd');
}

/** Every declared parameter, so strict templates can name optional ones; file values become staged paths. */
export function templateValues(d: JobDescriptor, stored: StoredParameters): TemplateValue[] {
  return d.parameters.map((p) => {
    const v = stored.values.find((x) => x.name === p.name);
    const text = (v?.text ?? []).map((t) => (p.type === 'file' ? `inputs/${t}` : t));
    return { name: p.name, type: p.type, repeating: p.repeating, values: v?.values ?? [], text };
  });
}



/** The scheduler resources a job asks for: the user's choices, else the job type's declared defaults. */
export function schedulerResources(rec: JobRecord, d: JobDescriptor): SchedulerResources {
  const num = (v: number | string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const r = d.resources;
  const chosen = (JSON.parse(rec.parameters) as StoredParameters).resources ?? {};
  return {
    jobName: rec.id,
    durationSeconds: rec.executionDuration,
    cpus: chosen.cpus ?? num(r.cpus?.default),
    memoryMB: chosen.memoryMB ?? num(r.memory?.default),
    partition: chosen.partition ?? (r.partition?.default !== undefined ? String(r.partition.default) : undefined),
  };
}
