import { randomBytes } from 'node:crypto';

/* sqlite3 is installed as the driver of @mikro-orm/sqlite; no typings are shipped with it here. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sqlite3 = require('sqlite3') as {
  Database: new (file: string, cb: (e: Error | null) => void) => Db;
};

interface Stmt {
  run(params: unknown[], cb?: (e: Error | null) => void): Stmt;
  finalize(cb: (e: Error | null) => void): void;
}
interface Db {
  all(sql: string, params: unknown[], cb: (e: Error | null, rows: Record<string, unknown>[]) => void): void;
  exec(sql: string, cb: (e: Error | null) => void): void;
  prepare(sql: string, cb?: (e: Error | null) => void): Stmt;
  close(cb: (e: Error | null) => void): void;
}

const cb = <T>(ok: (v: T) => void, fail: (e: Error) => void) => (e: Error | null, v?: T) => (e ? fail(e) : ok(v as T));

async function open(file: string): Promise<Db> {
  return new Promise((ok, fail) => {
    const db: Db = new sqlite3.Database(file, (e) => (e ? fail(e) : ok(db)));
  });
}

const all = (db: Db, sql: string, params: unknown[] = []) =>
  new Promise<Record<string, unknown>[]>((ok, fail) => db.all(sql, params, cb(ok, fail)));
const exec = (db: Db, sql: string) => new Promise<void>((ok, fail) => db.exec(sql, cb(ok, fail)));

/** The same id shape as RandomIdGenerator (10 random bytes, base32 lower case, 16 characters). */
function jobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const b = randomBytes(10);
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of b) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export interface SeedResult {
  inserted: number;
  total: number;
  seconds: number;
}

/**
 * Fills the (stopped) server's SQLite file up to `total` jobs of `type`: copies of a job the API created,
 * each with its own id, an older creation time (10 ms apart, so distinct) and a mix of phases. One
 * transaction, one prepared statement.
 */
export async function seedJobs(file: string, type: string, total: number): Promise<SeedResult> {
  const t0 = performance.now();
  const db = await open(file);
  try {
    const [template] = await all(db, 'select * from uws_job where type = ? order by creation_time asc limit 1', [type]);
    if (!template) throw new Error(`no ${type} job to copy in ${file}`);
    const [{ n }] = await all(db, 'select count(*) as n from uws_job where type = ?', [type]);
    const toInsert = total - Number(n);
    const columns = Object.keys(template);
    const sql = `insert into uws_job (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
    const base = Number(template.creation_time);
    const week = 7 * 86400 * 1000;
    const phases = ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'PENDING', 'PENDING', 'ERROR', 'ABORTED'];
    const ids = new Set<string>();
    await exec(db, 'begin');
    const stmt = db.prepare(sql);
    let failure: Error | undefined;
    for (let i = 0; i < toInsert; i++) {
      let id = jobId();
      while (ids.has(id)) id = jobId();
      ids.add(id);
      const created = base - (i + 1) * 10;
      const phase = phases[i % phases.length];
      const ran = phase !== 'PENDING';
      const row: Record<string, unknown> = {
        ...template,
        id,
        phase,
        creation_time: created,
        start_time: ran ? created + 1000 : null,
        end_time: ran ? created + 3000 : null,
        quote: ran ? created + 8000 : null,
        destruction: created + week,
        error_type: phase === 'ERROR' ? 'fatal' : null,
        error_message: phase === 'ERROR' ? 'The job exited with code 3' : null,
        error_detail: phase === 'ERROR' ? 'The job exited with code 3.' : null,
      };
      stmt.run(
        columns.map((c) => row[c]),
        (e) => {
          if (e) failure ??= e;
        },
      );
    }
    await new Promise<void>((ok, fail) => stmt.finalize(cb(ok, fail)));
    if (failure) {
      await exec(db, 'rollback');
      throw failure;
    }
    await exec(db, 'commit');
    const [{ n: after }] = await all(db, 'select count(*) as n from uws_job where type = ?', [type]);
    return { inserted: toInsert, total: Number(after), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await new Promise<void>((ok, fail) => db.close(cb(ok, fail)));
  }
}
