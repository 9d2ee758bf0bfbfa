import { badRequest, DomainError, FieldProblem } from '../common/domain.error';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import type { ValidationOutcome } from '../parameters/parameters.types';
import { QueryParams, queryValues } from './job-list.filter';

/** UWS control names, and the browser forms' CSRF and return-path fields: never job parameters (DALI: case-insensitive). */
export const CONTROL_NAMES = ['PHASE', 'RUNID', 'EXECUTIONDURATION', 'DESTRUCTION', 'ACTION', '_CSRF', '_REDIRECT'];

/** The one value of a control parameter; repeating it with different values is an error. */
export function single(params: QueryParams, name: string): string | undefined {
  // An empty field (a browser form left blank) means "not given".
  const values = [...new Set(queryValues(params, name))].filter((v) => v !== '');
  if (values.length > 1) throw badRequest(`${name} was given more than once with different values`);
  return values[0];
}

/**
 * RUNID, which is stored as given: a NUL byte is refused (400), as in parameter values, since no database
 * text column takes one (PostgreSQL refuses the statement, SQLite cuts it short) and XML cannot carry it.
 */
export function runIdOf(params: QueryParams): string | undefined {
  const runId = single(params, 'RUNID');
  if (runId?.includes('\u0000')) throw badRequest('RUNID must not contain a NUL byte');
  return runId;
}

/** Request values without the control names, keys as sent. */
export function jobParams(params: QueryParams): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || CONTROL_NAMES.includes(k.toUpperCase())) continue;
    out[k] = [...(out[k] ?? []), ...(Array.isArray(v) ? v : [v])];
  }
  return out;
}

/** A blank form field for a typed (non-string) parameter means "not given", so its default applies. */
export function dropEmptyNonStrings(d: JobDescriptor, raw: Record<string, string[]>): Record<string, string[]> {
  for (const [k, values] of Object.entries(raw)) {
    const p = d.parameters.find((x) => x.name.toLowerCase() === k.toLowerCase());
    if (!p || p.type === 'string') continue;
    const kept = values.filter((v) => v !== '');
    if (kept.length) raw[k] = kept;
    else delete raw[k];
  }
  return raw;
}

/** All problems at once: the parameters' and the resource choices'. */
export function refuseInvalid(outcome: ValidationOutcome, more: FieldProblem[]): asserts outcome is Extract<ValidationOutcome, { ok: true }> {
  const errors = [...(outcome.ok ? [] : outcome.errors), ...more];
  if (errors.length) throw new DomainError('INVALID_PARAMETERS', errors.map((e) => e.message).join('\n'), errors);
}
