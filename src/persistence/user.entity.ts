import { BigIntType, EntitySchema } from '@mikro-orm/core';

export type UserRole = 'user' | 'admin';

/** A user of the service. A job's ownerId is the user's name. Times are epoch milliseconds. */
export class UserRecord {
  id!: string;
  /** Unique; what clients send as the Basic user name. */
  name!: string;
  role!: UserRole;
  /** "scrypt$…" (parameters, salt and hash), or null for a user who signs in with API tokens only. */
  passwordHash?: string | null;
  /** Overrides MAX_ACTIVE_JOBS_PER_USER when set. */
  maxActiveJobs?: number | null;
  disabled!: boolean;
  createdAt!: number;
}

/** An API token: shown once at creation as "<id>.<secret>"; only a salted HMAC of the secret is stored. */
export class ApiTokenRecord {
  id!: string;
  userId!: string;
  label!: string;
  /** HMAC-SHA256 of the secret keyed with the salt, base64url. */
  hash!: string;
  /** 16 random bytes, base64url. */
  salt!: string;
  createdAt!: number;
  lastUsedAt?: number | null;
}

const ms = () => new BigIntType('number');

export const UserSchema = new EntitySchema<UserRecord>({
  class: UserRecord,
  tableName: 'uws_user',
  properties: {
    id: { type: 'string', primary: true, length: 32 },
    name: { type: 'string', length: 64, unique: true },
    role: { type: 'string', length: 16 },
    passwordHash: { type: 'string', length: 255, nullable: true },
    maxActiveJobs: { type: 'integer', nullable: true },
    disabled: { type: 'boolean', default: false },
    createdAt: { type: ms() },
  },
});

export const ApiTokenSchema = new EntitySchema<ApiTokenRecord>({
  class: ApiTokenRecord,
  tableName: 'uws_api_token',
  properties: {
    id: { type: 'string', primary: true, length: 32 },
    userId: { type: 'string', length: 32, index: true },
    label: { type: 'string', length: 255 },
    hash: { type: 'string', length: 128 },
    salt: { type: 'string', length: 64 },
    createdAt: { type: ms() },
    lastUsedAt: { type: ms(), nullable: true },
  },
});
