/**
 * Support for the UWS-over-SLURM tests (test/slurm-uws*.e2e-spec.ts): server environments for
 * JOB_MANAGER=slurm against the REAL local cluster (test/cluster/start.sh), SLURM queries over ssh, and a
 * cleanup that cancels only the SLURM jobs these tests started (by their `uws-<job id>` names: other
 * sessions may share the cluster's `uwsjob` account).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalCluster, sleep, sshTransportFor } from '../cluster/cluster';
import { SshTransport } from '../../src/execution/transport/ssh.transport';
import { ROOT, ServerProcess, TestEnv } from './test-app';
import { UwsClient } from './uws-client';

let seq = 0;

/** The server environment for JOB_MANAGER=slurm on `c`, with its own remote work root. */
export function slurmEnv(c: LocalCluster, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JOB_MANAGER: 'slurm',
    SLURM_SSH_HOST: c.host,
    SLURM_SSH_PORT: String(c.port),
    SLURM_SSH_USER: c.user,
    SLURM_SSH_KEY: c.keyPath,
    SLURM_KNOWN_HOSTS: c.knownHostsPath,
    SLURM_PARTITION: c.partition,
    SLURM_REMOTE_ROOT: `${c.remoteHome}/uws-e2e-${process.pid}-${++seq}`,
    CALLBACK_SECRET: 'e2e-callback-secret-' + process.pid,
    RECONCILE_INTERVAL: '2',
    ...extra,
  };
}

export const jobIdOf = (jobUrl: string) => jobUrl.split('/').pop()!;

/** The value of `<uh:NAME>` inside uws:jobInfo. */
export function jobInfoValue(xml: string, name: string): string | undefined {
  const info = /<uws:jobInfo\b[^>]*>([\s\S]*?)<\/uws:jobInfo>/.exec(xml)?.[1];
  if (!info) return undefined;
  return new RegExp(`<uh:${name}>([^<]*)</uh:${name}>`).exec(info)?.[1];
}

/** A thin helper around one ssh connection to the cluster, as the test user. */
export class ClusterShell {
  readonly ssh: SshTransport;
  /** UWS job ids whose SLURM jobs (named uws-<id>) must be cancelled at the end. */
  readonly jobIds = new Set<string>();
  readonly remoteRoots = new Set<string>();

  constructor(readonly c: LocalCluster) {
    this.ssh = sshTransportFor(c);
  }

  async run(cmd: string): Promise<string> {
    const r = await this.ssh.exec(cmd, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`'${cmd}' failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** SLURM's state of a job (squeue -t all), '' when SLURM does not know it. */
  async state(slurmId: string): Promise<string> {
    const r = await this.ssh.exec(`squeue -h -t all -j ${slurmId} -o %T`, { timeoutMs: 30_000 });
    return r.stdout.trim();
  }

  /** `scontrol show job` fields of one job. */
  async scontrol(slurmId: string): Promise<Record<string, string>> {
    const out = (await this.ssh.exec(`scontrol -o show job ${slurmId}`, { timeoutMs: 30_000 })).stdout;
    const fields: Record<string, string> = {};
    for (const tok of out.trim().split(/\s+(?=[A-Za-z][A-Za-z0-9_:/]*=)/)) {
      const i = tok.indexOf('=');
      if (i > 0) fields[tok.slice(0, i)] = tok.slice(i + 1);
    }
    return fields;
  }

  /** SLURM ids and states of our jobs (by name), as SLURM lists them now. */
  async ours(): Promise<{ id: string; name: string; state: string }[]> {
    const out = (await this.ssh.exec(`squeue -h -t all --me -o '%i|%j|%T'`, { timeoutMs: 30_000 })).stdout;
    return out
      .split('\n')
      .map((l) => l.trim().split('|'))
      .filter(([id, name]) => id && name && name.startsWith('uws-') && this.jobIds.has(name.slice(4)))
      .map(([id, name, state]) => ({ id, name, state }));
  }

  /** Waits until every SLURM job in `ids` is in a final state; returns their states. */
  async untilFinal(ids: string[], seconds: number): Promise<Map<string, string>> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const out = (await this.ssh.exec(`squeue -h -t all -j ${ids.join(',')} -o '%i|%T'`, { timeoutMs: 30_000 })).stdout;
      const states = new Map(out.split('\n').filter(Boolean).map((l) => l.trim().split('|') as [string, string]));
      const active = ids.filter((id) => ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', ''].includes(states.get(id) ?? ''));
      if (active.length === 0 || Date.now() > deadline) return states;
      await sleep(500);
    }
  }

  track(jobUrl: string): string {
    const id = jobIdOf(jobUrl);
    this.jobIds.add(id);
    return id;
  }

  /** Cancels every SLURM job of ours that is still active, removes the remote work roots, closes. */
  async cleanup(): Promise<void> {
    try {
      const active = (await this.ours()).filter((j) => !/COMPLETED|FAILED|CANCELLED|TIMEOUT/.test(j.state));
      if (active.length) {
        const ids = active.map((j) => j.id);
        await this.ssh.exec(`scancel ${ids.join(' ')}`, { timeoutMs: 30_000 });
        // a cancelled wrapper still writes its end files: remove the folders once the jobs are gone
        await this.untilFinal(ids, 15).catch(() => undefined);
      }
      for (const root of this.remoteRoots) {
        await this.ssh.remove(root).catch(async () => {
          await sleep(1000);
          await this.ssh.remove(root).catch(() => undefined);
        });
      }
    } finally {
      await this.ssh.close();
    }
  }
}

/** The job's SLURM id as shown in jobInfo (uh:externalId), waiting a little for it to be stored. */
export async function slurmIdOf(c: UwsClient, jobUrl: string, seconds = 20): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const id = jobInfoValue((await c.get(jobUrl)).text, 'externalId');
    if (id) return id;
    if (Date.now() > deadline) throw new Error(`${jobUrl} has no uh:externalId in its jobInfo`);
    await sleep(100);
  }
}

export function rmrf(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** uid and gid of a local account. */
export function accountIds(user: string): { uid: number; gid: number; home: string } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no local account ${user}`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

/**
 * spawnServer (test/support/test-app.ts), but the server runs as another local account (`uid`/`gid`):
 * for SLURM_FILE_MODE=shared, where the host and the cluster's jobs must be the same user.
 */
export async function spawnServerAs(t: TestEnv, ids: { uid: number; gid: number; home: string }): Promise<ServerProcess> {
  let out = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...t.env, HOME: ids.home, LOG_LEVEL: 'log' },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: ids.uid,
    gid: ids.gid,
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    try {
      const r = await fetch(`${t.baseUrl}/rest`);
      if (r.ok) return { child, baseUrl: t.baseUrl, output: () => out };
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${out}`);
}
