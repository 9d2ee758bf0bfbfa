/**
 * Query-string parsing for the job list filters (PHASE, AFTER, LAST) and for blocking GETs (WAIT, PHASE).
 * Names are matched case-insensitively (DALI 1.1 §3.1); values are case-sensitive. Anything invalid is an
 * error the controller answers with 400, rather than silently ignored: the spec gives no rule, and a filter
 * that is quietly dropped returns a list the client did not ask for.
 */
import { isPhase, JobListFilter, Phase, PHASES } from './job.model';
import { parseUwsInstant } from './uws-time';

export type QueryParams = Record<string, string | string[] | undefined>;

/** Every value given for `name`, whatever the case of the key and however often it is repeated. */
export function queryValues(query: QueryParams, name: string): string[] {
  const wanted = name.toUpperCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key.toUpperCase() !== wanted || value === undefined) continue;
    values.push(...(Array.isArray(value) ? value : [value]));
  }
  return values;
}

/**
 * PHASE is a union; AFTER and LAST are filters like any other, so repeating them ANDs them together:
 * the latest AFTER and the smallest LAST win.
 */
export function parseJobListFilter(query: QueryParams): { filter: JobListFilter } | { error: string } {
  const filter: JobListFilter = {};

  const phases = parsePhases(queryValues(query, 'PHASE'));
  if ('error' in phases) return phases;
  if (phases.phases.length > 0) filter.phases = phases.phases;

  for (const text of queryValues(query, 'AFTER')) {
    const after = parseUwsInstant(text);
    if (!after) return { error: `AFTER must be an ISO 8601 instant such as 2015-10-26T09:15:35Z, got ${quote(text)}` };
    if (!filter.after || after > filter.after) filter.after = after;
  }

  for (const text of queryValues(query, 'LAST')) {
    const last = parsePositiveInteger(text);
    if (last === undefined) return { error: `LAST must be an integer greater than 0, got ${quote(text)}` };
    filter.last = Math.min(filter.last ?? last, last);
  }

  return { filter };
}

/**
 * WAIT/PHASE for GET /{jobs}/{job-id}. `wait` is whole seconds, -1 meaning "no limit" (the service caps
 * it). These are single-valued: repeats must agree, since neither "longest" nor "shortest" is obviously right.
 */
export function parseWait(query: QueryParams): { wait?: number; phase?: Phase } | { error: string } {
  const result: { wait?: number; phase?: Phase } = {};

  const waitText = single(query, 'WAIT');
  if (typeof waitText === 'object') return waitText;
  if (waitText !== undefined) {
    const wait = waitText === '-1' ? -1 : parseNonNegativeInteger(waitText);
    if (wait === undefined) {
      return { error: `WAIT must be a whole number of seconds (0 or more, or -1 for no limit), got ${quote(waitText)}` };
    }
    result.wait = wait;
  }

  const phaseText = single(query, 'PHASE');
  if (typeof phaseText === 'object') return phaseText;
  if (phaseText !== undefined) {
    const phases = parsePhases([phaseText]);
    if ('error' in phases) return phases;
    result.phase = phases.phases[0];
  }

  return result;
}

function parsePhases(values: string[]): { phases: Phase[] } | { error: string } {
  const phases: Phase[] = [];
  for (const value of values) {
    if (!isPhase(value)) return { error: `PHASE must be one of ${PHASES.join(', ')}, got ${quote(value)}` };
    if (!phases.includes(value)) phases.push(value);
  }
  return { phases };
}

function single(query: QueryParams, name: string): string | undefined | { error: string } {
  const values = [...new Set(queryValues(query, name))];
  if (values.length > 1) return { error: `${name} must be given once, got ${values.map(quote).join(', ')}` };
  return values[0];
}

// Only plain ASCII digits: Number() would also take '1e3', '0x10', ' 5' and '1.0'.
function parseNonNegativeInteger(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parsePositiveInteger(text: string): number | undefined {
  const n = parseNonNegativeInteger(text);
  return n !== undefined && n > 0 ? n : undefined;
}

/** Quote a client value for an error message, keeping it short and on one line. */
function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, '?')}'`;
}
