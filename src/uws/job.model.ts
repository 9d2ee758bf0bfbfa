/** UWS domain types shared by the job service, the serializers and persistence mapping. */

export const PHASES = [
  'PENDING',
  'QUEUED',
  'EXECUTING',
  'COMPLETED',
  'ERROR',
  'ABORTED',
  'UNKNOWN',
  'HELD',
  'SUSPENDED',
  'ARCHIVED',
] as const;
export type Phase = (typeof PHASES)[number];

export const ACTIVE_PHASES: readonly Phase[] = ['PENDING', 'QUEUED', 'EXECUTING'];
export const FINAL_PHASES: readonly Phase[] = ['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED'];

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

export interface JobParameterView {
  id: string;
  /** Text value, or a URL when byReference. */
  value: string;
  byReference: boolean;
}

export interface JobResultView {
  id: string;
  /** Absolute URL of the result. */
  href: string;
  size?: number;
  mimeType?: string;
}

export interface ErrorSummaryView {
  type: 'transient' | 'fatal';
  hasDetail: boolean;
  message: string;
}

/** Everything a <uws:job> document shows, already resolved to absolute URLs and Dates. */
export interface JobView {
  jobId: string;
  jobType: string;
  runId?: string;
  ownerId?: string;
  phase: Phase;
  quote?: Date;
  creationTime: Date;
  startTime?: Date;
  endTime?: Date;
  executionDuration: number;
  destruction?: Date;
  parameters: JobParameterView[];
  results: JobResultView[];
  errorSummary?: ErrorSummaryView;
  /** Free-form implementation info: simple name → text pairs, rendered as child elements of jobInfo. */
  jobInfo?: Record<string, string>;
}

/** One <uws:jobref>. */
export interface JobRefView {
  jobId: string;
  href: string;
  phase: Phase;
  runId?: string;
  ownerId?: string;
  creationTime: Date;
}

/** Parsed job-list filters (UWS 1.1 §2.2.2.1). */
export interface JobListFilter {
  phases?: Phase[];
  after?: Date;
  last?: number;
}
