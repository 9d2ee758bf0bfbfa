import type { JobRecord } from './job.entity';

export interface JobListQuery {
  type: string;
  phases?: string[];
  /** Strictly after, epoch ms. */
  afterMs?: number;
  last?: number;
  /** Only this owner's jobs; null: only jobs without owner (anonymous); undefined: everyone's. */
  ownerId?: string | null;
  /** Phases left out unless asked for (ARCHIVED). */
  hiddenPhases: string[];
}

export type JobRefRow = Pick<JobRecord, 'id' | 'phase' | 'runId' | 'ownerId' | 'creationTime'>;

/** What a job list entry reads of a row. */
export const REF_FIELDS = ['id', 'phase', 'runId', 'ownerId', 'creationTime'] as const;

/** Where the next page of a job list starts: strictly before this (creation time, id), newest first. */
export interface ListCursor {
  t: number;
  id: string;
}
