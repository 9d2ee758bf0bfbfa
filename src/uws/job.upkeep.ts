import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app.config';
import { Clock } from '../common/clock';
import { JobRepository } from '../persistence/job.repository';
import { JobRunner } from './job.runner';
import { JobService } from './job.service';

/** Background duties: the reconciler (catches lost reports and restarts) and the destruction reaper. */
export class JobUpkeep {
  private readonly logger = new Logger('Upkeep');
  private timers: NodeJS.Timeout[] = [];
  private reaping = false;
  private reconciling = false;

  constructor(
    private readonly config: AppConfig,
    private readonly repo: JobRepository,
    private readonly jobs: JobService,
    private readonly runner: JobRunner,
    private readonly clock: Clock,
  ) {}

  async start(): Promise<void> {
    await this.reconcile();
    await this.reap();
    this.timers.push(setInterval(() => void this.reconcile(), this.config.reconcileIntervalSeconds * 1000));
    this.timers.push(setInterval(() => void this.reap(), this.config.reaperIntervalSeconds * 1000));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async reconcile(): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      await this.runner.reconcile();
    } catch (e) {
      this.logger.error(`reconcile failed: ${(e as Error).message}`);
    } finally {
      this.reconciling = false;
    }
  }

  /** Destroys (or archives) every job whose destruction time has come, in bounded batches. */
  async reap(): Promise<number> {
    if (this.reaping) return 0;
    this.reaping = true;
    let n = 0;
    try {
      for (;;) {
        const due = await this.repo.findDestroyable(this.clock.now().getTime(), 200);
        const todo = due.filter((r) => r.phase !== 'ARCHIVED');
        for (const rec of todo) {
          await this.jobs.destroy(rec, 'destruction time reached');
          n++;
        }
        if (due.length < 200) break;
      }
    } catch (e) {
      this.logger.error(`reaper failed: ${(e as Error).message}`);
    } finally {
      this.reaping = false;
    }
    return n;
  }
}
