import { Logger } from '@nestjs/common';
import type { ApiTokenRecord, UserRecord } from '../persistence/user.entity';
import { DuplicateUserError, UserRepository } from '../persistence/user.repository';
import { callerFor, UserAccounts } from './user-accounts';

/** UserRepository in memory, counting the token look-ups. */
class MemoryUsers {
  users = new Map<string, UserRecord>();
  tokens = new Map<string, ApiTokenRecord>();
  tokenReads = 0;
  async insertUser(u: UserRecord) {
    if ([...this.users.values()].some((x) => x.name === u.name)) throw new DuplicateUserError(`A user '${u.name}' exists already`);
    this.users.set(u.id, { ...u });
  }
  async updateUser(id: string, patch: Partial<UserRecord>) {
    const u = this.users.get(id);
    if (u) Object.assign(u, patch);
    return !!u;
  }
  async findUserById(id: string) {
    const u = this.users.get(id);
    return u ? { ...u } : null;
  }
  async findUserByName(name: string) {
    const u = [...this.users.values()].find((x) => x.name === name);
    return u ? { ...u } : null;
  }
  async listUsers() {
    return [...this.users.values()];
  }
  async insertToken(t: ApiTokenRecord) {
    this.tokens.set(t.id, { ...t });
  }
  async findToken(id: string) {
    this.tokenReads++;
    return this.tokens.get(id) ?? null;
  }
  async listTokens() {
    return [...this.tokens.values()];
  }
  async deleteToken(id: string) {
    return this.tokens.delete(id);
  }
  async touchToken(id: string, at: number) {
    const t = this.tokens.get(id);
    if (t) t.lastUsedAt = at;
  }
}

beforeAll(() => Logger.overrideLogger(false));

describe('UserAccounts', () => {
  let now = Date.UTC(2030, 0, 1);
  let repo: MemoryUsers;
  let accounts: UserAccounts;
  beforeEach(() => {
    repo = new MemoryUsers();
    accounts = new UserAccounts(repo as unknown as UserRepository, undefined, () => now);
  });

  it('creates users with checked names, roles and limits; names are unique; "anonymous" is reserved', async () => {
    const u = await accounts.createUser({ name: 'alice', maxActiveJobs: 3 });
    expect(callerFor(u)).toEqual({ id: u.id, name: 'alice', admin: false, maxActiveJobs: 3 });
    expect(callerFor(await accounts.createUser({ name: 'root', role: 'admin' })).admin).toBe(true);
    await expect(accounts.createUser({ name: 'alice' })).rejects.toMatchObject({ code: 'CONFLICT' });
    for (const name of ['anonymous', 'Anonymous', 'a:b', 'has space', '', '-dash', 'x'.repeat(65)]) {
      await expect(accounts.createUser({ name })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(accounts.createUser({ name: 'bob', password: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('Basic: a token of that user, or the password; never another user\'s token', async () => {
    await accounts.createUser({ name: 'alice', password: 'alice-password' });
    await accounts.createUser({ name: 'bob' });
    const t = await accounts.createToken('alice', 'laptop');
    expect((await accounts.checkNameAndSecret('alice', t.token))?.name).toBe('alice');
    expect((await accounts.checkNameAndSecret('alice', 'alice-password'))?.name).toBe('alice');
    expect(await accounts.checkNameAndSecret('alice', 'wrong-password')).toBeUndefined();
    expect(await accounts.checkNameAndSecret('bob', t.token)).toBeUndefined();
    expect(await accounts.checkNameAndSecret('nobody', 'whatever-pw')).toBeUndefined();
    expect((await accounts.checkBearer(t.token))?.name).toBe('alice');
    expect(await accounts.checkBearer(t.token.slice(0, -1) + (t.token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    expect(await accounts.checkBearer('garbage')).toBeUndefined();
  });

  it('remembers a verified token briefly, forgets it at once when revoked', async () => {
    await accounts.createUser({ name: 'alice' });
    const t = await accounts.createToken('alice');
    await accounts.checkBearer(t.token);
    const reads = repo.tokenReads;
    await accounts.checkBearer(t.token);
    expect(repo.tokenReads).toBe(reads); // from the cache
    expect(await accounts.revokeToken(t.id)).toBe(true);
    expect(await accounts.checkBearer(t.token)).toBeUndefined();
    expect(await accounts.checkNameAndSecret('alice', t.token)).toBeUndefined();
    expect(await accounts.revokeToken(t.id)).toBe(false);
  });

  it('a cached credential expires, and a disabled user is refused', async () => {
    await accounts.createUser({ name: 'alice' });
    const t = await accounts.createToken('alice');
    await accounts.checkBearer(t.token);
    now += 31_000;
    const reads = repo.tokenReads;
    expect(await accounts.checkBearer(t.token)).toBeDefined();
    expect(repo.tokenReads).toBe(reads + 1);
    await accounts.setDisabled('alice', true);
    expect(await accounts.checkBearer(t.token)).toBeUndefined();
  });

  it('records when a token was last used', async () => {
    await accounts.createUser({ name: 'alice' });
    const t = await accounts.createToken('alice');
    expect(repo.tokens.get(t.id)!.lastUsedAt).toBeNull();
    await accounts.checkBearer(t.token);
    expect(repo.tokens.get(t.id)!.lastUsedAt).toBe(now);
    const list = await accounts.list();
    expect(list[0].tokens[0]).toMatchObject({ id: t.id, lastUsedAt: new Date(now).toISOString() });
    expect(JSON.stringify(list)).not.toContain(t.token.split('.')[1]);
  });
});
