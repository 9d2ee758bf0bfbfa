import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { authOf, csrfOf } from '../common/caller';
import { sendHtmlPage } from '../common/html-page';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import { describeForm, FormContext } from '../forms/form.description';
import { FormPrefill, HtmlFormRenderer, JobTypeSummary, PageOptions } from '../forms/html-form.renderer';
import { generateServiceWadl } from '../forms/service-wadl.generator';
import { PluginCatalogue, PluginEntry } from '../plugins/plugin.catalogue';

type Lookup = { ok: true; descriptor: JobDescriptor } | { ok: false; status: 404 | 503; title: string; message: string; problems: string[] };

/**
 * A "run again" link's query string (/forms/{type}?name=value&RUNID=…): the values the form starts with. Only
 * the form's own fields take them; anything else in the query is ignored.
 */
export function prefillFromQuery(query: Request['query']): FormPrefill {
  const values: Record<string, string[]> = Object.create(null);
  for (const [k, v] of Object.entries(query ?? {})) {
    const list = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    if (list.length) values[k] = list;
  }
  const control = (name: string) => Object.entries(values).find(([k]) => k.toUpperCase() === name)?.[1][0];
  return { values, runId: control('RUNID'), executionDuration: control('EXECUTIONDURATION') };
}

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
  index(@Req() req: Request, @Res() res: Response): void {
    const types: JobTypeSummary[] = this.catalogue.list().map((e) => {
      const disabled = this.catalogue.isDisabled(e.type);
      return {
        type: e.type,
        available: e.available && !disabled,
        description: e.version?.descriptor.description ?? null,
        problems: disabled ? ['disabled by an administrator'] : e.available ? [] : problemsOf(e),
      };
    });
    this.html(req, res, 200, (opts) => this.renderer.index(types, opts));
  }

  @Get('forms/:type')
  form(@Param('type') type: string, @Req() req: Request, @Res() res: Response): void {
    const found = this.lookup(type);
    if (!found.ok) {
      this.html(req, res, found.status, (opts) => this.renderer.error(found.status, found.title, found.message, opts, found.problems));
      return;
    }
    const form = describeForm(found.descriptor, this.formContext());
    this.html(req, res, 200, (opts) => this.renderer.form(form, opts, prefillFromQuery(req.query)));
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
    if (this.catalogue.isDisabled(type)) {
      return { ok: false, status: 503, title: 'Unavailable', message: `Job type '${type}' is unavailable`, problems: ['disabled by an administrator'] };
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

  /** Sends a page with a per-response CSP nonce; a signed-in browser's page carries its CSRF token and name. */
  private html(req: Request, res: Response, status: number, render: (opts: PageOptions) => string): void {
    const csrf = csrfOf(req);
    const user = csrf ? authOf(req)?.caller.name : undefined;
    sendHtmlPage(res, status, this.config.baseUrl, (nonce) => render({ baseUrl: this.config.baseUrl, nonce, csrf, user }));
  }
}
