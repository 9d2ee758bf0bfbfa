import { EntityManager, FilterQuery, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { JobRecord, PluginVersionRecord } from './job.entity';
import { JobListQuery, JobRefRow, ListCursor, REF_FIELDS } from './job.query';
import { SqliteFastPath } from './sqlite.fast-path';

export type { JobListQuery, JobRefRow } from './job.query';

/** One page of the web client's job list: any type or one, either order, after a keyset cursor. */
export interface JobBrowseQuery {
  type?: string;
  phases?: string[];
  hiddenPhases: string[];
  /** As in JobListQuery: undefined for everyone's jobs. */
  ownerId?: string | null;
  /** Rows strictly after this (creation time, id) in the chosen order. */
  cursor?: ListCursor;
  oldestFirst?: boolean;
  limit: number;
}

export type JobBrowseRow = Pick<JobRecord, 'id' | 'type' | 'phase' | 'runId' | 'ownerId' | 'creationTime' | 'startTime' | 'endTime'>;

export type JobPatch = Partial<Omit<JobRecord, 'id' | 'type' | 'creationTime' | 'pluginHash'>>;

/** Rows the job list reads per query: a bounded page, so the list never sits whole in memory. */
const LIST_BATCH = 500;

/**
 * Every database access of the job service. Native queries (no unit of work) keep the hot paths cheap;
 * phase changes are conditional updates so a callback and a poll cannot overwrite each other.
 *
 * On SQLite the three hottest paths (insert, read by id, list pages) go through SqliteFastPath, which
 * runs their SQL on the pooled connection itself (see there why); on any other database they go through
 * MikroORM.
 */
export class JobRepository {
  /** Found on first use: undefined not yet looked for, null not SQLite. */
  private fastPath?: SqliteFastPath | null;

  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork({ clear: true, useContext: false });
  }

  /** The SQLite fast path, or undefined on another database. */
  private sqlite(): SqliteFastPath | undefined {
    if (this.fastPath === undefined) this.fastPath = SqliteFastPath.for(this.orm) ?? null;
    return this.fastPath ?? undefined;
  }

  /** On SQLite, concurrent inserts are written together as one multi-row INSERT (see SqliteFastPath.insert). */
  async insert(rec: JobRecord): Promise<void> {
    const fast = this.sqlite();
    if (fast) {
      await fast.insert(rec);
      return;
    }
    // PostgreSQL (or any other driver): through MikroORM, as before.
    await this.em().insert(JobRecord, rec);
  }

  async findById(id: string): Promise<JobRecord | null> {
    const fast = this.sqlite();
    if (fast) return fast.findById(id);
    return this.em().findOne(JobRecord, { id }, { disableIdentityMap: true }); // not SQLite
  }

  /** Applies the patch only if the job is still in one of `from`; true when it was applied. */
  async updateIfPhase(id: string, from: string[], patch: JobPatch): Promise<boolean> {
    const n = await this.em().nativeUpdate(JobRecord, { id, phase: { $in: from } }, patch);
    return n > 0;
  }

  async update(id: string, patch: JobPatch): Promise<boolean> {
    return (await this.em().nativeUpdate(JobRecord, { id }, patch)) > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.em().nativeDelete(JobRecord, { id })) > 0;
  }

  /**
   * Newest first, filtered in SQL on the (type, creation_time) index, fetched in bounded batches.
   *
   * After a page, the keyset condition "(creation_time, id) < (t, id)" is written as
   * "creation_time <= t AND (creation_time < t OR id < id)": the same rows as "creation_time < t OR
   * (creation_time = t AND id < id)", but with a bound the index can seek to. With the bare OR, SQLite
   * walks the index from the newest job for every page (21 ms per page half-way through 100,000 jobs,
   * so the full list was quadratic); with the bound each page costs about 1 ms wherever it starts.
   */
  async *list(q: JobListQuery): AsyncGenerator<JobRefRow> {
    let remaining = q.last ?? Number.POSITIVE_INFINITY;
    let cursor: ListCursor | undefined;
    while (remaining > 0) {
      const limit = Math.min(LIST_BATCH, remaining);
      const fast = this.sqlite();
      const rows = fast ? await fast.page(q, cursor, limit) : await this.ormPage(q, cursor, limit);
      for (const r of rows) yield r;
      if (rows.length < limit) return;
      remaining -= rows.length;
      const tail = rows[rows.length - 1];
      cursor = { t: tail.creationTime, id: tail.id };
    }
  }

  private async ormPage(q: JobListQuery, cursor: ListCursor | undefined, limit: number): Promise<JobRefRow[]> {
    const where: FilterQuery<JobRecord> = { type: q.type };
    if (q.phases?.length) where.phase = { $in: q.phases };
    else if (q.hiddenPhases.length) where.phase = { $nin: q.hiddenPhases };
    if (q.ownerId !== undefined) where.ownerId = q.ownerId;
    const lower = q.afterMs !== undefined ? { creationTime: { $gt: q.afterMs } } : {};
    const keyset = cursor
      ? { creationTime: { $lte: cursor.t }, $or: [{ creationTime: { $lt: cursor.t } }, { id: { $lt: cursor.id } }] }
      : {};
    return this.em().find(JobRecord, { $and: [where, lower, keyset] } as FilterQuery<JobRecord>, {
      fields: [...REF_FIELDS],
      orderBy: { creationTime: 'desc', id: 'desc' },
      limit,
      disableIdentityMap: true,
    });
  }

  /** One page of the web client's job list (through MikroORM: not a hot path). */
  async browse(q: JobBrowseQuery): Promise<JobBrowseRow[]> {
    const where: FilterQuery<JobRecord> = {};
    if (q.type !== undefined) where.type = q.type;
    if (q.phases?.length) where.phase = { $in: q.phases };
    else if (q.hiddenPhases.length) where.phase = { $nin: q.hiddenPhases };
    if (q.ownerId !== undefined) where.ownerId = q.ownerId;
    const c = q.cursor;
    const dir = q.oldestFirst ? 'asc' : 'desc';
    const keyset = !c
      ? {}
      : q.oldestFirst
        ? { creationTime: { $gte: c.t }, $or: [{ creationTime: { $gt: c.t } }, { id: { $gt: c.id } }] }
        : { creationTime: { $lte: c.t }, $or: [{ creationTime: { $lt: c.t } }, { id: { $lt: c.id } }] };
    return this.em().find(JobRecord, { $and: [where, keyset] } as FilterQuery<JobRecord>, {
      fields: ['id', 'type', 'phase', 'runId', 'ownerId', 'creationTime', 'startTime', 'endTime'],
      orderBy: { creationTime: dir, id: dir },
      limit: q.limit,
      disableIdentityMap: true,
    });
  }

  /** Jobs of one owner in the given phases, over all types (on the (owner_id, phase) index). */
  async countOwned(ownerId: string, phases: string[]): Promise<number> {
    return this.em().count(JobRecord, { ownerId, phase: { $in: phases } });
  }

  /** Jobs in the given phases per owner (null: anonymous jobs). */
  async countByOwner(phases: string[]): Promise<Map<string | null, number>> {
    const rows = (await this.em()
      .getConnection()
      .execute(
        `select owner_id as owner, count(*) as n from uws_job where phase in (${phases.map(() => '?').join(', ')}) group by owner_id`,
        phases,
      )) as { owner: string | null; n: number | string }[];
    return new Map(rows.map((r) => [r.owner ?? null, Number(r.n)]));
  }

  async findByPhases(phases: string[], limit = 10000): Promise<JobRecord[]> {
    return this.em().find(JobRecord, { phase: { $in: phases } }, { limit, disableIdentityMap: true });
  }

  async findDestroyable(nowMs: number, limit: number): Promise<JobRecord[]> {
    return this.em().find(
      JobRecord,
      { destruction: { $lte: nowMs }, phase: { $ne: 'ARCHIVED' } },
      { limit, orderBy: { destruction: 'asc' }, disableIdentityMap: true },
    );
  }

  async savePluginVersion(v: PluginVersionRecord): Promise<void> {
    const em = this.em();
    const existing = await em.findOne(PluginVersionRecord, { hash: v.hash }, { fields: ['hash'] });
    if (existing) return;
    // Concurrent first creations of a type both find no row: the loser's insert is a duplicate, not an error.
    await em.insert(PluginVersionRecord, v).catch((e: unknown) => {
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
    });
  }

  async findPluginVersion(hash: string): Promise<PluginVersionRecord | null> {
    return this.em().findOne(PluginVersionRecord, { hash }, { disableIdentityMap: true });
  }
}
