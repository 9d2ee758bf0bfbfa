import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { JobManager } from './job-manager.port';

export type ManagerFactory = (config: AppConfig) => JobManager;

/** Provides the JobManager port; app.module.ts passes the factory that picks the implementation. */
@Global()
@Module({})
export class ExecutionModule {
  static forRoot(create: ManagerFactory): DynamicModule {
    return {
      module: ExecutionModule,
      providers: [{ provide: JobManager, inject: [APP_CONFIG], useFactory: create }],
      exports: [JobManager],
    };
  }
}
