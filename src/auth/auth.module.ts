import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import * as path from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { JobRepository } from '../persistence/job.repository';
import { UserRepository } from '../persistence/user.repository';
import { AdminController } from './admin.controller';
import { AuthGuard, SignInLimits } from './auth.guard';
import { FailureLimiter } from './rate-limiter';
import { loadOrCreateKey } from './secret-key';
import { SessionCodec } from './session';
import { SignInController } from './signin.controller';
import { SignInPage } from './signin.page';
import { UserAccounts } from './user-accounts';

/**
 * Users, API tokens, sessions and the global guard that tells every route who is calling. The UWS core reads
 * the caller through common/caller.ts and never imports this module.
 */
@Module({
  controllers: [SignInController, AdminController],
  providers: [
    {
      provide: SessionCodec,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new SessionCodec(loadOrCreateKey(c.sessionSecret, c.dataDir, 'session.key'), c.sessionTtlSeconds, Date.now, path.join(c.dataDir, 'revoked-sessions')),
    },
    {
      provide: SignInLimits,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new SignInLimits(new FailureLimiter(c.signinRateLimit.windowSeconds * 1000), c.signinRateLimit.failures),
    },
    {
      provide: UserAccounts,
      inject: [UserRepository, JobRepository],
      useFactory: (users: UserRepository, jobs: JobRepository) => new UserAccounts(users, jobs),
    },
    { provide: SignInPage, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new SignInPage(path.join(c.templatesDir, 'views')) },
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
})
export class AuthModule {}
