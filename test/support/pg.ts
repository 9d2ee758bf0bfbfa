/**
 * A real PostgreSQL for the tests: test/pg/start.sh (installs Debian's postgresql when missing, starts a
 * throwaway cluster on 127.0.0.1:55432 without systemd) runs once per process, then every ensurePostgres()
 * call gets a database of its own, so test files never share state. Drop it with dropDatabase() in afterAll.
 *
 * UWS_TEST_DATABASE_URL set in the environment (any PostgreSQL whose user may CREATE DATABASE) skips
 * start.sh and uses that server instead.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ROOT } from './test-app';

/** The few members of the `pg` client used here (@mikro-orm/postgresql depends on `pg`; it has no types here). */
export interface PgClient {
  connect(): Promise<void>;
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  end(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as {
  Client: new (config: { connectionString: string; connectionTimeoutMillis?: number; statement_timeout?: number }) => PgClient;
};

export const START_SCRIPT = path.join(ROOT, 'test/pg/start.sh');

let started: Promise<string> | undefined;

/** Runs test/pg/start.sh (once per process) and returns the URL of its `uws_test` database. */
export function adminUrl(): Promise<string> {
  if (process.env.UWS_TEST_DATABASE_URL) return Promise.resolve(process.env.UWS_TEST_DATABASE_URL);
  started ??= new Promise<string>((resolve, reject) => {
    // An apt install on a fresh machine takes a minute or two; an already-running cluster answers in ms.
    execFile('bash', [START_SCRIPT], { timeout: 600_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const url = /^UWS_TEST_DATABASE_URL=(\S+)$/m.exec(stdout)?.[1];
      if (err || !url) {
        reject(new Error(`test/pg/start.sh failed${err ? ` (${err.message.split('\n')[0]})` : ''}:\n${stderr}${stdout}`));
      } else resolve(url);
    });
  });
  started.catch(() => (started = undefined)); // a later call may try again
  return started;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** Opens a client, runs `fn`, always closes it. */
export async function withClient<T>(url: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** One statement on a database. */
export function pgQuery<R = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  return withClient(url, async (c) => (await c.query<R>(text, values)).rows);
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Starts PostgreSQL if needed and returns the URL of a new, empty database `uws_t_<random>`. */
export async function ensurePostgres(): Promise<string> {
  const admin = await adminUrl();
  const db = `uws_t_${randomBytes(6).toString('hex')}`;
  await withClient(admin, (c) => c.query(`create database ${quoteIdent(db)}`));
  return withDatabase(admin, db);
}

/** Drops a database made by ensurePostgres (closing whatever connections are still open to it). */
export async function dropDatabase(url: string): Promise<void> {
  const db = databaseOf(url);
  if (!/^uws_t_[0-9a-f]+$/.test(db)) throw new Error(`dropDatabase: ${db} was not made by ensurePostgres`);
  const admin = await adminUrl();
  await withClient(admin, (c) => c.query(`drop database if exists ${quoteIdent(db)} with (force)`));
}
