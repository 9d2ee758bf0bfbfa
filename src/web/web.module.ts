import { Module } from '@nestjs/common';
import * as path from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { HtmlFormRenderer } from '../forms/html-form.renderer';
import { FormsController } from './forms.controller';

/** The browser client's pages. Views are read once at start-up from TEMPLATES_DIR/views. */
@Module({
  controllers: [FormsController],
  providers: [
    {
      provide: HtmlFormRenderer,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new HtmlFormRenderer(path.join(c.templatesDir, 'views')),
    },
  ],
})
export class WebModule {}
