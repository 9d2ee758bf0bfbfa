import { EntityManager, FilterQuery, MikroORM } from '@mikro-orm/core';
import { JobRecord, PluginVersionRecord } from './job.entity';

export interface JobListQuery {
  type: string;
  phases?: string[];
  /** Strictly after, epoch ms. */
  afterMs?: number;
  last?: number;
  ownerId?: string;
  /** Phases left out unless asked for (ARCHIVED). */
  hiddenPhases: string[];
}

export type JobRefRow = Pick<JobRecord, 'id' | 'phase' | 'runId' | 'ownerId' | 'creationTime'>;

export type JobPatch = Partial<Omit<JobRecord, 'id' | 'type' | 'creationTime' | 'pluginHash'>>;

/** Rows the job list reads per query: a bounded page, so the list never sits whole in memory. */
const LIST_BATCH = 500;

/**
 * Every database access of the job service. Native queries (no unit of work) keep the hot paths cheap;
 * phase changes are conditional updates so a callback and a poll cannot overwrite each other.
 */
export class JobRepository {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork({ clear: true, useContext: false });
  }

  async insert(rec: JobRecord): Promise<void> {
    await this.em().insert(JobRecord, rec);
  }

  async findById(id: string): Promise<JobRecord | null> {
    return this.em().findOne(JobRecord, { id }, { disableIdentityMap: true });
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

  /** Newest first, filtered in SQL on the (type, creation_time) index, fetched in bounded batches. */
  async *list(q: JobListQuery): AsyncGenerator<JobRefRow> {
    const where: FilterQuery<JobRecord> = { type: q.type };
    if (q.phases?.length) where.phase = { $in: q.phases };
    else if (q.hiddenPhases.length) where.phase = { $nin: q.hiddenPhases };
    if (q.ownerId !== undefined) where.ownerId = q.ownerId;
    let remaining = q.last ?? Number.POSITIVE_INFINITY;
    let cursor: { t: number; id: string } | undefined;
    while (remaining > 0) {
      const page: FilterQuery<JobRecord> = { ...where };
      const lower = q.afterMs !== undefined ? { creationTime: { $gt: q.afterMs } } : {};
      const keyset = cursor
        ? { $or: [{ creationTime: { $lt: cursor.t } }, { creationTime: cursor.t, id: { $lt: cursor.id } }] }
        : {};
      const rows = await this.em().find(
        JobRecord,
        { $and: [page, lower, keyset] } as FilterQuery<JobRecord>,
        {
          fields: ['id', 'phase', 'runId', 'ownerId', 'creationTime'],
          orderBy: { creationTime: 'desc', id: 'desc' },
          limit: Math.min(LIST_BATCH, remaining),
          disableIdentityMap: true,
        },
      );
      for (const r of rows) yield r;
      if (rows.length < Math.min(LIST_BATCH, remaining)) return;
      remaining -= rows.length;
      const tail = rows[rows.length - 1];
      cursor = { t: tail.creationTime, id: tail.id };
    }
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
    if (!existing) await em.insert(PluginVersionRecord, v);
  }

  async findPluginVersion(hash: string): Promise<PluginVersionRecord | null> {
    return this.em().findOne(PluginVersionRecord, { hash }, { disableIdentityMap: true });
  }
}
