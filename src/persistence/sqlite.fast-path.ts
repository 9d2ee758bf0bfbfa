import { MikroORM, Platform, Type } from '@mikro-orm/core';
import { JobRecord } from './job.entity';
import { JobListQuery, JobRefRow, ListCursor, REF_FIELDS } from './job.query';

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

/** The ORM's knex client (read for every statement: a reconnected ORM has a new one), if it has one. */
function knexClient(orm: MikroORM): KnexClient | undefined {
  const conn = orm.em.getConnection() as unknown as { getKnex?: () => { client: KnexClient } };
  return conn.getKnex?.().client;
}

/**
 * On SQLite the three hottest paths of the job repository (insert, read by id, list pages) skip the query
 * builder and run their SQL on the pooled connection itself: MikroORM's findOne costs about 0.4 ms of CPU
 * against 0.05 ms for the query, which capped job creation and made a WAIT wake-up of many waiters slow.
 * Columns and value conversions come from the entity's metadata, so the rows are what MikroORM would
 * hydrate (as plain objects), and errors go through the driver's exception conversion as before.
 */
export class SqliteFastPath {
  private columnList?: Column[];
  private readonly insertQueue: PendingInsert[] = [];
  private inserting = false;

  private constructor(private readonly orm: MikroORM) {}

  /** The fast path of this ORM's database, or undefined on another database than SQLite. */
  static for(orm: MikroORM): SqliteFastPath | undefined {
    return knexClient(orm)?.dialect === 'sqlite3' ? new SqliteFastPath(orm) : undefined;
  }

  /** The pooled SQLite connection for one statement. */
  private async sqlite<T>(work: (db: Sqlite3Connection) => Promise<T>): Promise<T> {
    const client = knexClient(this.orm);
    // Cannot happen while the ORM lives: `for` found SQLite, and an ORM does not change its driver.
    if (client?.dialect !== 'sqlite3') throw new Error('The SQLite fast path used on another database');
    let db: Sqlite3Connection | undefined;
    try {
      db = (await client.acquireConnection()) as Sqlite3Connection;
      return await work(db);
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
   * Concurrent inserts are written together: rows that arrive while the connection is busy wait for it
   * and then go in as one multi-row INSERT (one statement, one commit). With one pooled connection, a
   * lone insert holds it for a thread-pool round trip plus the wait for the event loop to take the
   * result, and concurrent creations queued behind each other one by one. Each caller still returns only
   * once its own row is stored; if a batch fails, its rows are retried one by one, so an error reaches
   * only the caller whose row caused it.
   */
  async insert(rec: JobRecord): Promise<void> {
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
          await this.sqlite((db) => {
            batch = this.insertQueue.splice(0, INSERT_BATCH);
            return this.insertRows(db, batch);
          });
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
    return found ? this.toRecord<JobRecord>(found, columns) : null;
  }

  /** One page of a job list; the keyset condition after `cursor` is JobRepository.list's (see there). */
  async page(q: JobListQuery, cursor: ListCursor | undefined, limit: number): Promise<JobRefRow[]> {
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
    return page.map((row) => this.toRecord<JobRefRow>(row, columns));
  }
}
