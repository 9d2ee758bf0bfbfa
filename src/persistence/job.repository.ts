import { EntityManager, FilterQuery, MikroORM, Platform, Type, UniqueConstraintViolationException } from '@mikro-orm/core';
import { JobRecord, PluginVersionRecord } from './job.entity';

export interface JobListQuery {
  type: string;
  phases?: string[];
  /** Strictly after, epoch ms. */
  afterMs?: number;
  last?: number;
  /** Only this owner's jobs; null: only jobs without owner (anonymous); undefined: everyone's. */
  ownerId?: string | null;
  /** Phases left out unless asked for (ARCHIVED). */
  hiddenPhases: string[];
}

export type JobRefRow = Pick<JobRecord, 'id' | 'phase' | 'runId' | 'ownerId' | 'creationTime'>;

export type JobPatch = Partial<Omit<JobRecord, 'id' | 'type' | 'creationTime' | 'pluginHash'>>;

/** Rows the job list reads per query: a bounded page, so the list never sits whole in memory. */
const LIST_BATCH = 500;

/** What a job list entry reads of a row. */
const REF_FIELDS = ['id', 'phase', 'runId', 'ownerId', 'creationTime'] as const;

interface ListCursor {
  t: number;
  id: string;
}

type Row = Record<string, unknown>;

/** Rows per multi-row INSERT: 19 columns x 100 stays far below SQLite's limit of bound parameters. */
const INSERT_BATCH = 100;

interface PendingInsert {
  rec: JobRecord;
  values: unknown[];
  done: (error?: Error) => void;
}

/** node-sqlite3's Database, as knex's sqlite3 client hands it out from its pool. */
interface Sqlite3Connection {
  get(sql: string, params: unknown[], cb: (err: Error | null, row?: Row) => void): void;
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: Row[]) => void): void;
  run(sql: string, params: unknown[], cb: (err: Error | null) => void): void;
}

interface KnexClient {
  dialect: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): unknown;
}

/** One uws_job column: its property, and the entity's own type conversions (BigIntType for the times). */
interface Column {
  prop: keyof JobRecord;
  field: string;
  type?: Type<unknown, unknown>;
}

/**
 * Every database access of the job service. Native queries (no unit of work) keep the hot paths cheap;
 * phase changes are conditional updates so a callback and a poll cannot overwrite each other.
 *
 * On SQLite the three hottest paths (insert, read by id, list pages) skip the query builder and run their
 * SQL on the pooled connection itself: MikroORM's findOne costs about 0.4 ms of CPU against 0.05 ms for
 * the query, which capped job creation and made a WAIT wake-up of many waiters slow. Columns and value
 * conversions come from the entity's metadata, so the rows are what MikroORM would hydrate (as plain
 * objects), and errors go through the driver's exception conversion as before.
 */
export class JobRepository {
  private columnList?: Column[];
  private readonly insertQueue: PendingInsert[] = [];
  private inserting = false;

  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork({ clear: true, useContext: false });
  }

  private knexClient(): KnexClient | undefined {
    const conn = this.orm.em.getConnection() as unknown as { getKnex?: () => { client: KnexClient } };
    return conn.getKnex?.().client;
  }

  private isSqlite(): boolean {
    return this.knexClient()?.dialect === 'sqlite3';
  }

  /** The pooled SQLite connection for one statement, or undefined on another database. */
  private async sqlite<T>(work: (db: Sqlite3Connection) => Promise<T>): Promise<{ value: T } | undefined> {
    const client = this.knexClient();
    if (client?.dialect !== 'sqlite3') return undefined;
    let db: Sqlite3Connection | undefined;
    try {
      db = (await client.acquireConnection()) as Sqlite3Connection;
      return { value: await work(db) };
    } catch (e) {
      throw this.orm.em.getDriver().convertException(e as Error);
    } finally {
      if (db) client.releaseConnection(db);
    }
  }

  private columns(): Column[] {
    this.columnList ??= this.orm
      .getMetadata()
      .get<JobRecord>(JobRecord.name)
      .props.filter((p) => p.persist !== false && p.fieldNames?.length === 1)
      .map((p) => ({ prop: p.name, field: p.fieldNames[0], type: p.customType as Type<unknown, unknown> | undefined }));
    return this.columnList;
  }

  private platform(): Platform {
    return this.orm.em.getPlatform();
  }

  private toRecord<T>(row: Row, columns: Column[]): T {
    const platform = this.platform();
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = row[c.field];
      out[c.prop] = v === null || v === undefined ? null : c.type ? c.type.convertToJSValue(v, platform) : v;
    }
    return out as T;
  }

  /**
   * On SQLite, concurrent inserts are written together: rows that arrive while the connection is busy
   * wait for it and then go in as one multi-row INSERT (one statement, one commit). With one pooled
   * connection, a lone insert holds it for a thread-pool round trip plus the wait for the event loop to
   * take the result, and concurrent creations queued behind each other one by one. Each caller still
   * returns only once its own row is stored; if a batch fails, its rows are retried one by one, so an
   * error reaches only the caller whose row caused it.
   */
  async insert(rec: JobRecord): Promise<void> {
    if (!this.isSqlite()) {
      // PostgreSQL (or any other driver): through MikroORM, as before.
      await this.em().insert(JobRecord, rec);
      return;
    }
    const platform = this.platform();
    const values = this.columns().map((c) => {
      const v = rec[c.prop];
      return v === null || v === undefined ? null : c.type ? c.type.convertToDatabaseValue(v, platform) : v;
    });
    await new Promise<void>((resolve, reject) => {
      this.insertQueue.push({ rec, values, done: (e) => (e ? reject(e) : resolve()) });
      if (!this.inserting) void this.writeInserts();
    });
  }

  private async writeInserts(): Promise<void> {
    this.inserting = true;
    try {
      while (this.insertQueue.length > 0) {
        let batch: PendingInsert[] = [];
        try {
          // The batch is taken once the connection is ours, so it holds every row that queued meanwhile.
          const written = await this.sqlite((db) => {
            batch = this.insertQueue.splice(0, INSERT_BATCH);
            return this.insertRows(db, batch);
          });
          if (!written) {
            // Not SQLite after all (cannot happen while the ORM lives): one by one, through MikroORM.
            for (const b of this.insertQueue.splice(0)) {
              await this.em().insert(JobRecord, b.rec).then(
                () => b.done(),
                (e1: Error) => b.done(e1),
              );
            }
          }
          for (const b of batch) b.done();
        } catch (e) {
          if (batch.length <= 1) {
            for (const b of batch) b.done(e as Error);
            continue;
          }
          for (const b of batch) {
            await this.sqlite((db) => this.insertRows(db, [b])).then(
              () => b.done(),
              (e1: Error) => b.done(e1),
            );
          }
        }
      }
    } finally {
      this.inserting = false;
    }
  }

  private insertRows(db: Sqlite3Connection, rows: PendingInsert[]): Promise<void> {
    const columns = this.columns();
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const sql = `insert into uws_job (${columns.map((c) => c.field).join(', ')}) values ${rows.map(() => tuple).join(', ')}`;
    const params = rows.flatMap((r) => r.values);
    return new Promise((ok, fail) => db.run(sql, params, (e) => (e ? fail(e) : ok())));
  }

  async findById(id: string): Promise<JobRecord | null> {
    const columns = this.columns();
    const found = await this.sqlite(
      (db) => new Promise<Row | undefined>((ok, fail) => db.get('select * from uws_job where id = ? limit 1', [id], (e, row) => (e ? fail(e) : ok(row)))),
    );
    if (!found) return this.em().findOne(JobRecord, { id }, { disableIdentityMap: true }); // not SQLite
    return found.value ? this.toRecord<JobRecord>(found.value, columns) : null;
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
      const rows = (await this.sqlitePage(q, cursor, limit)) ?? (await this.ormPage(q, cursor, limit));
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

  private async sqlitePage(q: JobListQuery, cursor: ListCursor | undefined, limit: number): Promise<JobRefRow[] | undefined> {
    const columns = this.columns().filter((c) => (REF_FIELDS as readonly string[]).includes(c.prop));
    const conditions = ['type = ?'];
    const params: unknown[] = [q.type];
    const among = (values: string[]) => {
      params.push(...values);
      return `(${values.map(() => '?').join(', ')})`;
    };
    if (q.phases?.length) conditions.push(`phase in ${among(q.phases)}`);
    else if (q.hiddenPhases.length) conditions.push(`phase not in ${among(q.hiddenPhases)}`);
    if (q.ownerId === null) {
      conditions.push('owner_id is null');
    } else if (q.ownerId !== undefined) {
      conditions.push('owner_id = ?');
      params.push(q.ownerId);
    }
    if (q.afterMs !== undefined) {
      conditions.push('creation_time > ?');
      params.push(q.afterMs);
    }
    if (cursor) {
      conditions.push('creation_time <= ? and (creation_time < ? or id < ?)');
      params.push(cursor.t, cursor.t, cursor.id);
    }
    params.push(limit);
    const sql =
      `select ${columns.map((c) => c.field).join(', ')} from uws_job where ${conditions.join(' and ')} ` +
      'order by creation_time desc, id desc limit ?';
    const page = await this.sqlite((db) => new Promise<Row[]>((ok, fail) => db.all(sql, params, (e, rows) => (e ? fail(e) : ok(rows)))));
    return page?.value.map((row) => this.toRecord<JobRefRow>(row, columns));
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
