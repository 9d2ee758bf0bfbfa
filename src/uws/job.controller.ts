import { Controller, Delete, Get, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { callerOf } from '../common/caller';
import { badRequest, notFound } from '../common/domain.error';
import { JobWorkspace } from '../results/job.workspace';
import { JobRunner } from './job.runner';
import { JobService, single } from './job.service';
import { JobViews } from './job.views';
import { requestParams, sendText, sendXml, seeOther, wantsJson } from './http.util';
import { parametersXml, resultsXml } from './uws.xml.serializer';
import { parametersJson, resultsJson } from './uws.json.serializer';
import { formatUwsTime } from './uws-time';
import type { CollectedResult } from '../results/job.workspace';
import type { StoredParameters } from './job.presenter';

/**
 * Files a job wrote or a user uploaded are untrusted: an SVG or HTML result opened from our origin must not
 * run script, so it is served in a CSP sandbox and never MIME-sniffed.
 */
const UNTRUSTED_FILE_HEADERS = { 'Content-Security-Policy': 'sandbox', 'X-Content-Type-Options': 'nosniff' };

/** One job and its sub-resources (UWS 1.1 §2.2). Each handler is a lookup plus one service call. */
@Controller('rest/:type/:id')
export class JobController {
  constructor(
    @Inject(JobService) private readonly jobs: JobService,
    @Inject(JobRunner) private readonly runner: JobRunner,
    @Inject(JobViews) private readonly views: JobViews,
    @Inject(JobWorkspace) private readonly workspace: JobWorkspace,
  ) {}

  private jobUrl(type: string, id: string): string {
    return this.views.presenter.jobUrl(type, id);
  }

  @Get()
  async job(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const w = this.views.parseWait(requestParams(req));
    const gone = new AbortController();
    // Only a client that leaves early ends its wait (building the abort reason on every close is not free).
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const rec = await this.views.waitedJob(type, id, w, gone.signal, callerOf(req));
    if (res.destroyed) return;
    const json = wantsJson(req);
    const body = await this.views.document(rec, json);
    // Written directly: many woken waiters are answered at once, and Express's send adds per-response work.
    res.writeHead(200, {
      'Content-Type': json ? 'application/json; charset=utf-8' : 'application/xml; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  @Delete()
  async remove(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.jobs.destroy(await this.jobs.find(type, id, callerOf(req)), 'deleted by the client');
    seeOther(res, `${this.views.presenter.listUrl(type)}?LAST=100`);
  }

  /** ACTION=DELETE (browsers), else a parameter update like POST /parameters. */
  @Post()
  async post(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const params = requestParams(req);
    const rec = await this.jobs.find(type, id, callerOf(req));
    const action = single(params, 'ACTION');
    if (action !== undefined) {
      if (action.toUpperCase() !== 'DELETE') throw badRequest(`ACTION must be DELETE, got '${action}'`);
      await this.jobs.destroy(rec, 'deleted by the client');
      return seeOther(res, `${this.views.presenter.listUrl(type)}?LAST=100`);
    }
    if (single(params, 'PHASE') !== undefined) return this.changePhase(type, id, req, res);
    await this.jobs.updateParameters(rec, params);
    seeOther(res, this.jobUrl(type, id));
  }

  @Get('phase')
  async phase(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    sendText(res, (await this.jobs.find(type, id, callerOf(req))).phase);
  }

  @Post('phase')
  async changePhase(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const rec = await this.jobs.find(type, id, callerOf(req));
    const phase = single(requestParams(req), 'PHASE');
    if (phase === undefined) throw badRequest('PHASE is missing: send PHASE=RUN or PHASE=ABORT');
    const p = phase.toUpperCase();
    if (p === 'RUN') await this.runner.run(rec);
    else if (p === 'ABORT') await this.runner.abort(rec);
    else throw badRequest(`PHASE must be RUN or ABORT, got '${phase}'`);
    seeOther(res, this.jobUrl(type, id));
  }

  @Get('executionduration')
  async duration(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    sendText(res, String((await this.jobs.find(type, id, callerOf(req))).executionDuration));
  }

  @Post('executionduration')
  async setDuration(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.jobs.setExecutionDuration(await this.jobs.find(type, id, callerOf(req)), requestParams(req));
    seeOther(res, this.jobUrl(type, id));
  }

  @Get('destruction')
  async destruction(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const rec = await this.jobs.find(type, id, callerOf(req));
    sendText(res, rec.destruction ? formatUwsTime(new Date(Number(rec.destruction))) : '');
  }

  @Post('destruction')
  async setDestruction(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.jobs.setDestruction(await this.jobs.find(type, id, callerOf(req)), requestParams(req));
    seeOther(res, this.jobUrl(type, id));
  }

  @Get('quote')
  async quote(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const view = await this.views.view(await this.jobs.find(type, id, callerOf(req)));
    sendText(res, view.quote ? formatUwsTime(view.quote) : '');
  }

  @Get('error')
  async error(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const rec = await this.jobs.find(type, id, callerOf(req));
    sendText(res, rec.errorDetail ?? rec.errorMessage ?? '');
  }

  @Get('owner')
  async owner(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    sendText(res, (await this.jobs.find(type, id, callerOf(req))).ownerId ?? '');
  }

  @Get('parameters')
  async parameters(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const params = this.views.presenter.parameters(await this.jobs.find(type, id, callerOf(req)));
    if (wantsJson(req)) res.json(parametersJson(params));
    else sendXml(res, parametersXml(params));
  }

  @Post('parameters')
  async setParameters(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.jobs.updateParameters(await this.jobs.find(type, id, callerOf(req)), requestParams(req));
    seeOther(res, this.jobUrl(type, id));
  }

  /** One parameter's value: an uploaded file is served back, anything else as text. */
  @Get('parameters/:name')
  async parameter(@Param('type') type: string, @Param('id') id: string, @Param('name') name: string, @Req() req: Request, @Res() res: Response) {
    const rec = await this.jobs.find(type, id, callerOf(req));
    const stored = JSON.parse(rec.parameters) as StoredParameters;
    const v = stored.values.find((x) => x.name.toLowerCase() === name.toLowerCase());
    // RUNID is listed among the parameters (JobPresenter), so it is readable here too.
    if (!v && name.toUpperCase() === 'RUNID' && rec.runId) return sendText(res, rec.runId);
    if (!v) throw notFound(`Job '${id}' has no parameter '${name}'`);
    if (v.type !== 'file') return sendText(res, v.text.join('\n'));
    const file = await this.workspace.resolveFile(id, `inputs/${v.text[0]}`);
    if (!file) throw notFound(`The upload of parameter '${v.name}' is no longer stored`);
    res.type('application/octet-stream').sendFile(file, { dotfiles: 'allow', headers: UNTRUSTED_FILE_HEADERS });
  }

  /** PUT the raw value of one parameter (text/plain body) while PENDING. */
  @Put('parameters/:name')
  async putParameter(@Param('type') type: string, @Param('id') id: string, @Param('name') name: string, @Req() req: Request, @Res() res: Response) {
    const value = typeof req.body === 'string' ? req.body : undefined;
    if (value === undefined || value === '') throw badRequest('PUT a parameter value as a non-empty text/plain body');
    await this.jobs.updateParameters(await this.jobs.find(type, id, callerOf(req)), { [name]: [value] });
    seeOther(res, this.jobUrl(type, id));
  }

  @Get('results')
  async results(@Param('type') type: string, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const results = this.views.presenter.results(await this.jobs.find(type, id, callerOf(req)));
    if (wantsJson(req)) res.json(resultsJson(results));
    else sendXml(res, resultsXml(results));
  }

  @Get('results/:rid')
  async result(@Param('type') type: string, @Param('id') id: string, @Param('rid') rid: string, @Req() req: Request, @Res() res: Response) {
    const rec = await this.jobs.find(type, id, callerOf(req));
    const r = (JSON.parse(rec.results) as CollectedResult[]).find((x) => x.id === rid);
    if (!r) throw notFound(`Job '${id}' has no result '${rid}'`);
    const file = await this.workspace.resolveFile(id, r.file);
    if (!file) throw notFound(`The file of result '${rid}' is no longer stored`);
    const name = encodeURIComponent(r.file.split('/').pop() ?? rid);
    res.type(r.mimeType).sendFile(file, { dotfiles: 'allow', headers: { ...UNTRUSTED_FILE_HEADERS, 'Content-Disposition': `inline; filename="${name}"` } });
  }
}
