import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { authOf, callerOf, csrfOf, ownerIdOf } from '../common/caller';
import { badRequest, DomainError, httpStatusOf } from '../common/domain.error';
import { sendHtmlPage } from '../common/html-page';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { describeForm } from '../forms/form.description';
import { HtmlFormRenderer, PageOptions } from '../forms/html-form.renderer';
import { PluginCatalogue } from '../plugins/plugin.catalogue';
import { ACTIVE_PHASES, isPhase } from '../uws/job.model';
import type { StoredParameters } from '../uws/job.presenter';
import { JobService } from '../uws/job.service';
import { JobViews } from '../uws/job.views';
import { readFitsHeaders, NotFitsError } from './fits-header';
import { JobEventHub } from './job-event.hub';
import { jobLinks, JobPagesRenderer, ListFilters } from './job-pages.renderer';

const PAGE_SIZES = { min: 5, default: 25, max: 100 };

/** The first value of a query parameter, when it is a non-empty string. */
function q(req: Request, name: string): string | undefined {
  const v = req.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : undefined;
}

/** "<creation ms>.<id>": the keyset cursor of the job list's pages (no offsets). */
function parseCursor(text: string | undefined): { t: number; id: string } | undefined {
  const m = text ? /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(text) : null;
  return m ? { t: Number(m[1]), id: m[2] } : undefined;
}

/** Open live-phase streams allowed per caller (anonymous callers share one allowance) and in all. */
const STREAMS_PER_CALLER = 20;
const STREAMS_TOTAL = 2000;

/**
 * The web client's job pages: the list of the caller's jobs over every type (GET /jobs), one job's details
 * (GET /jobs/{type}/{id}) and its parameter editor, the FITS header summary of a result, and the live phase
 * stream (GET /jobs/events, server-sent events). Buttons post to the UWS resources themselves.
 */
@Controller('jobs')
export class JobsController {
  private readonly basePath: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JobService) private readonly jobs: JobService,
    @Inject(JobViews) private readonly views: JobViews,
    @Inject(PluginCatalogue) private readonly catalogue: PluginCatalogue,
    @Inject(JobEventHub) private readonly hub: JobEventHub,
    @Inject(JobPagesRenderer) private readonly pages: JobPagesRenderer,
    @Inject(HtmlFormRenderer) private readonly forms: HtmlFormRenderer,
  ) {
    this.basePath = new URL(config.baseUrl).pathname.replace(/\/$/, '');
  }

  @Get()
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = callerOf(req);
    const phase = q(req, 'phase');
    const filters: ListFilters = {
      type: q(req, 'type'),
      phase: phase === 'ACTIVE' || (phase !== undefined && isPhase(phase)) ? phase : undefined,
      sort: q(req, 'sort') === 'oldest' ? 'oldest' : 'newest',
      size: Math.min(PAGE_SIZES.max, Math.max(PAGE_SIZES.min, Number(q(req, 'size')) || PAGE_SIZES.default)),
      owner: caller.admin ? q(req, 'owner') : undefined,
    };
    const cursor = parseCursor(q(req, 'cursor'));
    const rows = await this.views.browse(
      {
        type: filters.type,
        phases: filters.phase === 'ACTIVE' ? [...ACTIVE_PHASES] : filters.phase ? [filters.phase] : undefined,
        owner: filters.owner,
        cursor,
        oldestFirst: filters.sort === 'oldest',
        limit: filters.size + 1,
      },
      caller,
    );
    const more = rows.length > filters.size;
    const shown = rows.slice(0, filters.size);
    for (const r of shown) this.hub.remember(r.id, r.type, r.ownerId ?? null);
    const query = (extra: Record<string, string>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ type: filters.type, phase: filters.phase, owner: filters.owner })) if (v) p.set(k, v);
      if (filters.sort !== 'newest') p.set('sort', filters.sort);
      if (filters.size !== PAGE_SIZES.default) p.set('size', String(filters.size));
      for (const [k, v] of Object.entries(extra)) p.set(k, v);
      const s = p.toString();
      return `${this.basePath}/jobs${s ? `?${s}` : ''}`;
    };
    const last = shown[shown.length - 1];
    const origin = new URL(this.config.baseUrl).origin;
    this.page(req, res, 200, (opts) =>
      this.pages.list(
        {
          rows: shown,
          types: this.catalogue.list().map((e) => e.type),
          filters,
          admin: caller.admin,
          back: cursor ? query({ cursor: `${cursor.t}.${cursor.id}` }) : query({}),
          next: more && last ? `${origin}${query({ cursor: `${last.creationTime}.${last.id}` })}` : null,
          first: cursor ? `${origin}${query({})}` : null,
          events: `${this.config.baseUrl}/jobs/events`,
        },
        opts,
        q(req, 'fragment') === '1',
      ),
    );
  }

  /** Server-sent events: `phase` events for the caller's jobs (administrators: all), a comment every ~20 s. */
  @Get('events')
  events(@Req() req: Request, @Res() res: Response): void {
    const caller = callerOf(req);
    // Each stream holds a connection: a bounded number per caller (a few tabs) and in all.
    if (this.hub.countFor(ownerIdOf(caller)) >= STREAMS_PER_CALLER || this.hub.size >= STREAMS_TOTAL) {
      throw new DomainError('RATE_LIMITED', 'Too many open event streams: close a page of the job list first', [], { 'Retry-After': '10' });
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    res.write('retry: 3000\n: connected\n\n');
    const remove = this.hub.add({
      owner: ownerIdOf(caller),
      admin: caller.admin,
      write: (chunk) => {
        if (res.writableEnded) return;
        res.write(chunk);
        // A client that stopped reading is let go rather than buffered without end.
        if (res.writableLength > 1 << 20) res.end();
      },
      end: () => res.end(),
    });
    res.on('close', remove);
  }

  @Get(':type/:id')
  async details(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.guarded(req, res, async () => {
      const rec = await this.jobs.find(type, id, callerOf(req));
      this.hub.remember(rec.id, rec.type, rec.ownerId ?? null);
      const view = await this.views.view(rec);
      const stored = JSON.parse(rec.parameters) as StoredParameters;
      const again = new URLSearchParams();
      if (rec.runId) again.append('RUNID', rec.runId);
      again.append('EXECUTIONDURATION', String(rec.executionDuration));
      const uploads: string[] = [];
      for (const v of stored.values) {
        if (v.type === 'file') uploads.push(v.name);
        else for (const t of v.text) again.append(v.name, t);
      }
      this.page(req, res, 200, (opts) =>
        this.pages.details(
          {
            view,
            errorDetail: rec.errorDetail ?? null,
            runAgain: `${this.config.baseUrl}/forms/${encodeURIComponent(type)}?${again}`,
            uploads,
            back: `${this.basePath}/jobs/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
            list: `${this.basePath}/jobs`,
            events: `${this.config.baseUrl}/jobs/events`,
          },
          opts,
          q(req, 'fragment') === '1',
        ),
      );
    });
  }

  /** The job's creation form, filled with its values, posting to its parameters (PENDING jobs only). */
  @Get(':type/:id/edit')
  async edit(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.guarded(req, res, async () => {
      const rec = await this.jobs.find(type, id, callerOf(req));
      const links = jobLinks(this.config.baseUrl, type, id);
      if (rec.phase !== 'PENDING') {
        res.redirect(303, links.details);
        return;
      }
      const d = await this.jobs.versionDescriptor(rec);
      const form = describeForm(d, {
        baseUrl: this.config.baseUrl,
        defaultExecutionDuration: this.config.defaultExecutionDuration,
        maxExecutionDuration: this.config.maxExecutionDuration,
      });
      const stored = JSON.parse(rec.parameters) as StoredParameters;
      const values = Object.fromEntries(stored.values.map((v) => [v.name, v.text]));
      const back = `${this.basePath}/jobs/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
      this.page(req, res, 200, (opts) =>
        this.forms.form(form, opts, {
          values,
          runId: rec.runId ?? undefined,
          edit: { action: `${links.rest}/parameters`, redirect: back, jobId: rec.id, details: links.details },
        }),
      );
    });
  }

  /** The headers of a FITS result, HDU by HDU (JSON); the data is never read. 400 for a file that is not FITS. */
  @Get(':type/:id/results/:rid/fits-header')
  async fitsHeader(@Param('type') type: string, @Param('id') id: string, @Param('rid') rid: string, @Req() req: Request, @Res() res: Response) {
    const rec = await this.jobs.find(type, id, callerOf(req));
    const file = await this.views.resultFile(rec, rid);
    try {
      const summary = await readFitsHeaders(file.path);
      res.status(200).set('Cache-Control', 'no-store').json({ jobId: rec.id, result: rid, mimeType: file.mimeType, ...summary });
    } catch (e) {
      if (e instanceof NotFitsError) throw badRequest(`Result '${rid}' is not a FITS file: ${e.message}`);
      throw e;
    }
  }

  /** A page's domain error (403 for another user's job, 404…) as an HTML error page. */
  private async guarded(req: Request, res: Response, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      if (!(e instanceof DomainError) || res.headersSent) throw e;
      const status = httpStatusOf(e.code);
      const title = status === 403 ? 'Forbidden' : status === 404 ? 'Not found' : 'Error';
      this.page(req, res, status, (opts) => this.forms.error(status, title, e.message, opts), e.headers);
    }
  }

  private page(req: Request, res: Response, status: number, render: (opts: PageOptions) => string, headers: Record<string, string> = {}): void {
    const csrf = csrfOf(req);
    const user = csrf ? authOf(req)?.caller.name : undefined;
    sendHtmlPage(res, status, this.config.baseUrl, (nonce) => render({ baseUrl: this.config.baseUrl, nonce, csrf, user }), headers);
  }
}
