import { Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import * as multer from 'multer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { Clock, SystemClock } from '../common/clock';
import { IdGenerator, RandomIdGenerator } from '../common/id.generator';
import { JobManager } from '../execution/job-manager.port';
import { JobRepository } from '../persistence/job.repository';
import { PluginCatalogue } from '../plugins/plugin.catalogue';
import { JobWorkspace } from '../results/job.workspace';
import { WrapperRenderer } from '../rendering/wrapper.renderer';
import { JobController } from './job.controller';
import { JobEvents } from './job.events';
import { JobListController } from './job-list.controller';
import { JobPresenter } from './job.presenter';
import { JobRunner } from './job.runner';
import { JobService } from './job.service';
import { JobStateService } from './job-state.service';
import { JobUpkeep } from './job.upkeep';
import { JobViews } from './job.views';
import { JobTokens } from './job-token';
import { CallbackController } from './callback.controller';
import { PluginVersionStore } from './plugin-version.store';

/** The UWS resources. It sees execution only through the JobManager port, which app.module provides. */
@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const tmp = path.join(config.dataDir, 'uploads');
        fs.mkdirSync(tmp, { recursive: true });
        // Uploads stream to disk; limits are checked while streaming, so an oversized file never sits in memory,
        // and text fields are small and few (a job's parameters are short values).
        return { storage: multer.diskStorage({ destination: tmp }), limits: { fileSize: config.maxUploadBytes, fieldSize: 64 * 1024, fields: 200, files: 10, parts: 210 } };
      },
    }),
  ],
  controllers: [JobListController, JobController, CallbackController],
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: IdGenerator, useClass: RandomIdGenerator },
    JobEvents,
    { provide: JobTokens, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new JobTokens(c.callbackSecret, c.dataDir) },
    { provide: JobWorkspace, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new JobWorkspace(path.join(c.dataDir, 'jobs')) },
    { provide: JobPresenter, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new JobPresenter(c.baseUrl) },
    { provide: WrapperRenderer, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new WrapperRenderer(c.templatesDir) },
    { provide: JobStateService, inject: [JobRepository, JobEvents], useFactory: (r: JobRepository, e: JobEvents) => new JobStateService(r, e) },
    {
      provide: PluginVersionStore,
      inject: [PluginCatalogue, JobRepository],
      useFactory: (c: PluginCatalogue, r: JobRepository) => new PluginVersionStore(c, r),
    },
    {
      provide: JobRunner,
      inject: [APP_CONFIG, JobRepository, PluginVersionStore, JobWorkspace, JobStateService, JobManager, WrapperRenderer, Clock, JobTokens],
      useFactory: (...a: ConstructorParameters<typeof JobRunner>) => new JobRunner(...a),
    },
    {
      provide: JobService,
      inject: [APP_CONFIG, JobRepository, PluginCatalogue, JobWorkspace, JobStateService, JobRunner, Clock, IdGenerator],
      useFactory: (...a: ConstructorParameters<typeof JobService>) => new JobService(...a),
    },
    {
      provide: JobViews,
      inject: [APP_CONFIG, JobRepository, JobService, JobEvents, JobPresenter, JobWorkspace],
      useFactory: (...a: ConstructorParameters<typeof JobViews>) => new JobViews(...a),
    },
    {
      provide: JobUpkeep,
      inject: [APP_CONFIG, JobRepository, JobService, JobRunner, Clock],
      useFactory: (...a: ConstructorParameters<typeof JobUpkeep>) => new JobUpkeep(...a),
    },
  ],
  exports: [JobService, JobViews, JobEvents, JobRunner, JobUpkeep],
})
export class UwsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(JobUpkeep) private readonly upkeep: JobUpkeep,
    @Inject(JobManager) private readonly manager: JobManager,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.upkeep.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.upkeep.stop();
    await this.manager.close();
  }
}
