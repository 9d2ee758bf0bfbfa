import { EntityManager, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ApiTokenRecord, UserRecord } from './user.entity';

export class DuplicateUserError extends Error {}

/** Users and their API tokens. Native queries without a unit of work, like JobRepository. */
export class UserRepository {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork({ clear: true, useContext: false });
  }

  async insertUser(u: UserRecord): Promise<void> {
    try {
      await this.em().insert(UserRecord, u);
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw new DuplicateUserError(`A user '${u.name}' exists already`);
      throw e;
    }
  }

  async updateUser(id: string, patch: Partial<Omit<UserRecord, 'id' | 'createdAt'>>): Promise<boolean> {
    return (await this.em().nativeUpdate(UserRecord, { id }, patch)) > 0;
  }

  findUserById(id: string): Promise<UserRecord | null> {
    return this.em().findOne(UserRecord, { id }, { disableIdentityMap: true });
  }

  findUserByName(name: string): Promise<UserRecord | null> {
    return this.em().findOne(UserRecord, { name }, { disableIdentityMap: true });
  }

  listUsers(): Promise<UserRecord[]> {
    return this.em().find(UserRecord, {}, { orderBy: { name: 'asc' }, disableIdentityMap: true });
  }

  async insertToken(t: ApiTokenRecord): Promise<void> {
    await this.em().insert(ApiTokenRecord, t);
  }

  findToken(id: string): Promise<ApiTokenRecord | null> {
    return this.em().findOne(ApiTokenRecord, { id }, { disableIdentityMap: true });
  }

  listTokens(userId?: string): Promise<ApiTokenRecord[]> {
    return this.em().find(ApiTokenRecord, userId === undefined ? {} : { userId }, { orderBy: { createdAt: 'asc' }, disableIdentityMap: true });
  }

  async deleteToken(id: string): Promise<boolean> {
    return (await this.em().nativeDelete(ApiTokenRecord, { id })) > 0;
  }

  async touchToken(id: string, atMs: number): Promise<void> {
    await this.em().nativeUpdate(ApiTokenRecord, { id }, { lastUsedAt: atMs });
  }
}
