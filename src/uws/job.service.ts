import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import type { AppConfig } from '../config/app.config';
import { Clock } from '../common/clock';
import { Caller, ownerIdOf } from '../common/caller';
import { badRequest, DomainError, forbidden, illegalPhase, notFound } from '../common/domain.error';
import { IdGenerator } from '../common/id.generator';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import { validateParameters } from '../parameters/parameter.validator';
import { takeResourceOverrides } from './resource.overrides';
import type { JobRecord } from '../persistence/job.entity';
import { JobRepository } from '../persistence/job.repository';
import { PluginCatalogue, PluginVersion } from '../plugins/plugin.catalogue';
import { JobWorkspace } from '../results/job.workspace';
import { QueryParams } from './job-list.filter';
import { ACTIVE_PHASES, Phase } from './job.model';
import type { StoredParameters } from './job.presenter';
import { JobRunner } from './job.runner';
import { JobStateService } from './job-state.service';
import { parseUwsInstant } from './uws-time';
import type { UploadedFile } from './upload.names';
import { attachUploads } from './job.uploads';
import { dropEmptyNonStrings, jobParams, refuseInvalid, runIdOf, single } from './request.params';

// The request-parsing helpers moved to request.params.ts; importers of job.service keep finding these here.
export { CONTROL_NAMES, jobParams, single } from './request.params';

/** Creates jobs and changes their settings; running and stopping them is the runner's. */
export class JobService {
  private readonly logger = new Logger('Jobs');
  private readonly savedVersions = new Set<string>();
  /** Per owner, the tail of the creations being admitted: the active-job count and the insert are not interleaved. */
  private readonly admissions = new Map<string, Promise<void>>();

  constructor(
    private readonly config: AppConfig,
    private readonly repo: JobRepository,
    private readonly catalogue: PluginCatalogue,
    private readonly workspace: JobWorkspace,
    private readonly state: JobStateService,
    private readonly runner: JobRunner,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  availableVersion(type: string): PluginVersion {
    const entry = this.catalogue.get(type);
    if (!entry) throw notFound(`No job type '${type}'`);
    if (this.catalogue.isDisabled(type)) throw new DomainError('UNAVAILABLE', `Job type '${type}' is unavailable: disabled by an administrator`);
    if (!entry.available || !entry.version) {
      const why = entry.messages.find((m) => m.severity === 'error')?.message ?? 'broken plugin';
      throw new DomainError('UNAVAILABLE', `Job type '${type}' is unavailable: ${why}`);
    }
    return entry.version;
  }

  ensureKnownType(type: string): void {
    if (!this.catalogue.get(type)) throw notFound(`No job type '${type}'`);
  }

  /**
   * The job, checked to belong to `type` (a job id under another type's list is not found) and to the
   * caller (403 for anyone else's job, unless the caller is an administrator).
   */
  async find(type: string, id: string, caller: Caller): Promise<JobRecord> {
    const rec = await this.load(type, id);
    this.checkAccess(rec, caller);
    return rec;
  }

  /** The job without the owner check: only for a caller already checked (WAIT's re-read after a wake-up). */
  async load(type: string, id: string): Promise<JobRecord> {
    const rec = await this.repo.findById(id);
    if (!rec || rec.type !== type) throw notFound(`No job '${id}' in job list '${type}'`);
    return rec;
  }

  checkAccess(rec: JobRecord, caller: Caller): void {
    if (!caller.admin && (rec.ownerId ?? null) !== ownerIdOf(caller)) throw forbidden(`Job '${rec.id}' is not your job`);
  }

  async create(type: string, params: QueryParams, uploads: UploadedFile[], caller: Caller): Promise<JobRecord> {
    try {
      const version = this.availableVersion(type);
      const d = version.descriptor;
      const phase = single(params, 'PHASE');
      if (phase !== undefined && phase.toUpperCase() !== 'RUN') {
        throw badRequest(`PHASE on creation may only be RUN, got '${phase}'`);
      }
      const raw = dropEmptyNonStrings(d, jobParams(params));
      const fileNames = attachUploads(d, raw, uploads);
      const resources = takeResourceOverrides(d, raw);
      const outcome = validateParameters(d, raw);
      refuseInvalid(outcome, resources.errors);
      const now = this.clock.now().getTime();
      const duration = this.clampDuration(d, single(params, 'EXECUTIONDURATION'));
      const destruction = this.destructionFrom(single(params, 'DESTRUCTION'), now);
      const runId = runIdOf(params);
      const rec: JobRecord = {
        id: this.ids.jobId(),
        type,
        runId: runId ?? null,
        ownerId: ownerIdOf(caller),
        phase: 'PENDING',
        creationTime: now,
        startTime: null,
        endTime: null,
        executionDuration: duration,
        destruction,
        quote: null,
        errorType: null,
        errorMessage: null,
        errorDetail: null,
        externalRef: null,
        pluginHash: version.hash,
        parameters: JSON.stringify({ values: outcome.values, resources: resources.choice } satisfies StoredParameters),
        results: '[]',
        jobInfo: null,
      };
      await this.rememberVersion(version);
      await this.insertWithinLimit(rec, caller);
      for (const u of uploads) {
        const name = fileNames.get(u);
        if (name) await this.workspace.adoptUpload(rec.id, u.path, name);
      }
      this.logger.log(`job ${rec.id}: created (${type})`);
      if (phase !== undefined) await this.runner.run(rec);
      return rec;
    } finally {
      // Uploads not adopted (validation failed, or a field that is no file parameter) are not kept.
      await Promise.all(uploads.map((u) => fs.promises.rm(u.path, { force: true })));
    }
  }

  /**
   * Stores the job unless a signed-in caller already has their maximum of active jobs (403). Anonymous jobs
   * are not limited. A user's creations are admitted one after another, so concurrent requests cannot
   * overshoot the limit (within this server process).
   */
  private insertWithinLimit(rec: JobRecord, caller: Caller): Promise<void> {
    const owner = ownerIdOf(caller);
    if (owner === null) return this.repo.insert(rec);
    const limit = caller.maxActiveJobs ?? this.config.maxActiveJobsPerUser;
    const admitted = (this.admissions.get(owner) ?? Promise.resolve()).then(async () => {
      const active = await this.repo.countOwned(owner, [...ACTIVE_PHASES]);
      if (active >= limit) {
        throw forbidden(`You have ${active} active jobs (PENDING, QUEUED or EXECUTING); at most ${limit} are allowed: let some finish, abort or delete them first`);
      }
      await this.repo.insert(rec);
    });
    const tail = admitted.catch(() => undefined);
    this.admissions.set(owner, tail);
    void tail.then(() => {
      if (this.admissions.get(owner) === tail) this.admissions.delete(owner);
    });
    return admitted;
  }

  private async rememberVersion(v: PluginVersion): Promise<void> {
    if (this.savedVersions.has(v.hash)) return;
    await this.repo.savePluginVersion({
      hash: v.hash,
      type: v.type,
      descriptor: JSON.stringify(v.descriptor),
      template: v.template,
      createdAt: this.clock.now().getTime(),
    });
    this.savedVersions.add(v.hash);
  }

  clampDuration(d: JobDescriptor, text: string | undefined): number {
    // A WADL maximum of 0 means the WADL sets no limit of its own.
    const max = Math.min(this.config.maxExecutionDuration, d.executionDuration.max || Number.MAX_SAFE_INTEGER);
    if (text === undefined) return Math.min(d.executionDuration.default ?? this.config.defaultExecutionDuration, max);
    if (!/^\s*\d+\s*$/.test(text)) {
      throw badRequest(`EXECUTIONDURATION must be a whole number of seconds >= 0, got '${text}'`);
    }
    const v = Number(text);
    // 0 asks for "unlimited"; this service always has a maximum, which is what the job gets.
    return v === 0 || v > max ? max : v;
  }

  private destructionFrom(text: string | undefined, now: number): number {
    if (text === undefined) return now + this.config.defaultDestructionInterval * 1000;
    const d = parseUwsInstant(text.trim());
    if (!d) throw badRequest(`DESTRUCTION must be an ISO 8601 instant such as 2030-01-01T00:00:00Z, got '${text}'`);
    if (d.getTime() <= now) throw badRequest(`DESTRUCTION '${text}' is in the past`);
    return d.getTime();
  }

  async setDestruction(rec: JobRecord, params: QueryParams): Promise<void> {
    const text = single(params, 'DESTRUCTION');
    if (text === undefined) throw badRequest('DESTRUCTION is missing');
    if (rec.phase === 'ARCHIVED') throw illegalPhase('The job is ARCHIVED; its destruction time is past');
    const ms = this.destructionFrom(text, this.clock.now().getTime());
    await this.repo.update(rec.id, { destruction: ms });
    this.logger.log(`job ${rec.id}: destruction set to ${new Date(ms).toISOString()}`);
  }

  async setExecutionDuration(rec: JobRecord, params: QueryParams): Promise<void> {
    const text = single(params, 'EXECUTIONDURATION');
    if (text === undefined) throw badRequest('EXECUTIONDURATION is missing');
    const version = this.versionDescriptor(rec);
    const value = this.clampDuration(await version, text);
    if (!(await this.repo.updateIfPhase(rec.id, ['PENDING'], { executionDuration: value }))) {
      throw illegalPhase(`EXECUTIONDURATION can only be changed while the job is PENDING (it is ${rec.phase})`);
    }
    this.logger.log(`job ${rec.id}: execution duration set to ${value} s`);
  }

  /** Parameter update while PENDING: only declared parameters, validated like at creation. */
  async updateParameters(rec: JobRecord, params: QueryParams): Promise<void> {
    if (rec.phase !== 'PENDING') {
      throw illegalPhase(`Parameters can only be changed while the job is PENDING (it is ${rec.phase})`);
    }
    const runId = runIdOf(params);
    const d = await this.versionDescriptor(rec);
    const raw = dropEmptyNonStrings(d, jobParams(params));
    const stored = JSON.parse(rec.parameters) as StoredParameters;
    const previous = stored.values;
    const resources = takeResourceOverrides(d, raw);
    for (const name of Object.keys(raw)) {
      const p = d.parameters.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (p?.type === 'file') throw badRequest(`${p.name}: a file parameter is changed by uploading a new file`);
    }
    const outcome = validateParameters(d, raw, { partial: true, previous });
    refuseInvalid(outcome, resources.errors);
    const merged = { ...stored.resources, ...resources.choice };
    const patch = { parameters: JSON.stringify({ values: outcome.values, resources: merged } satisfies StoredParameters), ...(runId !== undefined ? { runId } : {}) };
    if (!(await this.repo.updateIfPhase(rec.id, ['PENDING'], patch))) {
      throw illegalPhase('Parameters can only be changed while the job is PENDING');
    }
    this.logger.log(`job ${rec.id}: parameters updated`);
  }

  async versionDescriptor(rec: JobRecord): Promise<JobDescriptor> {
    return (await this.runner.versionOf(rec)).descriptor;
  }

  /** DELETE / ACTION=DELETE: stop it if it runs, then forget it (or archive it, when so configured). */
  async destroy(rec: JobRecord, reason: string): Promise<void> {
    await this.runner.stopForDestruction(rec);
    await this.workspace.remove(rec.id);
    if (this.config.destructionMode === 'archive') {
      await this.state.apply(rec.id, 'ARCHIVE', { results: '[]' }, reason);
    } else {
      await this.repo.delete(rec.id);
      this.state.forget(rec.id);
      this.logger.log(`job ${rec.id}: destroyed (${reason})`);
    }
  }

  /** Predicted completion: now (or the run request) + start-up cost + the duration estimate. */
  quote(rec: JobRecord, d: JobDescriptor | undefined): Date | undefined {
    const estimate = this.config.startupCostSeconds + (d?.quote ?? rec.executionDuration);
    if (rec.phase === 'PENDING') return new Date(this.clock.now().getTime() + estimate * 1000);
    return rec.quote ? new Date(Number(rec.quote)) : undefined;
  }

  ensurePhase(rec: JobRecord, allowed: Phase[], what: string): void {
    if (!allowed.includes(rec.phase as Phase)) throw illegalPhase(`${what} is not allowed while the job is ${rec.phase}`);
  }
}
