import type { JobDescriptor } from '../descriptor/descriptor.types';
import { takeResourceOverrides } from './resource.overrides';

const d = {
  type: 't',
  description: '',
  parameters: [{ name: 'partition', type: 'string', required: false, repeating: false }],
  results: [],
  executionDuration: {},
  resources: {
    cpus: { default: 2, overridable: true, min: 1, max: 8 },
    memory: { default: 1024, overridable: false },
  },
} as unknown as JobDescriptor;

describe('takeResourceOverrides', () => {
  it('takes allowed values out of the request', () => {
    const raw = { CPUS: ['4'], x: ['1'] };
    expect(takeResourceOverrides(d, raw)).toEqual({ choice: { cpus: 4 }, errors: [] });
    expect(raw).toEqual({ x: ['1'] });
  });

  it('refuses values out of limits, non-numbers and resources that are not overridable', () => {
    const { errors } = takeResourceOverrides(d, { cpus: ['9'], memory: ['4096'] });
    expect(errors.map((e) => e.rule)).toEqual(['max', 'fixed']);
    expect(takeResourceOverrides(d, { cpus: ['2; rm'] }).errors[0].rule).toBe('type');
  });

  it('leaves a job parameter of the same name alone', () => {
    const raw = { partition: ['gpu'] };
    expect(takeResourceOverrides(d, raw).choice).toEqual({});
    expect(raw).toEqual({ partition: ['gpu'] });
  });
});
