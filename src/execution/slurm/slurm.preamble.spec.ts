import { execFileSync } from 'node:child_process';
import { SbatchValueError, sbatchArgs, sbatchPreamble, timeLimitMinutes } from './slurm.preamble';

describe('sbatch preamble', () => {
  it('builds arguments in a fixed order', () => {
    expect(
      sbatchArgs({
        jobName: 'uws-abc.1',
        durationSeconds: 5,
        cpus: 4,
        memoryMB: 2048,
        partition: 'debug',
        account: 'astro_1',
        output: '/scratch/uws/%j.out',
        error: '.uws/slurm-%j.err',
      }),
    ).toEqual([
      '--job-name=uws-abc.1',
      '--time=1',
      '--cpus-per-task=4',
      '--mem=2048M',
      '--partition=debug',
      '--account=astro_1',
      '--output=/scratch/uws/%j.out',
      '--error=.uws/slurm-%j.err',
    ]);
  });

  it.each([
    [0, undefined],
    [1, 1],
    [59, 1],
    [60, 1],
    [61, 2],
    [3600, 60],
    [3601, 61],
  ])('durationSeconds %p → --time %p (whole minutes, rounded up, 0 = no line)', (s, min) => {
    expect(timeLimitMinutes(s)).toBe(min);
    const args = sbatchArgs({ durationSeconds: s });
    expect(args).toEqual(min === undefined ? [] : [`--time=${min}`]);
  });

  it('renders #SBATCH lines', () => {
    expect(sbatchPreamble({ jobName: 'x', durationSeconds: 120 })).toBe('#SBATCH --job-name=x\n#SBATCH --time=2\n');
    expect(sbatchPreamble({})).toBe('');
  });

  it.each([
    ['jobName', 'a b'],
    ['jobName', 'x\n#SBATCH --uid=0'],
    ['jobName', "it's"],
    ['jobName', '"q"'],
    ['jobName', '-x'],
    ['jobName', ''],
    ['partition', 'debug --uid=0'],
    ['partition', 'debug\n'],
    ['partition', 'a,,b'],
    ['account', 'a;b'],
    ['account', 'a=b'],
    ['output', '/x y'],
    ['output', '/x\n#SBATCH --wrap=id'],
    ['error', '$(id)'],
    ['error', "/tmp/'x'"],
  ])('refuses %s = %j', (field, value) => {
    expect(() => sbatchArgs({ [field]: value })).toThrow(SbatchValueError);
  });

  it.each([
    ['durationSeconds', -1],
    ['durationSeconds', 1.5],
    ['durationSeconds', Number.NaN],
    ['cpus', 0],
    ['cpus', 2.5],
    ['memoryMB', -5],
    ['cpus', '4' as unknown as number],
  ])('refuses %s = %p', (field, value) => {
    expect(() => sbatchArgs({ [field]: value })).toThrow(SbatchValueError);
  });

  it('every produced line is one directive that sbatch-style parsing reads back unchanged', () => {
    const text = `#!/bin/bash\n${sbatchPreamble({ jobName: 'j', durationSeconds: 90, partition: 'a,b', output: '/o/%j' })}echo`;
    const lines = execFileSync('bash', ['-c', 'grep -c "^#SBATCH " || true'], { input: text }).toString().trim();
    expect(lines).toBe('4');
  });
});
