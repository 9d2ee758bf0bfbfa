import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

/** Side effects of the local manager behind an interface, so its scheduling logic can be tested alone. */
export interface RunningProcess {
  pid: number;
  /** Resolves with the exit code (or 128 + signal number) when the process ends. */
  exited: Promise<number>;
}

export abstract class ProcessRunner {
  abstract start(script: string, cwd: string, logFile: string): RunningProcess;
  /** Signals the whole process group; false when it no longer exists. */
  abstract signalGroup(pid: number, signal: NodeJS.Signals): boolean;
  abstract isAlive(pid: number): boolean;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class NodeProcessRunner extends ProcessRunner {
  start(scriptPath: string, cwd: string, logFile: string): RunningProcess {
    const log = fs.openSync(logFile, 'a');
    // detached: the job leads its own process group, so a kill of -pid reaches everything it started.
    const child = spawn('bash', [scriptPath], {
      cwd,
      detached: true,
      stdio: ['ignore', log, log],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8', TMPDIR: cwd },
    });
    fs.closeSync(log);
    const exited = new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0)));
    });
    if (child.pid === undefined) return { pid: -1, exited };
    return { pid: child.pid, exited };
  }

  signalGroup(pid: number, signal: NodeJS.Signals): boolean {
    if (pid <= 0) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  isAlive(pid: number): boolean {
    if (pid <= 0) return false;
    try {
      process.kill(-pid, 0);
    } catch {
      return false;
    }
    return hasLiveMember(pid);
  }
}

/**
 * The kernel counts zombies as group members until their parent (here possibly PID 1, slow to reap) collects
 * them, so a killed job would look alive for a while. On Linux, look for a member that is not a zombie.
 */
function hasLiveMember(pgid: number): boolean {
  // Usually the group leader itself is still running: one small read answers, no scan of /proc.
  try {
    const own = fs.readFileSync(`/proc/${pgid}/stat`, 'utf8');
    const fields = own.slice(own.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) return true;
  } catch {
    /* the leader is gone: its children may live on */
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z') return true;
  }
  return false;
}
