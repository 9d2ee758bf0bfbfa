import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { badRequest, conflict, DomainError, notFound } from '../common/domain.error';
import type { Caller } from '../common/caller';
import { JobRepository } from '../persistence/job.repository';
import type { ApiTokenRecord, UserRecord, UserRole } from '../persistence/user.entity';
import { DuplicateUserError, UserRepository } from '../persistence/user.repository';
import { newToken, parseToken, randomId, TOKEN_PATTERN, tokenMatches } from './api-token';
import { hashPassword, passwordProblem, verifyPassword } from './password';

/** Letters, digits and . _ @ -, starting with a letter or digit: no ':' (the Basic separator), no spaces. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** The phases that count against a user's limit of active jobs. */
export const ACTIVE = ['PENDING', 'QUEUED', 'EXECUTING'];

/** How long a verified credential is trusted without being checked again (revocation through this process clears it at once). */
const VERIFIED_TTL_MS = 30_000;
/** How long a user row is reused (a change made by the CLI in another process shows within this time). */
const USER_TTL_MS = 5_000;
const MAX_CACHED = 10_000;

export interface NewUser {
  name: string;
  role?: UserRole;
  password?: string;
  maxActiveJobs?: number | null;
}

export interface UserSummary {
  id: string;
  name: string;
  role: UserRole;
  disabled: boolean;
  hasPassword: boolean;
  maxActiveJobs: number | null;
  createdAt: string;
  activeJobs: number;
  tokens: { id: string; label: string; createdAt: string; lastUsedAt: string | null }[];
}

export interface CreatedToken {
  id: string;
  /** "<id>.<secret>": shown once, never stored. */
  token: string;
  label: string;
  user: string;
}

interface Verified {
  userId: string;
  tokenId?: string;
  until: number;
}

export function callerFor(u: UserRecord): Caller {
  const c: Caller = { id: u.id, name: u.name, admin: u.role === 'admin' };
  if (u.maxActiveJobs !== null && u.maxActiveJobs !== undefined) c.maxActiveJobs = u.maxActiveJobs;
  return c;
}

/**
 * Users and API tokens: creation, listing, revocation, and checking credentials. Passwords are checked with
 * scrypt (tens of milliseconds), so a verified credential is remembered for a short time, keyed by a SHA-256
 * of what was presented; revoking a token or changing a user through this service forgets it at once.
 */
export class UserAccounts {
  private readonly logger = new Logger('Users');
  private readonly verified = new Map<string, Verified>();
  private readonly users = new Map<string, { user: UserRecord | null; until: number }>();
  /** Tokens whose lastUsedAt was written recently (written at most once a minute each). */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly repo: UserRepository,
    private readonly jobs: JobRepository | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  // ---------------------------------------------------------------- management

  async createUser(n: NewUser): Promise<UserRecord> {
    const name = n.name.trim();
    if (!USER_NAME_PATTERN.test(name)) {
      throw badRequest(`name: a user name is 1 to 64 letters, digits or . _ @ -, starting with a letter or digit; got '${n.name.slice(0, 80)}'`);
    }
    if (name.toLowerCase() === 'anonymous') throw badRequest("name: 'anonymous' is reserved");
    const role = n.role ?? 'user';
    if (role !== 'user' && role !== 'admin') throw badRequest(`role must be user or admin, got '${String(role)}'`);
    if (n.maxActiveJobs !== undefined && n.maxActiveJobs !== null && !(Number.isInteger(n.maxActiveJobs) && n.maxActiveJobs >= 0)) {
      throw badRequest('maxActiveJobs must be a whole number >= 0');
    }
    let passwordHash: string | null = null;
    if (n.password !== undefined) {
      const problem = passwordProblem(n.password) ?? (TOKEN_PATTERN.test(n.password) ? 'A password may not have the form of an API token' : undefined);
      if (problem) throw badRequest(`password: ${problem}`);
      passwordHash = await hashPassword(n.password);
    }
    const user: UserRecord = {
      id: randomId(),
      name,
      role,
      passwordHash,
      maxActiveJobs: n.maxActiveJobs ?? null,
      disabled: false,
      createdAt: this.now(),
    };
    try {
      await this.repo.insertUser(user);
    } catch (e) {
      if (e instanceof DuplicateUserError) throw conflict(e.message);
      throw e;
    }
    this.logger.log(`user ${name} created (${role})`);
    return user;
  }

  async createToken(userName: string, label = ''): Promise<CreatedToken> {
    const user = await this.repo.findUserByName(userName);
    if (!user) throw notFound(`No user '${userName}'`);
    // No database text column takes a NUL byte (PostgreSQL refuses the statement, SQLite cuts it short).
    if (label.includes('\u0000')) throw badRequest('label must not contain a NUL byte');
    const text = label.trim().slice(0, 255) || `token ${new Date(this.now()).toISOString()}`;
    const t = newToken();
    await this.repo.insertToken({ id: t.id, userId: user.id, label: text, hash: t.hash, salt: t.salt, createdAt: this.now(), lastUsedAt: null });
    this.logger.log(`user ${user.name}: token ${t.id} created`);
    return { id: t.id, token: t.token, label: text, user: user.name };
  }

  async revokeToken(id: string): Promise<boolean> {
    const deleted = await this.repo.deleteToken(id);
    for (const [k, v] of this.verified) if (v.tokenId === id) this.verified.delete(k);
    if (deleted) this.logger.log(`token ${id} revoked`);
    return deleted;
  }

  async setDisabled(name: string, disabled: boolean): Promise<void> {
    const user = await this.repo.findUserByName(name);
    if (!user) throw notFound(`No user '${name}'`);
    await this.repo.updateUser(user.id, { disabled });
    this.forgetUser(user.id);
  }

  async list(): Promise<UserSummary[]> {
    const [users, tokens, active] = await Promise.all([
      this.repo.listUsers(),
      this.repo.listTokens(),
      this.jobs ? this.jobs.countByOwner(ACTIVE) : Promise.resolve(new Map<string | null, number>()),
    ]);
    const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
    return users.map((u) => ({
      id: u.id,
      name: u.name,
      role: u.role,
      disabled: !!u.disabled,
      hasPassword: !!u.passwordHash,
      maxActiveJobs: u.maxActiveJobs ?? null,
      createdAt: iso(u.createdAt)!,
      activeJobs: active.get(u.name) ?? 0,
      tokens: tokens
        .filter((t: ApiTokenRecord) => t.userId === u.id)
        .map((t) => ({ id: t.id, label: t.label, createdAt: iso(t.createdAt)!, lastUsedAt: iso(t.lastUsedAt) })),
    }));
  }

  // ---------------------------------------------------------------- credentials

  /** The user, if it exists and is not disabled (rows reused for a few seconds). */
  async activeUser(id: string): Promise<UserRecord | undefined> {
    const t = this.now();
    let hit = this.users.get(id);
    if (!hit || hit.until <= t) {
      hit = { user: await this.repo.findUserById(id), until: t + USER_TTL_MS };
      this.remember(this.users, id, hit);
    }
    return hit.user && !hit.user.disabled ? hit.user : undefined;
  }

  /**
   * HTTP Basic (and the sign-in form): the password field is an API token of that user, or the user's
   * password. Something shaped like a token is checked as a token only.
   */
  async checkNameAndSecret(name: string, secret: string): Promise<UserRecord | undefined> {
    const key = this.cacheKey('basic', name, secret);
    const cached = await this.fromCache(key);
    if (cached) return cached;
    const token = parseToken(secret);
    if (token) {
      const found = await this.checkToken(token.id, token.secret);
      if (!found || found.user.name !== name) return undefined;
      this.rememberVerified(key, found.user.id, token.id);
      return found.user;
    }
    const user = await this.repo.findUserByName(name);
    // An unknown user costs one scrypt too, so that timing does not tell which names exist.
    const ok = await verifyPassword(secret, user?.passwordHash ?? null);
    if (!ok || !user || user.disabled) return undefined;
    this.rememberVerified(key, user.id);
    return user;
  }

  /** Authorization: Bearer <token>. */
  async checkBearer(presented: string): Promise<UserRecord | undefined> {
    const key = this.cacheKey('bearer', presented);
    const cached = await this.fromCache(key);
    if (cached) return cached;
    const token = parseToken(presented);
    const found = token && (await this.checkToken(token.id, token.secret));
    if (!found) return undefined;
    this.rememberVerified(key, found.user.id, token.id);
    return found.user;
  }

  /** Whether a presented secret has the shape of an API token (tokens are not subject to per-name limits). */
  isTokenShaped(secret: string): boolean {
    return TOKEN_PATTERN.test(secret);
  }

  private async checkToken(id: string, secret: string): Promise<{ user: UserRecord } | undefined> {
    const row = await this.repo.findToken(id);
    if (!row || !tokenMatches(secret, row)) return undefined;
    const user = await this.activeUser(row.userId);
    if (!user) return undefined;
    this.touch(row.id);
    return { user };
  }

  private touch(tokenId: string): void {
    const t = this.now();
    if ((this.touched.get(tokenId) ?? 0) > t - 60_000) return;
    this.remember(this.touched, tokenId, t);
    this.repo.touchToken(tokenId, t).catch((e: Error) => this.logger.warn(`token ${tokenId}: lastUsedAt not written: ${e.message}`));
  }

  private cacheKey(...parts: string[]): string {
    return createHash('sha256').update(parts.join('\0')).digest('base64url');
  }

  private async fromCache(key: string): Promise<UserRecord | undefined> {
    const v = this.verified.get(key);
    if (!v) return undefined;
    if (v.until <= this.now()) {
      this.verified.delete(key);
      return undefined;
    }
    const user = await this.activeUser(v.userId);
    if (!user) this.verified.delete(key);
    else if (v.tokenId) this.touch(v.tokenId);
    return user;
  }

  private rememberVerified(key: string, userId: string, tokenId?: string): void {
    this.remember(this.verified, key, { userId, tokenId, until: this.now() + VERIFIED_TTL_MS });
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_CACHED) map.delete(map.keys().next().value as string);
  }

  private forgetUser(id: string): void {
    this.users.delete(id);
    for (const [k, v] of this.verified) if (v.userId === id) this.verified.delete(k);
  }
}

/** Integer from a form or JSON field, or undefined when absent/empty. */
export function optionalInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const text = String(v).trim();
  if (!/^\d{1,9}$/.test(text)) throw new DomainError('BAD_REQUEST', `${name} must be a whole number >= 0, got '${text.slice(0, 40)}'`);
  return Number(text);
}
