import { Logger } from '@nestjs/common';
import { JobPatch, JobRepository } from '../persistence/job.repository';
import { JobEvents } from './job.events';
import { Phase, PHASES } from './job.model';
import { JobEvent, nextPhase } from './phase.machine';

/**
 * The one writer of a job's phase. Each change is a conditional update ("… WHERE phase IN (legal sources)"),
 * so a user's ABORT, a manager's report and the reconciler can race without overwriting each other; the
 * loser's update simply matches no row. Every applied change wakes the job's waiters.
 */
export class JobStateService {
  private readonly logger = new Logger('JobState');
  private readonly sources = new Map<JobEvent, { from: Phase[]; to: Phase }>();

  constructor(
    private readonly repo: JobRepository,
    private readonly events: JobEvents,
  ) {}

  private table(event: JobEvent): { from: Phase[]; to: Phase } {
    let t = this.sources.get(event);
    if (!t) {
      const from = PHASES.filter((p) => nextPhase(p, event) !== undefined);
      t = { from, to: nextPhase(from[0], event)! };
      this.sources.set(event, t);
    }
    return t;
  }

  /** The phase `event` leads to (undefined if it is illegal from `from`). */
  target(from: Phase, event: JobEvent): Phase | undefined {
    return nextPhase(from, event);
  }

  /** Applies `event` with extra column changes; returns the new phase, or undefined if it did not apply. */
  async apply(jobId: string, event: JobEvent, patch: JobPatch = {}, reason = ''): Promise<Phase | undefined> {
    const { from, to } = this.table(event);
    const applied = await this.repo.updateIfPhase(jobId, from, { ...patch, phase: to });
    if (!applied) {
      this.logger.debug(`job ${jobId}: ${event} not applicable in its current phase`);
      return undefined;
    }
    this.logger.log(`job ${jobId}: phase ${to} (${event}${reason ? `: ${reason}` : ''})`);
    this.events.phaseChanged(jobId, to);
    return to;
  }

  forget(jobId: string): void {
    this.events.jobGone(jobId);
  }
}
