/** The job type as the host understands it, parsed from a plugin's WADL. Plain data, JSON-serialisable. */

export type ParamType =
  | 'string'
  | 'int'
  | 'long'
  | 'integer'
  | 'double'
  | 'float'
  | 'boolean'
  | 'dateTime'
  | 'anyURI'
  | 'file';

export interface ParamChoice {
  value: string;
  doc?: string;
}

export interface ParamDescriptor {
  /** Spelling as given in the WADL; matched case-insensitively. */
  name: string;
  type: ParamType;
  required: boolean;
  /** Default in its lexical (string) form, as written in the WADL. */
  default?: string;
  repeating: boolean;
  /** A fixed value: the parameter cannot be set by the user. */
  fixed?: string;
  choices?: ParamChoice[];
  min?: number;
  max?: number;
  unit?: string;
  pattern?: string;
  /** Largest accepted upload, bytes (file parameters). */
  maxSize?: number;
  doc?: string;
  /** 1-based line of the <param> element in the WADL. */
  line?: number;
}

export interface ResultDescriptor {
  /** The result's name (UWS result id). */
  id: string;
  mediaType: string;
  /** File name or glob (relative to the job's work directory) that the job writes. */
  file: string;
  doc?: string;
}

export interface ResourceLimit {
  default?: number | string;
  /** True when a user may override this value per job, within min/max. */
  overridable: boolean;
  min?: number;
  max?: number;
}

export interface ClusterResources {
  cpus?: ResourceLimit;
  /** Memory in MB. */
  memory?: ResourceLimit;
  partition?: ResourceLimit;
}

export interface JobDescriptor {
  /** Folder name under plugins/: the job list's last URL segment. */
  type: string;
  description: string;
  parameters: ParamDescriptor[];
  results: ResultDescriptor[];
  /** Execution duration in seconds: default, and optional maximum declared by the WADL. */
  executionDuration: { default?: number; max?: number };
  /** Quote (expected run time) in seconds, when the WADL gives one. */
  quote?: number;
  resources: ClusterResources;
}

export interface LintMessage {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based line, 0 when not known. */
  line: number;
  message: string;
}

export interface ParseOutcome {
  /** Present only when there is no error-severity message. */
  descriptor?: JobDescriptor;
  messages: LintMessage[];
}
