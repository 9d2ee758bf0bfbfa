import * as path from 'node:path';

/**
 * The one validated configuration object. Every setting comes from an environment variable with a local
 * default, so `npm run serve` works on a fresh machine; a bad value stops start-up with a message naming it.
 */
export interface AppConfig {
  port: number;
  host: string;
  /** Public base URL, no trailing slash; every href and Location is built from it. */
  baseUrl: string;
  dataDir: string;
  pluginsDir: string;
  templatesDir: string;
  db: { driver: 'sqlite' | 'postgresql'; sqlitePath: string; url?: string };
  jobManager: 'local' | 'slurm';
  /** Settings of the SLURM manager (JOB_MANAGER=slurm). */
  slurm?: SlurmConfig;
  /** Base URL the cluster's jobs use to report their phases (default BASE_URL). */
  callbackBaseUrl: string;
  /** Key for the per-job callback tokens; generated under DATA_DIR when unset. */
  callbackSecret?: string;
  /** Host names answered besides those of BASE_URL and CALLBACK_BASE_URL and loopback. */
  allowedHosts: string[];
  /** Seconds. */
  defaultExecutionDuration: number;
  maxExecutionDuration: number;
  /** Seconds from creation until a job is destroyed. */
  defaultDestructionInterval: number;
  /** What the reaper does at destruction time. */
  destructionMode: 'delete' | 'archive';
  reaperIntervalSeconds: number;
  /** Longest a WAIT request blocks, seconds (also the cap for WAIT=-1). */
  waitCap: number;
  /** Most WAIT requests blocked at once; past it a WAIT answers at once (the spec allows capping under load). */
  maxWaiters: number;
  maxConcurrentJobs: number;
  /** Largest accepted upload, bytes (a parameter's own maxSize may be smaller). */
  maxUploadBytes: number;
  /** Seconds added to the duration estimate for the quote. */
  startupCostSeconds: number;
  /** Seconds between reconciler passes over active jobs. */
  reconcileIntervalSeconds: number;
  /** Seconds between SIGTERM and SIGKILL when a job is stopped. */
  killGraceSeconds: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Requests without credentials act as the shared "anonymous" user (which sees only anonymous jobs). */
  anonymousAccess: boolean;
  /** Key of the session cookie's HMAC; when unset, one is created once under DATA_DIR (session.key). */
  sessionSecret?: string;
  /** Seconds a browser session lasts. */
  sessionTtlSeconds: number;
  /** Active (PENDING, QUEUED, EXECUTING) jobs a signed-in user may have; a user's maxActiveJobs overrides it. */
  maxActiveJobsPerUser: number;
  /** Failed sign-ins allowed per user name within the window (per IP address: four times as many). */
  signinRateLimit: { failures: number; windowSeconds: number };
}

export interface SlurmConfig {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath?: string;
  hostKeyFingerprint?: string;
  fileMode: 'sftp' | 'shared';
  remoteRoot: string;
  partition?: string;
  account?: string;
  maxChannels: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got '${raw}'`);
  const v = Number(raw.trim());
  if (v < min || v > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got '${env[name]}'`);
}

/** "failures/seconds", e.g. 5/300. */
function rate(env: Env, name: string, def: { failures: number; windowSeconds: number }) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return def;
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(raw);
  const failures = m ? Number(m[1]) : NaN;
  const windowSeconds = m ? Number(m[2]) : NaN;
  if (!(failures >= 1 && failures <= 100000 && windowSeconds >= 1 && windowSeconds <= 86400)) {
    throw new ConfigError(`${name} must be failures/seconds such as 5/300 (1-100000 / 1-86400), got '${raw}'`);
  }
  return { failures, windowSeconds };
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const baseUrlRaw = env.BASE_URL || `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  let baseUrl: string;
  try {
    const u = new URL(baseUrlRaw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    baseUrl = baseUrlRaw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`BASE_URL must be an absolute http(s) URL, got '${baseUrlRaw}'`);
  }
  const dataDir = path.resolve(cwd, env.DATA_DIR || 'var');
  const jobManager = oneOf(env, 'JOB_MANAGER', 'local', ['local', 'slurm'] as const);
  const dbUrl = env.DATABASE_URL || '';
  const driver = oneOf(env, 'DB_DRIVER', dbUrl.startsWith('postgres') ? 'postgresql' : 'sqlite', [
    'sqlite',
    'postgresql',
  ] as const);
  if (driver === 'postgresql' && !dbUrl) throw new ConfigError('DB_DRIVER=postgresql needs DATABASE_URL');
  const defaultExecutionDuration = int(env, 'DEFAULT_EXECUTION_DURATION', 600, 0, 2_147_483);
  // Timers hold at most 2^31-1 ms: a longer limit would fire at once.
  const maxExecutionDuration = int(env, 'MAX_EXECUTION_DURATION', 86400, 1, 2_147_483);
  // 0 would mean "unlimited", which a configured maximum forbids.
  if (defaultExecutionDuration < 1 || defaultExecutionDuration > maxExecutionDuration) {
    throw new ConfigError('DEFAULT_EXECUTION_DURATION must be between 1 and MAX_EXECUTION_DURATION');
  }
  return {
    port,
    host,
    baseUrl,
    dataDir,
    pluginsDir: path.resolve(cwd, env.PLUGINS_DIR || 'plugins'),
    templatesDir: path.resolve(cwd, env.TEMPLATES_DIR || 'templates'),
    db: {
      driver,
      sqlitePath: path.resolve(dataDir, env.SQLITE_FILE || 'uws.sqlite'),
      url: dbUrl || undefined,
    },
    jobManager,
    slurm: jobManager === 'slurm' ? slurmConfig(env) : undefined,
    callbackBaseUrl: (env.CALLBACK_BASE_URL || baseUrl).replace(/\/+$/, ''),
    callbackSecret: env.CALLBACK_SECRET || undefined,
    allowedHosts: (env.ALLOWED_HOSTS || '').split(',').map((h) => h.trim()).filter(Boolean),
    defaultExecutionDuration,
    maxExecutionDuration,
    defaultDestructionInterval: int(env, 'DEFAULT_DESTRUCTION_INTERVAL', 7 * 86400, 60),
    destructionMode: oneOf(env, 'DESTRUCTION_MODE', 'delete', ['delete', 'archive'] as const),
    reaperIntervalSeconds: int(env, 'REAPER_INTERVAL', 15, 1, 60),
    waitCap: int(env, 'WAIT_CAP', 60, 1, 3600),
    maxWaiters: int(env, 'MAX_WAITERS', 10000, 0, 1_000_000),
    maxConcurrentJobs: int(env, 'MAX_CONCURRENT_JOBS', 4, 1, 1024),
    maxUploadBytes: int(env, 'MAX_UPLOAD_BYTES', 1024 ** 3, 1),
    startupCostSeconds: int(env, 'STARTUP_COST', 2, 0, 3600),
    reconcileIntervalSeconds: int(env, 'RECONCILE_INTERVAL', 30, 1, 86400),
    killGraceSeconds: int(env, 'KILL_GRACE', 5, 0, 300),
    logLevel: oneOf(env, 'LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    anonymousAccess: bool(env, 'ANONYMOUS_ACCESS', true),
    sessionSecret: env.SESSION_SECRET || undefined,
    sessionTtlSeconds: int(env, 'SESSION_TTL', 12 * 3600, 60, 90 * 86400),
    maxActiveJobsPerUser: int(env, 'MAX_ACTIVE_JOBS_PER_USER', 100, 1),
    signinRateLimit: rate(env, 'SIGNIN_RATE_LIMIT', { failures: 5, windowSeconds: 300 }),
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

function slurmConfig(env: Env): SlurmConfig {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new ConfigError(`JOB_MANAGER=slurm needs ${name}`);
    return v;
  };
  const knownHostsPath = env.SLURM_KNOWN_HOSTS || undefined;
  const hostKeyFingerprint = env.SLURM_HOST_KEY || undefined;
  if (!knownHostsPath && !hostKeyFingerprint) {
    // Strict host key checking is not optional: without a known key the connection would trust anyone.
    throw new ConfigError('JOB_MANAGER=slurm needs SLURM_KNOWN_HOSTS (a known_hosts file) or SLURM_HOST_KEY (SHA256:... fingerprint)');
  }
  const fileMode = oneOf(env, 'SLURM_FILE_MODE', 'sftp', ['sftp', 'shared'] as const);
  const user = need('SLURM_SSH_USER');
  return {
    host: env.SLURM_SSH_HOST || '127.0.0.1',
    port: int(env, 'SLURM_SSH_PORT', 22, 1, 65535),
    user,
    keyPath: need('SLURM_SSH_KEY'),
    knownHostsPath,
    hostKeyFingerprint,
    fileMode,
    remoteRoot: env.SLURM_REMOTE_ROOT || `/home/${user}/uws-jobs`,
    partition: env.SLURM_PARTITION || undefined,
    account: env.SLURM_ACCOUNT || undefined,
    maxChannels: int(env, 'SLURM_MAX_CHANNELS', 8, 1, 64),
  };
}
