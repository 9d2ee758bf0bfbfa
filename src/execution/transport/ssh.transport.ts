import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { checkHostKey, HostKeyPolicy, hostKeyAlgorithmsFor, hostKeyPolicy, policyKeyTypes } from './known-hosts';
import { checkRemotePath, shellJoin } from './shell';
import { brief, ExecOptions, ExecResult, RemoteEntry, Transport, TransportError } from './transport.port';

export interface SshTransportOptions {
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  /** The private key itself (OpenSSH or PEM format)… */
  privateKey?: string | Buffer;
  /** …or the path of the key file. */
  privateKeyPath?: string;
  passphrase?: string;
  /**
   * Strict host key checking: an OpenSSH known_hosts file (read at every connection, so it can be updated
   * without a restart) and/or pinned `SHA256:…` fingerprints (these win when both are given). Required.
   */
  knownHostsPath?: string;
  hostKeyFingerprint?: string | string[];
  /** Exec channels open at once on the one connection; the rest wait (FIFO). sshd's MaxSessions defaults to
   * 10 per connection, and the SFTP session takes one: keep this ≤ MaxSessions - 1. Default 8. */
  maxChannels?: number;
  /** Default budget for an operation (waiting for a channel and the connection included), ms. Default 60 s. */
  defaultTimeoutMs?: number;
  /** SSH keepalive: a probe every interval; the connection is declared dead after countMax unanswered. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** TCP connect + SSH handshake + authentication budget for one attempt, ms. Default 10 s. */
  readyTimeoutMs?: number;
  /** Budget for putFile/getFile (streamed transfers), ms. Default 10 min. */
  fileTimeoutMs?: number;
  /** Back-off between reconnection attempts: initial delay, doubling up to max (with ±20 % jitter). */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  logger?: Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;
}

export interface SshTransportStats {
  state: 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';
  /** Successful connections (the first one and every reconnection). */
  connects: number;
  /** Connections lost after being established. */
  disconnects: number;
  failedAttempts: number;
  /** Duration of the last successful connection attempt (TCP + handshake + auth), ms. */
  lastConnectMs?: number;
  execs: number;
  activeChannels: number;
  queuedChannels: number;
  lastError?: string;
}

interface Waiter {
  resolve: (c: Client) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/** FIFO counting semaphore whose waiters give up at a deadline. */
class Slots {
  private active = 0;
  private readonly queue: { grant: () => void; timer?: NodeJS.Timeout }[] = [];

  constructor(private readonly size: number) {}

  get inUse(): number {
    return this.active;
  }
  get waiting(): number {
    return this.queue.length;
  }

  acquire(timeoutMs: number, onTimeout: () => Error): Promise<() => void> {
    const release = this.releaser();
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const item: { grant: () => void; timer?: NodeJS.Timeout } = {
        grant: () => {
          if (item.timer) clearTimeout(item.timer);
          this.active++;
          resolve(release);
        },
      };
      item.timer = setTimeout(() => {
        const i = this.queue.indexOf(item);
        if (i >= 0) this.queue.splice(i, 1);
        reject(onTimeout());
      }, Math.max(0, timeoutMs));
      this.queue.push(item);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      const next = this.queue.shift();
      if (next) next.grant();
    };
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15, USR1: 10, USR2: 12 };

const SFTP_NO_SUCH_FILE = 2;

/**
 * Commands and files over ONE long-lived SSH connection (ssh2): parallel exec channels (capped, the rest
 * queued), one SFTP session shared by all file operations, keepalive, and reconnection with exponential
 * back-off when the connection drops; operations issued meanwhile wait for it within their own timeout.
 * The server's host key is checked strictly (known_hosts or a pinned fingerprint): unknown or changed keys
 * are refused. Key authentication only.
 */
export class SshTransport extends Transport {
  readonly target: string;
  private readonly port: number;
  private readonly slots: Slots;
  private readonly defaultTimeoutMs: number;
  private readonly logger: Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;
  private readonly privateKey: Buffer | string;

  private client?: Client;
  private attempting?: Client;
  private retryTimer?: NodeJS.Timeout;
  private backoffMs = 0;
  private everConnected = false;
  private closed = false;
  private sftpSession?: Promise<SFTPWrapper>;
  private readonly waiters = new Set<Waiter>();
  /** Rejecters of operations running on the current connection, called when it drops. */
  private readonly inflight = new Set<(e: TransportError) => void>();
  private readonly counters = { connects: 0, disconnects: 0, failedAttempts: 0, execs: 0 };
  private lastConnectMs?: number;
  private lastError?: string;

  constructor(private readonly opts: SshTransportOptions) {
    super();
    this.port = opts.port ?? 22;
    this.target = `ssh://${opts.username}@${opts.host}:${this.port}`;
    const maxChannels = opts.maxChannels ?? 8;
    if (!Number.isInteger(maxChannels) || maxChannels < 1) throw new Error('maxChannels must be a positive integer');
    this.slots = new Slots(maxChannels);
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 60_000;
    this.logger = opts.logger ?? new Logger('SshTransport');
    if (opts.privateKey) this.privateKey = opts.privateKey;
    else if (opts.privateKeyPath) this.privateKey = fs.readFileSync(opts.privateKeyPath);
    else throw new Error('SshTransport needs privateKey or privateKeyPath (key authentication only)');
    if (!opts.knownHostsPath && !opts.hostKeyFingerprint) {
      throw new Error('SshTransport needs knownHostsPath or hostKeyFingerprint: host keys are always checked');
    }
  }

  // ------------------------------------------------------------------ connection

  /** Connects now (otherwise the first operation does); resolves when ready. */
  async connect(timeoutMs = this.opts.readyTimeoutMs ?? 10_000): Promise<void> {
    await this.ready(Date.now() + timeoutMs);
  }

  stats(): SshTransportStats {
    const state: SshTransportStats['state'] = this.closed
      ? 'closed'
      : this.client
        ? 'ready'
        : this.attempting
          ? 'connecting'
          : this.retryTimer
            ? 'backoff'
            : 'idle';
    return {
      state,
      ...this.counters,
      ...(this.lastConnectMs !== undefined ? { lastConnectMs: this.lastConnectMs } : {}),
      activeChannels: this.slots.inUse,
      queuedChannels: this.slots.waiting,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** The ready client, waiting (until the deadline) for a connection or reconnection if needed. */
  private ready(deadline: number): Promise<Client> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.client) return Promise.resolve(this.client);
    return new Promise<Client>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      const left = deadline - Date.now();
      w.timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(
          new TransportError(
            'TIMEOUT',
            `no connection to ${this.target} within the operation's timeout${this.lastError ? ` (last error: ${this.lastError})` : ''}`,
          ),
        );
      }, Math.max(0, left));
      this.waiters.add(w);
      this.kick();
    });
  }

  /** Starts an attempt now unless one is running or scheduled. */
  private kick(): void {
    if (this.closed || this.client || this.attempting || this.retryTimer) return;
    this.attempt();
  }

  private attempt(): void {
    const started = Date.now();
    const c = new Client();
    this.attempting = c;
    let settled = false;
    let hostKeyRefusal: string | undefined;
    let policy: HostKeyPolicy;
    try {
      policy = this.policy();
    } catch (e) {
      this.attempting = undefined;
      this.failAttempt(new TransportError('HOST_KEY', (e as Error).message), true);
      return;
    }
    const keyTypes = policyKeyTypes(policy);
    const cfg: ConnectConfig = {
      host: this.opts.host,
      port: this.port,
      username: this.opts.username,
      privateKey: this.privateKey,
      ...(this.opts.passphrase ? { passphrase: this.opts.passphrase } : {}),
      readyTimeout: this.opts.readyTimeoutMs ?? 10_000,
      keepaliveInterval: this.opts.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: this.opts.keepaliveCountMax ?? 3,
      authHandler: ['publickey'],
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey(policy, this.opts.host, this.port, key);
        if (!verdict.ok) hostKeyRefusal = verdict.reason;
        return verdict.ok;
      },
      ...(keyTypes ? { algorithms: { serverHostKey: hostKeyAlgorithmsFor(keyTypes) as never } } : {}),
    };
    const fail = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (this.attempting === c) this.attempting = undefined;
      c.removeAllListeners('ready');
      c.on('error', () => undefined);
      c.end();
      if (this.closed) return;
      if (hostKeyRefusal) {
        this.failAttempt(new TransportError('HOST_KEY', hostKeyRefusal, { cause: err }), true);
      } else if (err && /authentication methods failed/i.test(err.message)) {
        this.failAttempt(
          new TransportError('AUTH', `${this.target} refused our key (${err.message})`, { cause: err }),
          true,
        );
      } else {
        const msg = err ? (err as NodeJS.ErrnoException).code ?? err.message : 'connection closed during the handshake';
        this.failAttempt(new TransportError('CONNECT', `cannot connect to ${this.target}: ${msg}`, { cause: err }), false);
      }
    };
    c.once('ready', () => {
      if (settled) return;
      settled = true;
      this.attempting = undefined;
      if (this.closed) {
        c.end();
        return;
      }
      this.lastConnectMs = Date.now() - started;
      this.counters.connects++;
      this.backoffMs = 0;
      this.lastError = undefined;
      const again = this.everConnected;
      this.everConnected = true;
      this.client = c;
      this.logger.log(`${again ? 'reconnected' : 'connected'} to ${this.target} in ${this.lastConnectMs} ms`);
      c.on('error', (e: Error) => {
        this.lastError = e.message;
        this.logger.warn(`${this.target}: ${e.message}`);
      });
      c.once('close', () => this.onDrop(c));
      for (const w of this.waiters) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(c);
      }
      this.waiters.clear();
    });
    c.on('error', (e: Error) => fail(e));
    c.once('close', () => fail());
    try {
      c.connect(cfg);
      // Without TCP_NODELAY, Nagle + delayed ACKs add ~40 ms to every exec on an idle connection.
      c.setNoDelay(true);
    } catch (e) {
      fail(e as Error);
    }
  }

  private policy(): HostKeyPolicy {
    const knownHosts = this.opts.knownHostsPath
      ? (() => {
          try {
            return fs.readFileSync(this.opts.knownHostsPath!, 'utf8');
          } catch (e) {
            throw new Error(`cannot read known_hosts file ${this.opts.knownHostsPath}: ${(e as Error).message}`);
          }
        })()
      : undefined;
    return hostKeyPolicy(
      { knownHosts, knownHostsSource: this.opts.knownHostsPath, fingerprint: this.opts.hostKeyFingerprint },
      this.opts.host,
      this.port,
    );
  }

  /** A failed attempt: fatal (host key, auth) errors reject every waiter now; others are retried. */
  private failAttempt(err: TransportError, fatal: boolean): void {
    this.counters.failedAttempts++;
    this.lastError = err.message;
    if (fatal) {
      this.logger.error(err.message);
      for (const w of this.waiters) {
        if (w.timer) clearTimeout(w.timer);
        w.reject(err);
      }
      this.waiters.clear();
      return; // the next operation tries again
    }
    if (this.waiters.size === 0 && !this.everConnected) return; // nobody waits: try again on demand
    this.scheduleRetry(err.message);
  }

  private scheduleRetry(why: string): void {
    if (this.closed || this.retryTimer) return;
    const initial = this.opts.reconnectInitialDelayMs ?? 200;
    const max = this.opts.reconnectMaxDelayMs ?? 10_000;
    this.backoffMs = this.backoffMs === 0 ? initial : Math.min(max, this.backoffMs * 2);
    const delay = Math.round(this.backoffMs * (0.8 + Math.random() * 0.4));
    this.logger.debug?.(`${this.target}: ${why}; next attempt in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.attempt();
    }, delay);
    this.retryTimer.unref();
  }

  private onDrop(c: Client): void {
    if (this.client !== c) return;
    this.client = undefined;
    this.sftpSession = undefined;
    if (this.closed) return;
    this.counters.disconnects++;
    this.logger.warn(`connection to ${this.target} lost${this.lastError ? ` (${this.lastError})` : ''}; reconnecting`);
    const err = new TransportError('DISCONNECTED', `the connection to ${this.target} dropped while the operation ran`);
    for (const r of [...this.inflight]) r(err);
    this.inflight.clear();
    this.attempt(); // at once; then back-off
  }

  private closedError(): TransportError {
    return new TransportError('CLOSED', `the transport to ${this.target} is closed`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const err = this.closedError();
    for (const w of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
    for (const r of [...this.inflight]) r(err);
    this.inflight.clear();
    this.attempting?.end();
    const c = this.client;
    this.client = undefined;
    this.sftpSession = undefined;
    if (c) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        c.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        c.end();
      });
    }
  }

  // ------------------------------------------------------------------ exec

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw this.closedError();
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.execOnce(cmd, opts, deadline, timeoutMs);
      } catch (e) {
        // A channel that never opened ran nothing: always safe to retry. A drop mid-command only for
        // commands the caller declared idempotent.
        const retriable =
          e instanceof TransportError &&
          !this.closed &&
          Date.now() < deadline &&
          attempt < 5 &&
          ((e as OpenFailure).notStarted === true || (e.code === 'DISCONNECTED' && opts.idempotent === true));
        if (!retriable) throw e;
        this.logger.debug?.(`${this.target}: retrying after ${(e as Error).message}`);
        if (e.code !== 'DISCONNECTED') await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  private async execOnce(cmd: string, opts: ExecOptions, deadline: number, timeoutMs: number): Promise<ExecResult> {
    const what = brief(cmd);
    const release = await this.slots.acquire(
      deadline - Date.now(),
      () =>
        new TransportError('TIMEOUT', `command timed out after ${timeoutMs} ms waiting for a free channel to ${this.target}: ${what}`),
    );
    let handedOver = false;
    try {
      const client = await this.ready(deadline);
      handedOver = true;
      return await this.runChannel(client, cmd, opts, deadline, timeoutMs, release);
    } finally {
      if (!handedOver) release();
    }
  }

  /** Runs one command on its own channel; `release` is called exactly once, when the channel is gone. */
  private runChannel(
    client: Client,
    cmd: string,
    opts: ExecOptions,
    deadline: number,
    timeoutMs: number,
    release: () => void,
  ): Promise<ExecResult> {
    const what = brief(cmd);
    this.counters.execs++;
    return new Promise<ExecResult>((resolve, reject) => {
      let done = false;
      let stream: ClientChannel | undefined;
      let released = false;
      let fallback: NodeJS.Timeout | undefined;
      const releaseOnce = () => {
        if (released) return;
        released = true;
        if (fallback) clearTimeout(fallback);
        release();
      };
      const finish = (err?: Error, result?: ExecResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inflight.delete(onDrop);
        if (err) reject(err);
        else resolve(result!);
      };
      const onDrop = (e: TransportError) => {
        finish(e);
        releaseOnce();
      };
      this.inflight.add(onDrop);
      const timer = setTimeout(
        () => {
          finish(new TransportError('TIMEOUT', `command timed out after ${timeoutMs} ms on ${this.target} (its channel was closed): ${what}`));
          if (stream) {
            killRemote(stream);
            stream.close();
          }
          // the slot comes back when the channel closes; never later than this
          fallback = setTimeout(releaseOnce, 10_000);
          fallback.unref();
        },
        Math.max(0, deadline - Date.now()),
      );
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      try {
        client.exec(cmd, (err, s) => {
          if (err) {
            releaseOnce();
            const e: OpenFailure = new TransportError(
              this.client === client ? 'IO' : 'DISCONNECTED',
              `channel open failed on ${this.target}: ${err.message}`,
              { cause: err },
            );
            e.notStarted = true;
            finish(e);
            return;
          }
          stream = s;
          if (done) {
            // timed out (or dropped) while the channel was opening
            s.once('close', releaseOnce);
            s.close();
            return;
          }
          let code: number | undefined;
          let signal: string | undefined;
          s.on('data', (d: Buffer) => out.push(d));
          s.stderr.on('data', (d: Buffer) => errOut.push(d));
          s.on('exit', (c: number | null, sig?: string) => {
            if (typeof c === 'number') code = c;
            else if (sig) signal = sig;
          });
          s.on('error', () => undefined);
          s.once('close', () => {
            releaseOnce();
            if (code === undefined && signal === undefined) {
              finish(
                new TransportError(
                  this.client === client ? 'IO' : 'DISCONNECTED',
                  `the channel to ${this.target} closed without an exit status: ${what}`,
                ),
              );
              return;
            }
            finish(undefined, {
              code: code ?? 128 + (SIGNAL_NUMBERS[signal!] ?? 127),
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(errOut).toString('utf8'),
              ...(signal ? { signal } : {}),
            });
          });
          s.end(opts.stdin ?? undefined);
        });
      } catch (e) {
        releaseOnce();
        const err: OpenFailure = new TransportError('DISCONNECTED', `cannot open a channel on ${this.target}: ${(e as Error).message}`, { cause: e });
        err.notStarted = true;
        finish(err);
      }
    });
  }

  // ------------------------------------------------------------------ files (one shared SFTP session)

  private async sftp(deadline: number): Promise<SFTPWrapper> {
    const client = await this.ready(deadline);
    if (!this.sftpSession) {
      const p: Promise<SFTPWrapper> = new Promise((resolve, reject) => {
        try {
          client.sftp((err, s) => {
            if (err) {
              reject(
                new TransportError(
                  this.client === client ? 'IO' : 'DISCONNECTED',
                  `cannot open an SFTP session on ${this.target}: ${err.message}`,
                  { cause: err },
                ),
              );
              return;
            }
            s.on('error', () => undefined);
            s.once('close', () => {
              if (this.sftpSession === p) this.sftpSession = undefined;
            });
            resolve(s);
          });
        } catch (e) {
          reject(new TransportError('DISCONNECTED', `cannot open an SFTP session on ${this.target}: ${(e as Error).message}`));
        }
      });
      p.catch(() => {
        if (this.sftpSession === p) this.sftpSession = undefined;
      });
      this.sftpSession = p;
    }
    return this.sftpSession;
  }

  private sftpError(err: unknown, what: string): TransportError {
    if (err instanceof TransportError) return err;
    const e = err as Error & { code?: number | string };
    if (e?.code === SFTP_NO_SUCH_FILE || e?.code === 'ENOENT') {
      return new TransportError('NOT_FOUND', `${what}: no such file or directory on ${this.target}`, { cause: err });
    }
    return new TransportError('IO', `${what} on ${this.target}: ${e?.message ?? String(err)}`, { cause: err });
  }

  /** One SFTP operation with a deadline; retried after a reconnection (every operation here is idempotent). */
  private async sftpOp<T>(
    what: string,
    fn: (s: SFTPWrapper, cb: (err: unknown, value?: T) => void) => void,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<T> {
    if (this.closed) throw this.closedError();
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const s = await this.sftp(deadline);
        return await new Promise<T>((resolve, reject) => {
          let done = false;
          const finish = (err?: Error, value?: T) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            this.inflight.delete(finish);
            if (err) reject(err);
            else resolve(value as T);
          };
          this.inflight.add(finish);
          const timer = setTimeout(
            () => finish(new TransportError('TIMEOUT', `${what} timed out after ${timeoutMs} ms on ${this.target}`)),
            Math.max(0, deadline - Date.now()),
          );
          try {
            fn(s, (err, value) => finish(err ? this.sftpError(err, what) : undefined, value));
          } catch (e) {
            finish(this.sftpError(e, what));
          }
        });
      } catch (e) {
        if (e instanceof TransportError && e.code === 'DISCONNECTED' && !this.closed && Date.now() < deadline && attempt < 5) continue;
        throw e;
      }
    }
  }

  async writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void> {
    checkRemotePath(remotePath);
    await this.sftpOp<void>(`write ${remotePath}`, (s, cb) =>
      s.writeFile(remotePath, data, mode === undefined ? {} : { mode }, (err) => {
        if (err || mode === undefined) cb(err);
        else s.chmod(remotePath, mode, (e) => cb(e));
      }),
    );
  }

  async readFile(remotePath: string): Promise<Buffer> {
    checkRemotePath(remotePath);
    return this.sftpOp<Buffer>(`read ${remotePath}`, (s, cb) => s.readFile(remotePath, (err, buf) => cb(err, buf)));
  }

  private statDir(remotePath: string): Promise<boolean> {
    return this.sftpOp<boolean>(`stat ${remotePath}`, (s, cb) => s.stat(remotePath, (err, st) => cb(err, err ? undefined : st.isDirectory())));
  }

  /** One round trip when the parent exists (the usual case); walks up only when it does not. */
  async mkdirp(remotePath: string): Promise<void> {
    checkRemotePath(remotePath, 0);
    if (remotePath === '/') return;
    try {
      await this.sftpOp<void>(`mkdir ${remotePath}`, (s, cb) => s.mkdir(remotePath, (err) => cb(err)));
      return;
    } catch (e) {
      if (!(e instanceof TransportError) || (e.code !== 'IO' && e.code !== 'NOT_FOUND')) throw e;
      // exists already (SFTP says FAILURE) or the parent is missing (NO_SUCH_FILE)
      const isDir = await this.statDir(remotePath).catch((se: unknown) => {
        if (se instanceof TransportError && se.code === 'NOT_FOUND') return undefined;
        throw se;
      });
      if (isDir === true) return;
      if (isDir === false) throw new TransportError('IO', `mkdir -p ${remotePath}: exists and is not a directory on ${this.target}`);
      await this.mkdirp(path.posix.dirname(remotePath));
      try {
        await this.sftpOp<void>(`mkdir ${remotePath}`, (s, cb) => s.mkdir(remotePath, (err) => cb(err)));
      } catch (e2) {
        if ((await this.statDir(remotePath).catch(() => false)) !== true) throw e2; // lost a race: fine if it exists now
      }
    }
  }

  async remove(remotePath: string): Promise<void> {
    checkRemotePath(remotePath, 2);
    const r = await this.exec(shellJoin(['rm', '-rf', '--', remotePath]), { idempotent: true });
    if (r.code !== 0) throw new TransportError('IO', `rm -rf ${remotePath} failed on ${this.target}: ${r.stderr.trim()}`);
  }

  override async list(remotePath: string): Promise<RemoteEntry[]> {
    checkRemotePath(remotePath, 0);
    const items = await this.sftpOp<{ filename: string; attrs: { mode: number; size: number; mtime: number } }[]>(
      `list ${remotePath}`,
      (s, cb) => s.readdir(remotePath, (err, list) => cb(err, list)),
    );
    return items
      .filter((i) => i.filename !== '.' && i.filename !== '..')
      .map((i) => {
        const fmt = i.attrs.mode & 0o170000;
        return {
          name: i.filename,
          type: fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'dir' : fmt === 0o120000 ? 'link' : 'other',
          size: i.attrs.size,
          mode: i.attrs.mode & 0o7777,
          mtimeMs: i.attrs.mtime * 1000,
        } satisfies RemoteEntry;
      });
  }

  override async putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    checkRemotePath(remotePath);
    const m = mode ?? (await fs.promises.stat(localPath)).mode & 0o777;
    await this.sftpOp<void>(
      `upload ${localPath} to ${remotePath}`,
      (s, cb) => s.fastPut(localPath, remotePath, { mode: m }, (err) => (err ? cb(err) : s.chmod(remotePath, m, (e) => cb(e)))),
      this.opts.fileTimeoutMs ?? 600_000,
    );
  }

  override async getFile(remotePath: string, localPath: string): Promise<void> {
    checkRemotePath(remotePath);
    await fs.promises.mkdir(path.dirname(localPath), { recursive: true });
    await this.sftpOp<void>(
      `download ${remotePath}`,
      (s, cb) => s.fastGet(remotePath, localPath, (err) => cb(err)),
      this.opts.fileTimeoutMs ?? 600_000,
    );
  }
}

type OpenFailure = TransportError & { notStarted?: boolean };

/**
 * Asks sshd to SIGKILL the command's process group (the "signal" channel request, OpenSSH ≥ 7.9). Without it,
 * sshd keeps a closed session, and the command, until the command ends by itself. ssh2's Channel.signal()
 * refuses once stdin is closed (always, here), although the request is still valid after EOF: send it through
 * the protocol object directly when the public method cannot.
 */
function killRemote(stream: ClientChannel): void {
  const ch = stream as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  try {
    if (ch.outgoing && (ch.outgoing.state === 'open' || ch.outgoing.state === 'eof') && ch._client?._protocol?.signal) {
      ch._client._protocol.signal(ch.outgoing.id, 'KILL');
    } else {
      stream.signal('KILL');
    }
  } catch {
    /* the server may not support signals: the channel is closed anyway */
  }
}
