/**
 * Test support for the REAL local SLURM cluster + sshd brought up by test/cluster/start.sh (as root; fast
 * and idempotent when it already runs). Used by test/transport*.e2e-spec.ts and test/slurm*.e2e-spec.ts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SshTransport, SshTransportOptions } from '../../src/execution/transport/ssh.transport';
import { ExecOptions, ExecResult, RemoteEntry, Transport } from '../../src/execution/transport/transport.port';

const DIR = __dirname;

export interface LocalCluster {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
  hostKeyFingerprint: string;
  remoteHome: string;
  partition: string;
  sshdPidFile: string;
}

function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** Runs start.sh (idempotent) and returns the connection details from the env file it writes. */
export function ensureCluster(extraEnv: Record<string, string> = {}): LocalCluster {
  const base = process.env.LOCAL_SLURM_DIR ?? '/tmp/local-slurm';
  try {
    execFileSync('bash', [path.join(DIR, 'start.sh')], {
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`test/cluster/start.sh failed: ${err.stderr?.toString() || err.message}`);
  }
  const env = readEnv(path.join(base, 'env'));
  return {
    host: env.LOCAL_SLURM_SSH_HOST,
    port: Number(env.LOCAL_SLURM_SSH_PORT),
    user: env.LOCAL_SLURM_SSH_USER,
    keyPath: env.LOCAL_SLURM_SSH_KEY,
    knownHostsPath: env.LOCAL_SLURM_SSH_KNOWN_HOSTS,
    hostKeyFingerprint: env.LOCAL_SLURM_SSH_HOST_KEY_FINGERPRINT,
    remoteHome: env.LOCAL_SLURM_REMOTE_HOME,
    partition: env.LOCAL_SLURM_PARTITION,
    sshdPidFile: env.LOCAL_SLURM_SSHD_PID_FILE,
  };
}

/**
 * A second sshd (test/cluster/extra-sshd.sh) for the same user and host key on its own port, with OpenSSH's
 * default MaxSessions (10): tests stop/restart it to cut connections without disturbing the shared sshd.
 * Returns the known_hosts file for [127.0.0.1]:port.
 */
export function extraSshd(action: 'start' | 'stop' | 'restart', port = 2223): string {
  const out = execFileSync('bash', [path.join(DIR, 'extra-sshd.sh'), action, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  }).toString();
  return /^KNOWN_HOSTS=(.*)$/m.exec(out)?.[1] ?? '';
}

export const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export function sshTransportFor(c: LocalCluster, over: Partial<SshTransportOptions> = {}): SshTransport {
  return new SshTransport({
    host: c.host,
    port: c.port,
    username: c.user,
    privateKeyPath: c.keyPath,
    knownHostsPath: c.knownHostsPath,
    logger: quietLogger,
    ...over,
  });
}

/** Delegates to another transport and records every command (to count the calls a manager makes). */
export class CountingTransport extends Transport {
  readonly commands: string[] = [];
  readonly target: string;
  constructor(readonly inner: Transport) {
    super();
    this.target = inner.target;
  }
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.commands.push(cmd);
    return this.inner.exec(cmd, opts);
  }
  writeFile(p: string, data: string | Buffer, mode?: number): Promise<void> {
    return this.inner.writeFile(p, data, mode);
  }
  readFile(p: string): Promise<Buffer> {
    return this.inner.readFile(p);
  }
  mkdirp(p: string): Promise<void> {
    return this.inner.mkdirp(p);
  }
  remove(p: string): Promise<void> {
    return this.inner.remove(p);
  }
  override list(p: string): Promise<RemoteEntry[]> {
    return this.inner.list!(p);
  }
  override putFile(l: string, r: string, mode?: number): Promise<void> {
    return this.inner.putFile(l, r, mode);
  }
  override getFile(r: string, l: string): Promise<void> {
    return this.inner.getFile(r, l);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
