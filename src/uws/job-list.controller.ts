import { Controller, Get, Inject, Param, Post, Req, Res, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import * as fs from 'node:fs';
import { Caller, callerOf, DeferredCsrf } from '../common/caller';
import { PluginCatalogue } from '../plugins/plugin.catalogue';
import { JobService } from './job.service';
import { JobViews } from './job.views';
import { requestParams, seeOther, wantsJson } from './http.util';
import { jobListXmlHead, jobListXmlTail, jobRefXml } from './uws.xml.serializer';
import { jobRefJson } from './uws.json.serializer';
import type { UploadedFile } from './upload.names';

@Controller('rest')
export class JobListController {
  constructor(
    @Inject(JobService) private readonly jobs: JobService,
    @Inject(JobViews) private readonly views: JobViews,
    @Inject(PluginCatalogue) private readonly catalogue: PluginCatalogue,
  ) {}

  /** The job types this service offers, with the reasons a broken one is unavailable. */
  @Get()
  types(@Res() res: Response): void {
    res.json({
      jobTypes: this.catalogue.list().map((e) => ({
        type: e.type,
        href: this.views.presenter.listUrl(e.type),
        available: e.available && !this.catalogue.isDisabled(e.type),
        description: e.version?.descriptor.description ?? null,
        problems: [
          ...(this.catalogue.isDisabled(e.type) ? ['disabled by an administrator'] : []),
          ...e.messages.map((m) => `${m.file}:${m.line}: ${m.severity}: ${m.message}`),
        ],
      })),
    });
  }

  /** Streams the list in bounded batches; filters are checked before the first byte is sent. */
  @Get(':type')
  async list(@Param('type') type: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    // A browser (HTML preferred over XML) gets the job creation form of the web module instead.
    if (req.accepts(['application/xml', 'text/xml', 'application/json', 'text/html']) === 'text/html') {
      const listUrl = this.views.presenter.listUrl(type);
      seeOther(res, `${listUrl.slice(0, listUrl.lastIndexOf('/rest/'))}/forms/${encodeURIComponent(type)}`);
      return;
    }
    this.jobs.ensureKnownType(type);
    const refs = this.views.list(type, requestParams(req), callerOf(req));
    const first = await refs.next();
    if (wantsJson(req)) {
      const jobs = [];
      if (!first.done) jobs.push(jobRefJson(first.value));
      for await (const r of refs) jobs.push(jobRefJson(r));
      res.json({ version: '1.1', jobs });
      return;
    }
    res.status(200).type('application/xml; charset=utf-8');
    let buf = jobListXmlHead();
    if (!first.done) buf += jobRefXml(first.value);
    for await (const r of refs) {
      buf += jobRefXml(r);
      if (buf.length > 64 * 1024) {
        // A client that goes away never drains: stop reading the database then.
        if (!res.write(buf)) await new Promise((ok) => (res.once('drain', ok), res.once('close', ok)));
        if (res.destroyed) {
          await refs.return(undefined);
          return;
        }
        buf = '';
      }
    }
    res.end(buf + jobListXmlTail());
  }

  @Post(':type')
  @DeferredCsrf()
  @UseInterceptors(AnyFilesInterceptor())
  async create(
    @Param('type') type: string,
    @Req() req: Request,
    @Res() res: Response,
    @UploadedFiles() files: UploadedFile[] | undefined,
  ): Promise<void> {
    const uploads = files ?? [];
    let caller: Caller;
    try {
      // After the upload interceptor: a session form's _csrf field is checked here (see callerOf).
      caller = callerOf(req);
    } catch (e) {
      await Promise.all(uploads.map((u) => fs.promises.rm(u.path, { force: true })));
      throw e;
    }
    const rec = await this.jobs.create(type, requestParams(req), uploads, caller);
    seeOther(res, this.views.presenter.jobUrl(type, rec.id));
  }
}
