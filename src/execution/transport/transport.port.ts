import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Runs commands and moves files on the machine where jobs run: this one (LocalTransport) or a cluster's
 * login node over one pooled SSH connection (SshTransport). Knows nothing of jobs, SLURM or UWS.
 *
 * Commands are shell command lines: callers build them with every variable part quoted (see ./shell.ts).
 * Paths are absolute paths on the target machine. A non-zero exit status is a result, not an error:
 * errors are TransportErrors (timeouts, lost connections, refused host keys, missing files).
 */

export interface ExecOptions {
  /** Overall budget: waiting for a free channel, for the connection, and running. Default: the transport's. */
  timeoutMs?: number;
  /** Written to the command's stdin, then stdin is closed (it is always closed). */
  stdin?: string | Buffer;
  /**
   * The command may safely run twice (a query, `rm -rf`, `mkdir -p`): if the connection drops while it
   * runs, it is run again once the connection is back (within the timeout) instead of failing.
   */
  idempotent?: boolean;
}

export interface ExecResult {
  /** Exit status; 128 + n when the command was killed by signal n (255 when the signal is unknown). */
  code: number;
  stdout: string;
  stderr: string;
  /** Name of the signal that killed the command, if one did (e.g. 'KILL'). */
  signal?: string;
}

export interface RemoteEntry {
  name: string;
  type: 'file' | 'dir' | 'link' | 'other';
  size: number;
  /** Permission bits (e.g. 0o644). */
  mode: number;
  mtimeMs: number;
}

export type TransportErrorCode =
  /** The operation did not finish within its timeout (the channel was closed). */
  | 'TIMEOUT'
  /** The connection could not be established (refused, unreachable, handshake timeout). */
  | 'CONNECT'
  /** The server's host key is unknown, changed or revoked: refused. */
  | 'HOST_KEY'
  /** The server refused our key. */
  | 'AUTH'
  /** The connection dropped while the operation ran; a non-idempotent command may or may not have run. */
  | 'DISCONNECTED'
  /** close() was called. */
  | 'CLOSED'
  /** The remote file or directory does not exist. */
  | 'NOT_FOUND'
  /** Any other file-system or protocol failure. */
  | 'IO';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof TransportError && e.code === 'NOT_FOUND';

export abstract class Transport {
  /** 'local' or 'ssh://user@host:port', for logs and messages. */
  abstract readonly target: string;

  abstract exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Creates or truncates the file (its parent must exist); `mode` (e.g. 0o700) is applied even if it existed. */
  abstract writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void>;
  /** The whole file; TransportError NOT_FOUND when it does not exist. */
  abstract readFile(remotePath: string): Promise<Buffer>;
  /** `mkdir -p`. */
  abstract mkdirp(remotePath: string): Promise<void>;
  /** `rm -rf`: a file or a whole tree; no error when it does not exist. */
  abstract remove(remotePath: string): Promise<void>;
  /** Entries of a directory (without . and ..); NOT_FOUND when it does not exist. */
  list?(remotePath: string): Promise<RemoteEntry[]>;
  abstract close(): Promise<void>;

  /** Copies a local file to the target. Default: through memory; SshTransport streams it. */
  async putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    const data = await fs.promises.readFile(localPath);
    const st = await fs.promises.stat(localPath);
    await this.writeFile(remotePath, data, mode ?? st.mode & 0o777);
  }

  /** Copies a target file to a local path (its local parent directories are created). */
  async getFile(remotePath: string, localPath: string): Promise<void> {
    const data = await this.readFile(remotePath);
    await fs.promises.mkdir(path.dirname(localPath), { recursive: true });
    await fs.promises.writeFile(localPath, data);
  }
}

/** Throws a TransportError IO naming the command when it exited non-zero; returns stdout otherwise. */
export function expectSuccess(what: string, r: ExecResult): string {
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim().slice(0, 500);
    throw new TransportError('IO', `${what} failed with exit status ${r.code}${detail ? `: ${detail}` : ''}`);
  }
  return r.stdout;
}

/** A command shortened to one line for error messages and logs. */
export function brief(cmd: string, max = 160): string {
  const one = cmd.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
