import type { JobDescriptor, ParamDescriptor } from '../descriptor/descriptor.types';
import { checkValue, type CheckedValue, fieldError, show } from './parameter.check';
import type { FieldError, JobValue, ValidationOutcome } from './parameters.types';

/**
 * Request values → typed, defaulted job values, or every field error at once (a form shows them all).
 * Pure: the caller decides what a refusal means (400 on creation, 400 on a PENDING job's update).
 */

/** UWS control parameters travel in the same request as job parameters but are not theirs to validate. */
const CONTROL_NAMES: ReadonlySet<string> = new Set(['PHASE', 'RUNID', 'EXECUTIONDURATION', 'DESTRUCTION', 'ACTION']);

export interface ValidateOptions {
  /** A parameter update on a PENDING job: validate only the names given, then merge over `previous`. */
  partial?: boolean;
  previous?: JobValue[];
}

interface Index {
  byName: ReadonlyMap<string, ParamDescriptor>;
  position: ReadonlyMap<string, number>;
}

const indexCache = new WeakMap<JobDescriptor, Index>();

function indexOf(desc: JobDescriptor): Index {
  let index = indexCache.get(desc);
  if (!index) {
    index = {
      byName: new Map(desc.parameters.map((p) => [p.name.toLowerCase(), p])),
      position: new Map(desc.parameters.map((p, i) => [p.name.toLowerCase(), i])),
    };
    indexCache.set(desc, index);
  }
  return index;
}

/** Group the request by declared parameter; `Emin` and `emin` in one request are one parameter's values. */
function groupRequest(desc: JobDescriptor, raw: Record<string, string[]>, errors: FieldError[]): Map<ParamDescriptor, string[]> {
  const { byName } = indexOf(desc);
  const given = new Map<ParamDescriptor, string[]>();
  for (const [key, values] of Object.entries(raw)) {
    if (values.length === 0 || CONTROL_NAMES.has(key.toUpperCase())) continue;
    const p = byName.get(key.toLowerCase());
    if (!p) {
      const value = values.join(', ');
      errors.push(fieldError(key, 'unknown', `${key}: unknown parameter of ${desc.type} (value ${show(value)})`, value));
      continue;
    }
    given.set(p, [...(given.get(p) ?? []), ...values]);
  }
  return given;
}

function validateGiven(desc: JobDescriptor, p: ParamDescriptor, values: string[], errors: FieldError[]): JobValue | undefined {
  if (values.length > 1 && !p.repeating) {
    const value = values.join(', ');
    errors.push(fieldError(p.name, 'repeating',
      `${p.name}: ${values.length} values given (${values.map((v) => show(v)).join(', ')}) but only one is allowed`, value));
    return undefined;
  }
  const checked: CheckedValue[] = [];
  let failed = false;
  for (const v of values) {
    if (p.fixed !== undefined && v !== p.fixed) {
      errors.push(fieldError(p.name, 'fixed', `${p.name}: ${show(v)} differs from the fixed value ${show(p.fixed)}`, v));
      failed = true;
      continue;
    }
    const result = checkValue(desc, p, v);
    if (result.ok) checked.push(result.checked);
    else {
      errors.push(...result.errors);
      failed = true;
    }
  }
  if (failed) return undefined;
  return { name: p.name, type: p.type, values: checked.map((c) => c.value), text: checked.map((c) => c.text), defaulted: false };
}

/** The value a job gets when the request leaves a parameter out: fixed, else default, else nothing. */
function fillIn(desc: JobDescriptor, p: ParamDescriptor, errors: FieldError[]): JobValue | undefined {
  const lexical = p.fixed ?? p.default;
  if (lexical === undefined) {
    if (p.required) errors.push(fieldError(p.name, 'required', `${p.name} is required`));
    return undefined;
  }
  const result = checkValue(desc, p, lexical);
  if (!result.ok) {
    // only reachable with a hand-built descriptor: the WADL reader refuses defaults that fail their own checks
    errors.push(...result.errors.map((e) => ({ ...e, message: `${e.message} (declared default)` })));
    return undefined;
  }
  const { value, text } = result.checked;
  return { name: p.name, type: p.type, values: [value], text: [text], defaulted: true };
}

function inDescriptorOrder(desc: JobDescriptor, values: JobValue[]): JobValue[] {
  const { position } = indexOf(desc);
  const rank = (v: JobValue): number => position.get(v.name.toLowerCase()) ?? Number.MAX_SAFE_INTEGER;
  // Array.prototype.sort is stable: values of parameters the descriptor no longer declares keep their order
  return [...values].sort((a, b) => rank(a) - rank(b));
}

export function validateParameters(
  desc: JobDescriptor,
  raw: Record<string, string[]>,
  opts: ValidateOptions = {},
): ValidationOutcome {
  const errors: FieldError[] = [];
  const given = groupRequest(desc, raw, errors);
  const updated = new Map<string, JobValue>();
  for (const [p, values] of given) {
    const value = validateGiven(desc, p, values, errors);
    if (value) updated.set(p.name.toLowerCase(), value);
  }

  let values: JobValue[];
  if (opts.partial) {
    const merged = (opts.previous ?? []).map((v) => updated.get(v.name.toLowerCase()) ?? v);
    const previousNames = new Set((opts.previous ?? []).map((v) => v.name.toLowerCase()));
    for (const [key, v] of updated) if (!previousNames.has(key)) merged.push(v);
    values = merged;
  } else {
    values = [];
    for (const p of desc.parameters) {
      const value = updated.get(p.name.toLowerCase()) ?? (given.has(p) ? undefined : fillIn(desc, p, errors));
      if (value) values.push(value);
    }
  }
  if (errors.length > 0) return { ok: false, errors: sortErrors(desc, errors) };
  return { ok: true, values: inDescriptorOrder(desc, values) };
}

/** Errors follow the form's field order, so a client can list them beside the fields. */
function sortErrors(desc: JobDescriptor, errors: FieldError[]): FieldError[] {
  const { position } = indexOf(desc);
  const rank = (e: FieldError): number => position.get(e.field.toLowerCase()) ?? Number.MAX_SAFE_INTEGER;
  return [...errors].sort((a, b) => rank(a) - rank(b));
}
