import type { JobDescriptor, ResourceLimit } from '../descriptor/descriptor.types';
import type { FieldProblem } from '../common/domain.error';

/** Per-job cluster resources a user chose, within the limits the job type allows. */
export interface ResourceChoice {
  cpus?: number;
  memoryMB?: number;
  partition?: string;
}

const NAMES = { cpus: 'cpus', memory: 'memoryMB', partition: 'partition' } as const;
type ResourceName = keyof typeof NAMES;

const PARTITION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Takes `cpus`, `memory` (MB) and `partition` out of the request when the job type declares them
 * overridable and has no job parameter of that name. Values outside the declared limits are field errors.
 */
export function takeResourceOverrides(
  d: JobDescriptor,
  raw: Record<string, string[]>,
): { choice: ResourceChoice; errors: FieldProblem[] } {
  const choice: ResourceChoice = {};
  const errors: FieldProblem[] = [];
  for (const key of Object.keys(raw)) {
    const name = key.toLowerCase() as ResourceName;
    if (!(name in NAMES)) continue;
    if (d.parameters.some((p) => p.name.toLowerCase() === name)) continue;
    const limit: ResourceLimit | undefined = d.resources[name];
    const values = raw[key];
    delete raw[key];
    const value = values[values.length - 1] ?? '';
    const fail = (rule: string, message: string) => errors.push({ field: name, rule, value, message: `${name}: ${message}` });
    if (!limit?.overridable) {
      fail('fixed', `this job type does not let users choose ${name}`);
      continue;
    }
    if (name === 'partition') {
      if (!PARTITION.test(value)) fail('pattern', `'${value}' is not a valid partition name`);
      else choice.partition = value;
      continue;
    }
    if (!/^\d+$/.test(value)) {
      fail('type', `'${value}' is not a whole number`);
      continue;
    }
    const n = Number(value);
    if (limit.min !== undefined && n < limit.min) fail('min', `${n} is below the minimum ${limit.min}`);
    else if (limit.max !== undefined && n > limit.max) fail('max', `${n} is above the maximum ${limit.max}`);
    else if (n < 1) fail('min', `${n} is below the minimum 1`);
    else choice[NAMES[name] as 'cpus' | 'memoryMB'] = n;
  }
  return { choice, errors };
}
