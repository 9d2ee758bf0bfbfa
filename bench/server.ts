import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, TestEnv } from '../test/support/test-app';

/** The real server (src/main.ts) as a separate process, so its CPU and memory are its own. */
export interface BenchServer {
  child: ChildProcess;
  pid: number;
  baseUrl: string;
  output: () => string;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). Returns the last /proc status read before exit. */
  stop(): Promise<ProcStatus | undefined>;
  /** With profiling on (over the IPC channel): writes the CPU profile of the phase just ended and starts the next one. */
  cutProfile(): Promise<void>;
}

export interface ProcStatus {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a live process, from /proc/<pid>/status. */
export function procStatus(pid: number): ProcStatus | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** User+system CPU time of a process so far, seconds (from /proc/<pid>/stat). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

export interface StartOptions {
  /** Compiled entry point (bench/build.ts); without it the server runs from src/ under ts-node. */
  main?: string;
  /** Folder for CPU profiles (bench/cpu-profile.preload.js); cutProfile() cuts one. */
  profileDir?: string;
  /** More options for node (--trace-gc, --max-semi-space-size=…). */
  nodeArgs?: string[];
}

export async function startServer(t: TestEnv, opts: StartOptions = {}): Promise<BenchServer> {
  let out = '';
  // The same V8 flags as production (scripts/serve.sh), then any extra ones.
  const prodFlags = fs.readFileSync(path.join(ROOT, 'scripts/node-flags'), 'utf8').split(/\s+/).filter(Boolean);
  const nodeArgs: string[] = [...prodFlags, ...(opts.nodeArgs ?? [])];
  if (opts.profileDir) nodeArgs.push('-r', path.join(__dirname, 'cpu-profile.preload.js'));
  if (!opts.main) nodeArgs.push('-r', 'ts-node/register/transpile-only');
  const child = spawn(process.execPath, [...nodeArgs, opts.main ?? path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...t.env, LOG_LEVEL: 'warn', ...(opts.profileDir ? { BENCH_PROFILE_DIR: opts.profileDir } : {}) },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.profileDir ? (['ipc'] as const) : [])],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    try {
      const r = await fetch(`${t.baseUrl}/rest`);
      if (r.ok) {
        await r.arrayBuffer();
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    child,
    pid,
    baseUrl: t.baseUrl,
    output: () => out,
    async cutProfile() {
      if (!opts.profileDir || child.exitCode !== null) return;
      const cut = new Promise<unknown>((resolve) => child.once('message', resolve));
      child.send('cut-profile');
      const reply = (await cut) as { cut: string; memory: Record<string, number> };
      process.stderr.write(`[bench] profile ${path.basename(reply.cut)}, memory ${JSON.stringify(reply.memory)} MB\n`);
    },
    async stop() {
      const last = procStatus(pid);
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
      return last;
    },
  };
}
