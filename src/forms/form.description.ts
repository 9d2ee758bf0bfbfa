import type { JobDescriptor, ParamChoice, ParamDescriptor, ParamType } from '../descriptor/descriptor.types';

/**
 * A job type's creation form as data, for programs (GET /forms/:type/description) and as the model the HTML
 * form is rendered from, so that the page and the JSON can never disagree.
 */

/**
 * The kind of control that suits a parameter. `checkbox` means "a boolean toggle": the HTML form renders it as
 * a true/false radio pair, so that exactly one value is sent whatever the user does (a checkbox plus a hidden
 * "false" companion would send two values for a checked box, which a non-repeating parameter refuses).
 */
export type FormInput = 'number' | 'select' | 'checkbox' | 'file' | 'url' | 'text' | 'datetime';

export interface FormParameter {
  name: string;
  type: ParamType;
  required: boolean;
  default: string | null;
  repeating: boolean;
  /** A value the user cannot change: the server uses it whatever is sent. */
  fixed: string | null;
  choices: ParamChoice[] | null;
  min: number | null;
  max: number | null;
  unit: string | null;
  pattern: string | null;
  /** Bytes; file parameters only. */
  maxSize: number | null;
  doc: string | null;
  input: FormInput;
}

export interface FormResult {
  id: string;
  mediaType: string;
  file: string;
  doc: string | null;
}

export interface FormDescription {
  type: string;
  description: string;
  /** Where and how to post a new job (send PHASE=RUN as well to start it at once). */
  submit: { url: string; method: 'POST'; enctype: 'multipart/form-data' };
  parameters: FormParameter[];
  results: FormResult[];
  /** Seconds: what a job gets when EXECUTIONDURATION is not sent, and the most it may ask for. */
  executionDuration: { default: number; max: number };
  /** Expected run time in seconds, when the job type declares one. */
  quote: number | null;
}

/** What the service adds to the descriptor: where it is, and its own execution duration limits. */
export interface FormContext {
  /** Public base URL, no trailing slash. */
  baseUrl: string;
  /** Seconds, used when the job type declares no default. */
  defaultExecutionDuration: number;
  /** Seconds, the service's upper bound. */
  maxExecutionDuration: number;
}

export function jobListUrl(baseUrl: string, type: string): string {
  return `${baseUrl}/rest/${encodeURIComponent(type)}`;
}

/** The pages and documents the web module serves for a job type. */
export function formUrls(baseUrl: string, type: string) {
  const t = encodeURIComponent(type);
  return {
    index: `${baseUrl}/forms`,
    form: `${baseUrl}/forms/${t}`,
    description: `${baseUrl}/forms/${t}/description`,
    wadl: `${baseUrl}/wadl/${t}`,
    jobList: jobListUrl(baseUrl, type),
  };
}

const NUMERIC: ReadonlySet<ParamType> = new Set(['int', 'long', 'integer', 'double', 'float']);

export function inputFor(p: Pick<ParamDescriptor, 'type' | 'choices'>): FormInput {
  if (p.choices && p.choices.length > 0) return 'select';
  if (NUMERIC.has(p.type)) return 'number';
  switch (p.type) {
    case 'boolean':
      return 'checkbox';
    case 'file':
      return 'file';
    case 'anyURI':
      return 'url';
    case 'dateTime':
      return 'datetime';
    default:
      return 'text';
  }
}

export function describeParameter(p: ParamDescriptor): FormParameter {
  return {
    name: p.name,
    type: p.type,
    required: p.required,
    default: p.default ?? null,
    repeating: p.repeating,
    fixed: p.fixed ?? null,
    choices: p.choices && p.choices.length > 0 ? p.choices.map((c) => ({ ...c })) : null,
    min: p.min ?? null,
    max: p.max ?? null,
    unit: p.unit ?? null,
    pattern: p.pattern ?? null,
    maxSize: p.maxSize ?? null,
    doc: p.doc ?? null,
    input: inputFor(p),
  };
}

/** The execution duration a job really gets, by the same rules as job creation (the smaller maximum wins). */
export function effectiveExecutionDuration(d: JobDescriptor, ctx: FormContext): { default: number; max: number } {
  const max = Math.min(ctx.maxExecutionDuration, d.executionDuration.max || Number.MAX_SAFE_INTEGER);
  return { default: Math.min(d.executionDuration.default ?? ctx.defaultExecutionDuration, max), max };
}

export function describeForm(d: JobDescriptor, ctx: FormContext): FormDescription {
  return {
    type: d.type,
    description: d.description,
    submit: { url: jobListUrl(ctx.baseUrl, d.type), method: 'POST', enctype: 'multipart/form-data' },
    parameters: d.parameters.map(describeParameter),
    results: d.results.map((r) => ({ id: r.id, mediaType: r.mediaType, file: r.file, doc: r.doc ?? null })),
    executionDuration: effectiveExecutionDuration(d, ctx),
    quote: d.quote ?? null,
  };
}
