import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import { describeForm, FormContext } from '../forms/form.description';
import { HtmlFormRenderer, JobTypeSummary, PageOptions } from '../forms/html-form.renderer';
import { generateServiceWadl } from '../forms/service-wadl.generator';
import { PluginCatalogue, PluginEntry } from '../plugins/plugin.catalogue';

type Lookup = { ok: true; descriptor: JobDescriptor } | { ok: false; status: 404 | 503; title: string; message: string; problems: string[] };

const problemsOf = (e: PluginEntry): string[] => e.messages.map((m) => `${m.file}:${m.line}: ${m.severity}: ${m.message}`);

/** Browser pages generated from the job types' descriptors, plus their JSON form description and service WADL. */
@Controller()
export class FormsController {
  constructor(
    @Inject(PluginCatalogue) private readonly catalogue: PluginCatalogue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(HtmlFormRenderer) private readonly renderer: HtmlFormRenderer,
  ) {}

  @Get('forms')
  index(@Res() res: Response): void {
    const types: JobTypeSummary[] = this.catalogue.list().map((e) => ({
      type: e.type,
      available: e.available,
      description: e.version?.descriptor.description ?? null,
      problems: e.available ? [] : problemsOf(e),
    }));
    this.html(res, 200, (opts) => this.renderer.index(types, opts));
  }

  @Get('forms/:type')
  form(@Param('type') type: string, @Res() res: Response): void {
    const found = this.lookup(type);
    if (!found.ok) {
      this.html(res, found.status, (opts) => this.renderer.error(found.status, found.title, found.message, opts, found.problems));
      return;
    }
    const form = describeForm(found.descriptor, this.formContext());
    this.html(res, 200, (opts) => this.renderer.form(form, opts));
  }

  @Get('forms/:type/description')
  description(@Param('type') type: string, @Res() res: Response): void {
    const found = this.lookup(type);
    if (!found.ok) {
      res.status(found.status).json({ error: found.message, status: found.status, problems: found.problems });
      return;
    }
    res.status(200).json(describeForm(found.descriptor, this.formContext()));
  }

  @Get('wadl/:type')
  wadl(@Param('type') type: string, @Res() res: Response): void {
    const found = this.lookup(type);
    if (!found.ok) {
      res.status(found.status).type('text/plain; charset=utf-8').send(found.message);
      return;
    }
    res.status(200).type('application/xml; charset=utf-8').send(generateServiceWadl(found.descriptor, this.config.baseUrl));
  }

  private lookup(type: string): Lookup {
    const entry = this.catalogue.get(type);
    if (!entry) return { ok: false, status: 404, title: 'Not found', message: `No job type '${type}'`, problems: [] };
    if (!entry.available || !entry.version) {
      return { ok: false, status: 503, title: 'Unavailable', message: `Job type '${type}' is unavailable`, problems: problemsOf(entry) };
    }
    return { ok: true, descriptor: entry.version.descriptor };
  }

  private formContext(): FormContext {
    return {
      baseUrl: this.config.baseUrl,
      defaultExecutionDuration: this.config.defaultExecutionDuration,
      maxExecutionDuration: this.config.maxExecutionDuration,
    };
  }

  /** Sends a page with a per-response CSP nonce: only the page's own inline style and script may run. */
  private html(res: Response, status: number, render: (opts: PageOptions) => string): void {
    const nonce = randomBytes(16).toString('base64url');
    const origin = new URL(this.config.baseUrl).origin;
    res
      .status(status)
      .set({
        'Content-Security-Policy':
          `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; ` +
          `form-action 'self' ${origin}; base-uri 'none'; frame-ancestors 'none'`,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      })
      .type('text/html; charset=utf-8')
      .send(render({ baseUrl: this.config.baseUrl, nonce }));
  }
}
