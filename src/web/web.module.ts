import { Inject, Module, OnModuleDestroy } from '@nestjs/common';
import * as path from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { HtmlFormRenderer } from '../forms/html-form.renderer';
import { JobEvents } from '../uws/job.events';
import { JobViews } from '../uws/job.views';
import { UwsModule } from '../uws/uws.module';
import { FormsController } from './forms.controller';
import { JobEventHub } from './job-event.hub';
import { JobPagesRenderer } from './job-pages.renderer';
import { JobsController } from './jobs.controller';

/** The browser client's pages. Views are read once at start-up from TEMPLATES_DIR/views. */
@Module({
  imports: [UwsModule],
  controllers: [FormsController, JobsController],
  providers: [
    {
      provide: HtmlFormRenderer,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new HtmlFormRenderer(path.join(c.templatesDir, 'views')),
    },
    {
      provide: JobPagesRenderer,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new JobPagesRenderer(path.join(c.templatesDir, 'views')),
    },
    { provide: JobEventHub, inject: [JobEvents, JobViews], useFactory: (e: JobEvents, v: JobViews) => new JobEventHub(e, v) },
  ],
})
export class WebModule implements OnModuleDestroy {
  constructor(@Inject(JobEventHub) private readonly hub: JobEventHub) {}

  /** Open event streams would keep the HTTP server from closing. */
  onModuleDestroy(): void {
    this.hub.close();
  }
}
