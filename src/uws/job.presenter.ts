import type { JobRecord } from '../persistence/job.entity';
import type { JobRefRow } from '../persistence/job.repository';
import type { CollectedResult } from '../results/job.workspace';
import type { JobValue } from '../parameters/parameters.types';
import type { ResourceChoice } from './resource.overrides';
import { JobParameterView, JobRefView, JobView, Phase } from './job.model';

/** What a job row keeps in its `parameters` column. */
export interface StoredParameters {
  values: JobValue[];
  /** Cluster resources the user chose (within the job type's limits). */
  resources?: ResourceChoice;
}

const date = (ms?: number | null) => (ms === null || ms === undefined ? undefined : new Date(Number(ms)));

/** Builds the representations' view models from rows; every URL is absolute, from BASE_URL. */
export class JobPresenter {
  constructor(private readonly baseUrl: string) {}

  listUrl(type: string): string {
    return `${this.baseUrl}/rest/${encodeURIComponent(type)}`;
  }

  jobUrl(type: string, id: string): string {
    return `${this.listUrl(type)}/${encodeURIComponent(id)}`;
  }

  parameters(rec: JobRecord): JobParameterView[] {
    const stored = JSON.parse(rec.parameters) as StoredParameters;
    const out: JobParameterView[] = [];
    if (rec.runId) out.push({ id: 'RUNID', value: rec.runId, byReference: false });
    const r = stored.resources ?? {};
    if (r.cpus !== undefined) out.push({ id: 'cpus', value: String(r.cpus), byReference: false });
    if (r.memoryMB !== undefined) out.push({ id: 'memory', value: String(r.memoryMB), byReference: false });
    if (r.partition !== undefined) out.push({ id: 'partition', value: r.partition, byReference: false });
    for (const v of stored.values) {
      if (v.type === 'file') {
        const href = `${this.jobUrl(rec.type, rec.id)}/parameters/${encodeURIComponent(v.name)}`;
        out.push({ id: v.name, value: href, byReference: true });
      } else if (v.type === 'anyURI') {
        for (const t of v.text) out.push({ id: v.name, value: t, byReference: true });
      } else {
        for (const t of v.text) out.push({ id: v.name, value: t, byReference: false });
      }
    }
    return out;
  }

  results(rec: JobRecord) {
    const list = JSON.parse(rec.results) as CollectedResult[];
    return list.map((r) => ({
      id: r.id,
      href: `${this.jobUrl(rec.type, rec.id)}/results/${encodeURIComponent(r.id)}`,
      size: r.size,
      mimeType: r.mimeType,
    }));
  }

  job(rec: JobRecord, quote: Date | undefined): JobView {
    const info = rec.jobInfo ? (JSON.parse(rec.jobInfo) as Record<string, string>) : undefined;
    return {
      jobId: rec.id,
      jobType: rec.type,
      runId: rec.runId ?? undefined,
      ownerId: rec.ownerId ?? undefined,
      phase: rec.phase as Phase,
      quote,
      creationTime: new Date(Number(rec.creationTime)),
      startTime: date(rec.startTime),
      endTime: date(rec.endTime),
      executionDuration: rec.executionDuration,
      destruction: date(rec.destruction),
      parameters: this.parameters(rec),
      results: this.results(rec),
      errorSummary: rec.errorMessage
        ? {
            type: rec.errorType === 'transient' ? 'transient' : 'fatal',
            hasDetail: !!rec.errorDetail,
            message: rec.errorMessage,
          }
        : undefined,
      jobInfo: info && Object.keys(info).length ? info : undefined,
    };
  }

  ref(type: string, row: JobRefRow): JobRefView {
    return {
      jobId: row.id,
      href: this.jobUrl(type, row.id),
      phase: row.phase as Phase,
      runId: row.runId ?? undefined,
      ownerId: row.ownerId ?? undefined,
      creationTime: new Date(Number(row.creationTime)),
    };
  }
}
