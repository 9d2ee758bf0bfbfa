import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';

export const ROOT = path.resolve(__dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'uws-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestEnv {
  port: number;
  baseUrl: string;
  dataDir: string;
  env: Record<string, string>;
}

/** Environment for a server on a free port with its own SQLite file under a fresh data folder. */
export async function testEnv(extra: Record<string, string> = {}): Promise<TestEnv> {
  const port = await freePort();
  const dataDir = extra.DATA_DIR ?? tempDir();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    baseUrl,
    dataDir,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: baseUrl,
      DATA_DIR: dataDir,
      PLUGINS_DIR: path.join(ROOT, 'plugins'),
      TEMPLATES_DIR: path.join(ROOT, 'templates'),
      LOG_LEVEL: 'warn',
      KILL_GRACE: '1',
      ...extra,
    },
  };
}

export interface RunningApp {
  app: NestExpressApplication;
  baseUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/** The real application in this process (real SQLite file, real local processes). */
export async function startApp(extra: Record<string, string> = {}): Promise<RunningApp> {
  const t = await testEnv(extra);
  const saved = { ...process.env };
  Object.assign(process.env, t.env);
  try {
    const { createApp } = await import('../../src/app.factory');
    const app = await createApp();
    await app.listen(t.port, '127.0.0.1');
    return { app, baseUrl: t.baseUrl, dataDir: t.dataDir, close: () => app.close() };
  } finally {
    for (const k of Object.keys(t.env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
}

/** The server as a separate process, for tests that kill and restart it. */
export async function spawnServer(t: TestEnv): Promise<ServerProcess> {
  let out = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...t.env, LOG_LEVEL: 'log' },
    stdio: ['ignore', 'pipe', 'pipe'],
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
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${out}`);
}

/** The wrapper's pid (first line of DATA_DIR/jobs/<id>/.uws/pid), or undefined when it has not started. */
export function jobPid(dataDir: string, jobId: string): number | undefined {
  try {
    const pid = parseInt(fs.readFileSync(path.join(dataDir, 'jobs', jobId, '.uws', 'pid'), 'utf8'), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process group led by `pid` still exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs the process group of every job found under `dataDir` (cleanup after a test, even a failed one). */
export function killJobGroups(dataDir: string): void {
  let ids: string[] = [];
  try {
    ids = fs.readdirSync(path.join(dataDir, 'jobs'));
  } catch {
    return;
  }
  for (const id of ids) {
    const pid = jobPid(dataDir, id);
    if (pid === undefined) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** SIGKILLs a spawned server (if still running) and waits for it to exit. */
export async function killServer(s: ServerProcess | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await exited;
}

/**
 * Blocks with WAIT (no polling) until the job is in `target` or has left the active phases; returns the
 * phase it ended in. `get` is UwsClient.get (passed in so this file needs no client import).
 */
export async function reachPhase(
  get: (p: string) => Promise<{ text: string }>,
  jobUrl: string,
  target: string,
  seconds = 30,
): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const phase = (await get(`${jobUrl}/phase`)).text;
    if (phase === target || !['PENDING', 'QUEUED', 'EXECUTING'].includes(phase) || Date.now() >= deadline) return phase;
    await get(`${jobUrl}?WAIT=${Math.max(1, Math.ceil((deadline - Date.now()) / 1000))}&PHASE=${phase}`);
  }
}
