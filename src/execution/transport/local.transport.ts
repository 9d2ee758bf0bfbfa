import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { checkRemotePath } from './shell';
import { brief, ExecOptions, ExecResult, RemoteEntry, Transport, TransportError } from './transport.port';

export interface LocalTransportOptions {
  /** Default per-command budget, ms. */
  defaultTimeoutMs?: number;
  /** Environment for commands (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };

function ioError(e: unknown, what: string): TransportError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return new TransportError('NOT_FOUND', `${what}: no such file or directory`, { cause: e });
  return new TransportError('IO', `${what}: ${err?.message ?? String(e)}`, { cause: e });
}

/** Runs commands with `bash -c` on this machine (in their own process group) and moves files with fs. */
export class LocalTransport extends Transport {
  readonly target = 'local';
  private readonly defaultTimeoutMs: number;
  private readonly running = new Set<number>();
  private closed = false;

  constructor(private readonly opts: LocalTransportOptions = {}) {
    super();
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 60_000;
  }

  exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'the local transport is closed'));
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn('bash', ['-c', cmd], {
        detached: true, // own process group: a timeout kills everything the command started
        stdio: ['pipe', 'pipe', 'pipe'],
        env: this.opts.env ?? process.env,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => undefined); // EPIPE when the command does not read its stdin
      child.stdin.end(opts.stdin ?? '');
      const pid = child.pid;
      if (pid) this.running.add(pid);
      const timer = setTimeout(() => {
        timedOut = true;
        if (pid) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        if (pid) this.running.delete(pid);
        reject(new TransportError('IO', `cannot run bash: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (pid) this.running.delete(pid);
        if (timedOut) {
          reject(new TransportError('TIMEOUT', `command timed out after ${timeoutMs} ms (local): ${brief(cmd)}`));
          return;
        }
        const sig = signal ? signal.replace(/^SIG/, '') : undefined;
        resolve({
          code: code ?? (signal ? 128 + (SIGNALS[signal] ?? 127) : 255),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          ...(sig ? { signal: sig } : {}),
        });
      });
    });
  }

  async writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void> {
    checkRemotePath(remotePath);
    try {
      await fs.promises.writeFile(remotePath, data, mode === undefined ? undefined : { mode });
      if (mode !== undefined) await fs.promises.chmod(remotePath, mode);
    } catch (e) {
      throw ioError(e, `write ${remotePath}`);
    }
  }

  async readFile(remotePath: string): Promise<Buffer> {
    checkRemotePath(remotePath);
    try {
      return await fs.promises.readFile(remotePath);
    } catch (e) {
      throw ioError(e, `read ${remotePath}`);
    }
  }

  async mkdirp(remotePath: string): Promise<void> {
    checkRemotePath(remotePath, 0);
    try {
      await fs.promises.mkdir(remotePath, { recursive: true });
    } catch (e) {
      throw ioError(e, `mkdir -p ${remotePath}`);
    }
  }

  async remove(remotePath: string): Promise<void> {
    checkRemotePath(remotePath, 2);
    try {
      await fs.promises.rm(remotePath, { recursive: true, force: true });
    } catch (e) {
      throw ioError(e, `rm -rf ${remotePath}`);
    }
  }

  override async list(remotePath: string): Promise<RemoteEntry[]> {
    checkRemotePath(remotePath, 0);
    try {
      const names = await fs.promises.readdir(remotePath);
      const out: RemoteEntry[] = [];
      for (const name of names) {
        const st = await fs.promises.lstat(`${remotePath.replace(/\/$/, '')}/${name}`).catch(() => undefined);
        if (!st) continue;
        out.push({
          name,
          type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other',
          size: st.size,
          mode: st.mode & 0o7777,
          mtimeMs: st.mtimeMs,
        });
      }
      return out;
    } catch (e) {
      throw ioError(e, `list ${remotePath}`);
    }
  }

  override async putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    checkRemotePath(remotePath);
    try {
      await fs.promises.copyFile(localPath, remotePath);
      await fs.promises.chmod(remotePath, mode ?? (await fs.promises.stat(localPath)).mode & 0o777);
    } catch (e) {
      throw ioError(e, `copy ${localPath} to ${remotePath}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pid of this.running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.running.clear();
  }
}
