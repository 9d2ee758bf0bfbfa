/**
 * JSON views of the UWS resources, for the browser client and scripts (UWS itself only defines XML).
 * They mirror the XML documents field for field, so the two can never tell different stories:
 * - every field is always present; "no value" is `null`, as xsi:nil is in the XML;
 * - times are the same strings as in the XML (formatUwsTime: ISO 8601 UTC with ms and Z);
 * - parameters are an object keyed by parameter id. An inline value is the plain string; a value held by
 *   reference is `{ value: <url>, byReference: true }`, so the common case stays a flat name → value map
 *   and a reference can't be mistaken for a value. Ids are unique within a job (the service normalises
 *   them case-insensitively); should one repeat anyway, the last one wins.
 */
import {
  ErrorSummaryView,
  JobParameterView,
  JobRefView,
  JobResultView,
  JobView,
  Phase,
} from './job.model';
import { formatUwsTime } from './uws-time';

export type ParameterJson = string | { value: string; byReference: true };
export type ParametersJson = Record<string, ParameterJson>;

export interface ResultJson {
  id: string;
  href: string;
  size: number | null;
  mimeType: string | null;
}

export interface JobJson {
  jobId: string;
  jobType: string;
  runId: string | null;
  ownerId: string | null;
  phase: Phase;
  quote: string | null;
  creationTime: string;
  startTime: string | null;
  endTime: string | null;
  executionDuration: number;
  destruction: string | null;
  parameters: ParametersJson;
  results: ResultJson[];
  errorSummary: ErrorSummaryView | null;
  jobInfo: Record<string, string> | null;
}

export interface JobRefJson {
  jobId: string;
  href: string;
  phase: Phase;
  runId: string | null;
  ownerId: string | null;
  creationTime: string;
}

export interface JobListJson {
  jobs: JobRefJson[];
}

function time(d: Date | undefined): string | null {
  return d === undefined ? null : formatUwsTime(d);
}

export function jobJson(v: JobView): JobJson {
  return {
    jobId: v.jobId,
    jobType: v.jobType,
    runId: v.runId ?? null,
    ownerId: v.ownerId ?? null,
    phase: v.phase,
    quote: time(v.quote),
    creationTime: formatUwsTime(v.creationTime),
    startTime: time(v.startTime),
    endTime: time(v.endTime),
    executionDuration: v.executionDuration,
    destruction: time(v.destruction),
    parameters: parametersJson(v.parameters),
    results: resultsJson(v.results),
    errorSummary: v.errorSummary
      ? { type: v.errorSummary.type, hasDetail: v.errorSummary.hasDetail, message: v.errorSummary.message }
      : null,
    jobInfo: v.jobInfo ? { ...v.jobInfo } : null,
  };
}

export function jobRefJson(r: JobRefView): JobRefJson {
  return {
    jobId: r.jobId,
    href: r.href,
    phase: r.phase,
    runId: r.runId ?? null,
    ownerId: r.ownerId ?? null,
    creationTime: formatUwsTime(r.creationTime),
  };
}

export function jobListJson(refs: Iterable<JobRefView>): JobListJson {
  return { jobs: Array.from(refs, jobRefJson) };
}

export function resultsJson(results: readonly JobResultView[]): ResultJson[] {
  return results.map((r) => ({ id: r.id, href: r.href, size: r.size ?? null, mimeType: r.mimeType ?? null }));
}

export function parametersJson(params: readonly JobParameterView[]): ParametersJson {
  // A null prototype: a parameter named `__proto__` must be data, not a prototype change.
  const out: ParametersJson = Object.create(null);
  for (const p of params) out[p.id] = p.byReference ? { value: p.value, byReference: true } : p.value;
  return out;
}
