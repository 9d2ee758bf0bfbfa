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
  jobManager: 'local';
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
  const dbUrl = env.DATABASE_URL || '';
  const driver = oneOf(env, 'DB_DRIVER', dbUrl.startsWith('postgres') ? 'postgresql' : 'sqlite', [
    'sqlite',
    'postgresql',
  ] as const);
  if (driver === 'postgresql' && !dbUrl) throw new ConfigError('DB_DRIVER=postgresql needs DATABASE_URL');
  const defaultExecutionDuration = int(env, 'DEFAULT_EXECUTION_DURATION', 600, 0, 2 ** 31 - 1);
  const maxExecutionDuration = int(env, 'MAX_EXECUTION_DURATION', 86400, 1, 2 ** 31 - 1);
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
    jobManager: oneOf(env, 'JOB_MANAGER', 'local', ['local'] as const),
    defaultExecutionDuration,
    maxExecutionDuration,
    defaultDestructionInterval: int(env, 'DEFAULT_DESTRUCTION_INTERVAL', 7 * 86400, 60),
    destructionMode: oneOf(env, 'DESTRUCTION_MODE', 'delete', ['delete', 'archive'] as const),
    reaperIntervalSeconds: int(env, 'REAPER_INTERVAL', 15, 1, 60),
    waitCap: int(env, 'WAIT_CAP', 60, 1, 3600),
    maxConcurrentJobs: int(env, 'MAX_CONCURRENT_JOBS', 4, 1, 1024),
    maxUploadBytes: int(env, 'MAX_UPLOAD_BYTES', 1024 ** 3, 1),
    startupCostSeconds: int(env, 'STARTUP_COST', 2, 0, 3600),
    reconcileIntervalSeconds: int(env, 'RECONCILE_INTERVAL', 30, 1, 86400),
    killGraceSeconds: int(env, 'KILL_GRACE', 5, 0, 300),
    logLevel: oneOf(env, 'LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
