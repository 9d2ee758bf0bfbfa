import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { badRequest, forbidden } from '../common/domain.error';
import type { ExecStatus } from '../execution/job-manager.port';
import { JobRepository } from '../persistence/job.repository';
import { requestParams } from './http.util';
import { JobRunner } from './job.runner';
import { single } from './job.service';
import { JobTokens } from './job-token';

/**
 * Where the job wrapper reports its phases from the cluster: POST /callbacks/job-event with jobId, token,
 * phase (EXECUTING, COMPLETED, ERROR, ABORTED), exitCode and message. A wrong token is refused and logged;
 * repeated or late reports are harmless because every change goes through the state machine.
 */
@Controller('callbacks')
export class CallbackController {
  private readonly logger = new Logger('Callback');

  constructor(
    @Inject(JobTokens) private readonly tokens: JobTokens,
    @Inject(JobRepository) private readonly repo: JobRepository,
    @Inject(JobRunner) private readonly runner: JobRunner,
  ) {}

  @Post('job-event')
  @HttpCode(204)
  async event(@Req() req: Request, @Res() res: Response): Promise<void> {
    const p = requestParams(req);
    const jobId = single(p, 'jobId') ?? '';
    const token = single(p, 'token') ?? '';
    const phase = (single(p, 'phase') ?? '').toUpperCase();
    if (!jobId || !this.tokens.verify(jobId, token)) {
      this.logger.warn(`job ${jobId || '?'}: event ${phase || '?'} refused: bad token (from ${req.ip})`);
      throw forbidden('Invalid job event token');
    }
    const rec = await this.repo.findById(jobId);
    if (!rec) {
      res.status(204).end();
      return;
    }
    const code = Number(single(p, 'exitCode') ?? '');
    const exitCode = Number.isInteger(code) ? code : undefined;
    const message = (single(p, 'message') ?? '').slice(-4096);
    let status: ExecStatus;
    switch (phase) {
      case 'EXECUTING':
        status = { state: 'running' };
        break;
      case 'COMPLETED':
        status = { state: 'completed', exitCode: 0 };
        break;
      case 'ERROR':
        status = { state: 'failed', exitCode, message: `The job exited with code ${exitCode ?? '?'}`, stderrTail: message };
        break;
      case 'ABORTED':
        status = this.runner.stoppedByScheduler(rec);
        break;
      default:
        throw badRequest(`phase must be EXECUTING, COMPLETED, ERROR or ABORTED, got '${phase}'`);
    }
    this.logger.log(`job ${jobId}: event ${phase}${exitCode !== undefined ? ` (exit ${exitCode})` : ''}`);
    this.runner.onStatus(jobId, status);
    res.status(204).end();
  }
}
