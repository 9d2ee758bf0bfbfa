import type { JobDescriptor, ParamDescriptor } from '../descriptor/descriptor.types';
import { compilePattern, convertValue } from '../descriptor/value.convert';
import type { FieldError, ScalarValue } from './parameters.types';

/** One value of one parameter: conversion to its type, then its declared constraints. */

export interface CheckedValue {
  value: ScalarValue;
  text: string;
}

export type CheckResult = { ok: true; checked: CheckedValue } | { ok: false; errors: FieldError[] };

const MAX_SHOWN = 60;

/** A user's value as shown in a message: bounded in length, control characters made visible. */
export function show(value: string, quoted = true): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD');
  const bounded = clean.length > MAX_SHOWN ? `${clean.slice(0, MAX_SHOWN)}…` : clean;
  return quoted ? `'${bounded}'` : bounded;
}

export function fieldError(field: string, rule: string, message: string, value?: string): FieldError {
  return value === undefined ? { field, rule, message } : { field, rule, value, message };
}

/**
 * Patterns are compiled once per descriptor: the descriptor is immutable once parsed, so its identity is a safe
 * cache key, and a reloaded plugin (a new descriptor object) simply gets a fresh entry.
 */
const patternCache = new WeakMap<JobDescriptor, Map<string, RegExp | null>>();

function patternFor(desc: JobDescriptor, pattern: string): RegExp | null {
  let perDesc = patternCache.get(desc);
  if (!perDesc) {
    perDesc = new Map();
    patternCache.set(desc, perDesc);
  }
  let re = perDesc.get(pattern);
  if (re === undefined) {
    try {
      re = compilePattern(pattern);
    } catch {
      // the WADL reader refuses invalid patterns; a hand-built descriptor with one fails closed below
      re = null;
    }
    perDesc.set(pattern, re);
  }
  return re;
}

export function checkValue(desc: JobDescriptor, p: ParamDescriptor, raw: string): CheckResult {
  const converted = convertValue(p.type, raw);
  if (!converted.ok) {
    const why = converted.reason === undefined ? '' : ` (${converted.reason})`;
    return { ok: false, errors: [fieldError(p.name, 'type', `${p.name}: ${show(raw)} is not a valid ${p.type}${why}`, raw)] };
  }
  const errors: FieldError[] = [];
  if (p.choices && p.choices.length > 0 && !p.choices.some((c) => c.value === raw)) {
    const allowed = p.choices.map((c) => c.value).join(', ');
    errors.push(fieldError(p.name, 'choice', `${p.name}: ${show(raw)} is not one of ${allowed}`, raw));
  }
  // Limits only bound numbers: a string's min/max would be ambiguous (length? collation?) and is ignored.
  if (typeof converted.value === 'number') {
    const shown = show(raw.trim(), false);
    if (p.min !== undefined && converted.value < p.min) {
      errors.push(fieldError(p.name, 'min', `${p.name}: ${shown} is below the minimum ${p.min}`, raw));
    }
    if (p.max !== undefined && converted.value > p.max) {
      errors.push(fieldError(p.name, 'max', `${p.name}: ${shown} is above the maximum ${p.max}`, raw));
    }
  }
  if (p.pattern !== undefined && p.type !== 'file') {
    const re = patternFor(desc, p.pattern);
    if (!re || !re.test(raw)) {
      errors.push(fieldError(p.name, 'pattern', `${p.name}: ${show(raw)} does not match the pattern ${p.pattern}`, raw));
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, checked: { value: converted.value, text: converted.text } };
}
