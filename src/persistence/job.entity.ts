import { BigIntType, EntitySchema } from '@mikro-orm/core';

/**
 * One row per job. Times are epoch milliseconds (a TypeScript Date's precision), so that AFTER compares
 * against exactly what the XML shows. Parameters and results are small JSON texts read with the job in one
 * row fetch; the job list never reads them.
 */
export class JobRecord {
  id!: string;
  type!: string;
  runId?: string | null;
  ownerId?: string | null;
  phase!: string;
  creationTime!: number;
  startTime?: number | null;
  endTime?: number | null;
  executionDuration!: number;
  destruction?: number | null;
  quote?: number | null;
  errorType?: string | null;
  errorMessage?: string | null;
  errorDetail?: string | null;
  /** The execution manager's reference (pid, SLURM job id): opaque here. */
  externalRef?: string | null;
  /** Content hash of the plugin version (descriptor + template) the job was created with. */
  pluginHash!: string;
  /** JSON: stored job values. */
  parameters!: string;
  /** JSON: collected results. */
  results!: string;
  /** JSON: implementation info (manager details) shown in jobInfo. */
  jobInfo?: string | null;
}

const ms = () => new BigIntType('number');

export const JobSchema = new EntitySchema<JobRecord>({
  class: JobRecord,
  tableName: 'uws_job',
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    type: { type: 'string', length: 128 },
    runId: { type: 'text', nullable: true },
    ownerId: { type: 'string', length: 255, nullable: true },
    phase: { type: 'string', length: 16 },
    creationTime: { type: ms() },
    startTime: { type: ms(), nullable: true },
    endTime: { type: ms(), nullable: true },
    executionDuration: { type: 'integer' },
    destruction: { type: ms(), nullable: true },
    quote: { type: ms(), nullable: true },
    errorType: { type: 'string', length: 16, nullable: true },
    errorMessage: { type: 'text', nullable: true },
    errorDetail: { type: 'text', nullable: true },
    externalRef: { type: 'string', length: 255, nullable: true },
    pluginHash: { type: 'string', length: 64 },
    parameters: { type: 'text' },
    results: { type: 'text' },
    jobInfo: { type: 'text', nullable: true },
  },
});

/** A plugin version as jobs saw it: kept so a job runs with the WADL and template it was created with. */
export class PluginVersionRecord {
  hash!: string;
  type!: string;
  descriptor!: string;
  template!: string;
  createdAt!: number;
}

export const PluginVersionSchema = new EntitySchema<PluginVersionRecord>({
  class: PluginVersionRecord,
  tableName: 'uws_plugin_version',
  properties: {
    hash: { type: 'string', primary: true, length: 64 },
    type: { type: 'string', length: 128 },
    descriptor: { type: 'text' },
    template: { type: 'text' },
    createdAt: { type: ms() },
  },
});
