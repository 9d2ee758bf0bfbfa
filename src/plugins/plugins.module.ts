import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { JOB_TYPE_SWITCH } from '../common/job-type-switch';
import { PluginCatalogue } from './plugin.catalogue';

/** Seconds between rescans of the plugins folder: a dropped-in folder is live within this time. */
const RESCAN_MS = 2000;

@Global()
@Module({
  providers: [
    {
      provide: PluginCatalogue,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new PluginCatalogue(config.pluginsDir),
    },
    { provide: JOB_TYPE_SWITCH, useExisting: PluginCatalogue },
  ],
  exports: [PluginCatalogue, JOB_TYPE_SWITCH],
})
export class PluginsModule implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(@Inject(PluginCatalogue) private readonly catalogue: PluginCatalogue) {}

  onModuleInit(): void {
    this.catalogue.scan();
    this.timer = setInterval(() => this.catalogue.scan(), RESCAN_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
