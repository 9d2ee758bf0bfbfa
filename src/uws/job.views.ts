import type { AppConfig } from '../config/app.config';
import { Caller, ownerIdOf } from '../common/caller';
import { badRequest, notFound } from '../common/domain.error';
import type { JobRecord } from '../persistence/job.entity';
import { JobBrowseQuery, JobBrowseRow, JobRepository } from '../persistence/job.repository';
import type { CollectedResult, JobWorkspace } from '../results/job.workspace';
import { JobEvents } from './job.events';
import { parseJobListFilter, parseWait, QueryParams } from './job-list.filter';
import { ACTIVE_PHASES, JobRefView, JobView, Phase } from './job.model';
import { JobPresenter } from './job.presenter';
import { JobService, single } from './job.service';
import { jobJson } from './uws.json.serializer';
import { jobXml } from './uws.xml.serializer';

/** Read side: job documents, the filtered job list, and blocking (WAIT) reads. */
export class JobViews {
  private readonly rendered = new WeakMap<JobRecord, { xml?: Promise<string>; json?: Promise<string> }>();
  /** Re-reads of a job by the waiters that one phase change woke, keyed by type and id (see waitedJob). */
  private readonly wakeReads = new Map<string, Promise<JobRecord>>();

  constructor(
    private readonly config: AppConfig,
    private readonly repo: JobRepository,
    private readonly jobs: JobService,
    private readonly events: JobEvents,
    readonly presenter: JobPresenter,
    private readonly workspace: JobWorkspace,
  ) {}

  /**
   * One page of the web client's job list over every type (or one): the caller's jobs, or for an
   * administrator everyone's (`owner` narrows it; 'anonymous' means the jobs without owner).
   */
  browse(q: Omit<JobBrowseQuery, 'ownerId' | 'hiddenPhases'> & { owner?: string }, caller: Caller): Promise<JobBrowseRow[]> {
    const { owner, ...rest } = q;
    const ownerId = !caller.admin ? ownerIdOf(caller) : owner === undefined ? undefined : owner === 'anonymous' ? null : owner;
    return this.repo.browse({ ...rest, ownerId, hiddenPhases: ['ARCHIVED'] });
  }

  /** A job by id alone and unchecked: for the web client's event stream, which filters by owner itself. */
  peek(id: string): Promise<JobRecord | null> {
    return this.repo.findById(id);
  }

  /** Where a job's result file is (checked to stay inside the job folder), with its MIME type. */
  async resultFile(rec: JobRecord, rid: string): Promise<{ path: string; mimeType: string; size: number }> {
    const r = (JSON.parse(rec.results) as CollectedResult[]).find((x) => x.id === rid);
    if (!r) throw notFound(`Job '${rec.id}' has no result '${rid}'`);
    const file = await this.workspace.resolveFile(rec.id, r.file);
    if (!file) throw notFound(`The file of result '${rid}' is no longer stored`);
    return { path: file, mimeType: r.mimeType, size: r.size };
  }

  /**
   * The job document as sent, rendered once per record object: the waiters a change wakes share one
   * record (see readAfterWake), so 1,000 answers cost one rendering.
   */
  async document(rec: JobRecord, json: boolean): Promise<string> {
    let cached = this.rendered.get(rec);
    if (!cached) this.rendered.set(rec, (cached = {}));
    const key = json ? 'json' : 'xml';
    cached[key] ??= this.view(rec).then((v) => (json ? JSON.stringify(jobJson(v)) : jobXml(v)));
    return cached[key]!;
  }

  async view(rec: JobRecord): Promise<JobView> {
    const d = rec.phase === 'PENDING' ? await this.jobs.versionDescriptor(rec).catch(() => undefined) : undefined;
    return this.presenter.job(rec, this.jobs.quote(rec, d));
  }

  /**
   * The caller's jobs of one type (an administrator's list holds everyone's, and OWNER= narrows it to one
   * user; OWNER=anonymous means the jobs without owner). For anyone else OWNER= can only narrow to themselves.
   */
  async *list(type: string, query: QueryParams, caller: Caller): AsyncGenerator<JobRefView> {
    const parsed = parseJobListFilter(query);
    if ('error' in parsed) throw badRequest(parsed.error);
    const f = parsed.filter;
    const owner = single(query, 'OWNER');
    const wanted = owner === undefined ? undefined : owner === 'anonymous' ? null : owner;
    let ownerId: string | null | undefined;
    if (caller.admin) ownerId = wanted;
    else if (wanted !== undefined && wanted !== ownerIdOf(caller)) return;
    else ownerId = ownerIdOf(caller);
    const rows = this.repo.list({
      type,
      phases: f.phases,
      afterMs: f.after?.getTime(),
      last: f.last,
      ownerId,
      hiddenPhases: ['ARCHIVED'],
    });
    for await (const row of rows) yield this.presenter.ref(type, row);
  }

  /** Validates WAIT/PHASE before anything else so a bad value is a 400 even for a missing job. */
  parseWait(query: QueryParams): { wait?: number; phase?: Phase } {
    const parsed = parseWait(query);
    if ('error' in parsed) throw badRequest(parsed.error);
    return parsed;
  }

  /**
   * GET with WAIT: blocks only while the job is active and (if PHASE= is given) still in that phase,
   * until the phase changes, the time runs out (capped by WAIT_CAP) or the client goes away.
   */
  async waitedJob(type: string, id: string, w: { wait?: number; phase?: Phase }, abort: AbortSignal, caller: Caller): Promise<JobRecord> {
    if (w.wait === undefined || w.wait === 0 || this.events.waiting() >= this.config.maxWaiters) {
      return this.jobs.find(type, id, caller);
    }
    const seconds = w.wait < 0 ? this.config.waitCap : Math.min(w.wait, this.config.waitCap);
    const sub = this.events.subscribe(id, seconds * 1000, abort);
    try {
      const rec = await this.jobs.find(type, id, caller);
      const phase = rec.phase as Phase;
      if (!ACTIVE_PHASES.includes(phase) || (w.phase !== undefined && w.phase !== phase)) return rec;
      await sub.done;
      // The shared re-read is not owner-checked; each waiter is checked again on the row it gets.
      const after = await this.readAfterWake(type, id);
      this.jobs.checkAccess(after, caller);
      return after;
    } finally {
      sub.cancel();
    }
  }

  /**
   * One read of the job for all the waiters a phase change woke, instead of one each (1,000 waiters were
   * 1,000 identical queries, answered one after another). JobEvents wakes a job's waiters synchronously,
   * so they all resume in the same run of the microtask queue; the shared read is started by the first of
   * them, after the change was stored, and is forgotten at the next tick, so a waiter woken by any later
   * change starts a fresh read and never sees a state older than its own wake-up.
   */
  private readAfterWake(type: string, id: string): Promise<JobRecord> {
    const key = `${type}\n${id}`;
    let read = this.wakeReads.get(key);
    if (!read) {
      read = this.jobs.load(type, id);
      this.wakeReads.set(key, read);
      process.nextTick(() => this.wakeReads.delete(key));
    }
    return read;
  }
}
