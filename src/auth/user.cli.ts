/**
 * User administration on the configured database (the same environment variables as the server):
 *
 *   npm run user -- add <name> [--admin] [--password-stdin] [--max-active-jobs N]
 *   npm run user -- token <name> [label]        prints the new token once
 *   npm run user -- list
 *   npm run user -- revoke <tokenId>
 *
 * The server picks up changes within seconds (it re-reads a user row after 5 s and a verified token after 30 s).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { DomainError } from '../common/domain.error';
import { AppConfig, ConfigError, loadConfig } from '../config/app.config';
import { JobRepository } from '../persistence/job.repository';
import { createOrm } from '../persistence/persistence.module';
import { UserRepository } from '../persistence/user.repository';
import { optionalInt, UserAccounts } from './user-accounts';

export const USAGE = `usage:
  npm run user -- add <name> [--admin] [--password-stdin] [--max-active-jobs N]
  npm run user -- token <name> [label]
  npm run user -- list
  npm run user -- revoke <tokenId>`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The whole of standard input (for --password-stdin). */
  readStdin(): Promise<string>;
}

/** Runs one command against an open service; returns the exit status. */
export async function runUserCommand(accounts: UserAccounts, args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  const flags = rest.filter((a) => a.startsWith('--'));
  const words = rest.filter((a) => !a.startsWith('--'));
  try {
    switch (command) {
      case 'add': {
        const known = ['--admin', '--password-stdin', '--max-active-jobs'];
        const bad = flags.find((f) => !known.includes(f.split('=')[0]));
        if (words.length < 1 || bad) return usage(io, bad ? `unknown option ${bad}` : 'add needs a user name');
        let max: number | undefined;
        const maxFlag = rest.findIndex((a) => a.split('=')[0] === '--max-active-jobs');
        if (maxFlag >= 0) {
          const inline = rest[maxFlag].split('=')[1];
          const value = inline ?? rest[maxFlag + 1];
          if (inline === undefined) words.splice(words.indexOf(value), 1);
          max = optionalInt(value, '--max-active-jobs');
        }
        if (words.length !== 1) return usage(io, 'add takes one user name');
        let password: string | undefined;
        if (flags.includes('--password-stdin')) {
          // The first line: `printf '%s\n' "$PW" | npm run user -- add alice --password-stdin`.
          password = (await io.readStdin()).split(/\r?\n/)[0];
          if (!password) return usage(io, '--password-stdin: no password on standard input');
        }
        const user = await accounts.createUser({ name: words[0], role: flags.includes('--admin') ? 'admin' : 'user', password, maxActiveJobs: max });
        io.out(`user ${user.name} added (${user.role}${user.passwordHash ? ', with a password' : ', tokens only'}); id ${user.id}`);
        return 0;
      }
      case 'token': {
        if (words.length < 1 || words.length > 2 || flags.length) return usage(io, 'token takes a user name and an optional label');
        const t = await accounts.createToken(words[0], words[1] ?? '');
        io.err(`token ${t.id} for ${t.user} ("${t.label}"); it is shown only now:`);
        io.out(t.token);
        return 0;
      }
      case 'list': {
        if (words.length || flags.length) return usage(io, 'list takes no arguments');
        const users = await accounts.list();
        if (users.length === 0) io.out('no users');
        for (const u of users) {
          const limit = u.maxActiveJobs === null ? 'default limit' : `limit ${u.maxActiveJobs}`;
          io.out(`${u.name}\t${u.role}${u.disabled ? ' (disabled)' : ''}\t${u.hasPassword ? 'password' : 'no password'}\t${u.activeJobs} active jobs (${limit})`);
          for (const t of u.tokens) io.out(`  token ${t.id}\t${t.label}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}`);
        }
        return 0;
      }
      case 'revoke': {
        if (words.length !== 1 || flags.length) return usage(io, 'revoke takes one token id');
        if (!(await accounts.revokeToken(words[0]))) {
          io.err(`no token ${words[0]}`);
          return 1;
        }
        io.out(`token ${words[0]} revoked`);
        return 0;
      }
      default:
        return usage(io, command ? `unknown command ${command}` : undefined);
    }
  } catch (e) {
    if (e instanceof DomainError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function usage(io: CliIo, problem?: string): number {
  if (problem) io.err(`error: ${problem}`);
  io.err(USAGE);
  return 2;
}

/** Opens the configured database (running the migrations, like the server), runs one command, closes it. */
export async function runUserCli(args: string[], io: CliIo, config: AppConfig = loadConfig()): Promise<number> {
  // The same driver choice as app.module.ts: this CLI is an entry point of its own.
  const orm: MikroORM = await createOrm(config, config.db.driver === 'postgresql' ? PostgreSqlDriver : SqliteDriver);
  try {
    return await runUserCommand(new UserAccounts(new UserRepository(orm), new JobRepository(orm)), args, io);
  } finally {
    await orm.close(true);
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

if (require.main === module) {
  // Standard output carries only the answer (a token can be captured with $(…)); service logs stay quiet.
  Logger.overrideLogger(['error', 'warn']);
  const io: CliIo = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    readStdin: () => readAll(process.stdin),
  };
  runUserCli(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (e: Error) => {
      io.err(e instanceof ConfigError ? `configuration error: ${e.message}` : `error: ${e.message}`);
      process.exit(1);
    },
  );
}
