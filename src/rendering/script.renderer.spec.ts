import { execFileSync } from 'node:child_process';
import { compileScript, scriptContext, TemplateValue } from './script.renderer';

const job = { id: 'j1', workdir: '/tmp/w d', plugindir: '/p', results: { out: 'out.fits' } };

function v(name: string, text: string[], values: (string | number | boolean)[], repeating = false): TemplateValue {
  return { name, type: 'string', repeating, values, text };
}

describe('compileScript', () => {
  it('quotes every value, so hostile text stays data', () => {
    const evil = "$(touch /tmp/pwned) `id`; echo 'x' \n rm -rf /";
    const out = compileScript('printf "%s" {{msg}}')(scriptContext([v('msg', [evil], [evil])], job));
    expect(execFileSync('bash', ['-c', out]).toString()).toBe(evil);
  });

  it('tests the typed value in #if / #unless', () => {
    const tpl = compileScript('{{#if flag}}yes{{else}}no{{/if}} {{#unless n}}zero{{/unless}}');
    expect(tpl(scriptContext([v('flag', ['false'], [false]), v('n', ['0'], [0])], job))).toBe('no zero');
    expect(tpl(scriptContext([v('flag', ['true'], [true]), v('n', ['3'], [3])], job))).toBe('yes ');
  });

  it('renders a repeating value as quoted words and walks it with #each', () => {
    const ctx = scriptContext([v('f', ['a b', "c'd"], ['a b', "c'd"], true)], job);
    expect(compileScript('{{f}}')(ctx)).toBe(`'a b' 'c'\\''d'`);
    expect(compileScript('{{#each f}}[{{this}}:{{@index}}]{{/each}}')(ctx)).toBe(`['a b':0]['c'\\''d':1]`);
  });

  it('exposes job.id, job.workdir and result names quoted', () => {
    expect(compileScript('{{job.id}} {{job.workdir}} {{job.results.out}}')(scriptContext([], job))).toBe(
      `'j1' '/tmp/w d' 'out.fits'`,
    );
  });

  it('fails on an undeclared name (strict) and on helpers outside the whitelist', () => {
    expect(() => compileScript('{{nope}}')(scriptContext([], job))).toThrow();
    expect(() => compileScript('{{log "x"}}')(scriptContext([], job))).toThrow();
    expect(() => compileScript('{{lookup job "id"}}')(scriptContext([], job))).toThrow();
  });

  it('does not reach prototypes', () => {
    expect(() => compileScript('{{job.constructor.name}}')(scriptContext([], job))).toThrow();
  });
});

describe('WrapperRenderer', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WrapperRenderer } = require('./wrapper.renderer') as typeof import('./wrapper.renderer');
  const path = require('node:path') as typeof import('node:path');
  const w = new WrapperRenderer(path.resolve(__dirname, '../../templates'));

  it('writes one #SBATCH line per host-built argument and quotes the job values', () => {
    const script = w.render({
      jobId: 'j1',
      workdir: "/w/it's",
      callbackUrl: 'http://h/cb',
      token: 't0k',
      results: [{ id: 'out', pattern: 'out*.fits' }],
      sbatch: ['--time=2', '--cpus-per-task=4'],
    });
    expect(script.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual(['#SBATCH --time=2', '#SBATCH --cpus-per-task=4']);
    expect(script).toContain(`UWS_WORKDIR='/w/it'\\''s'`);
    expect(script).toContain(`UWS_TOKEN='t0k'`);
  });

  it('refuses an argument that would start another line', () => {
    expect(() => w.render({ jobId: 'j', workdir: '/w', results: [], sbatch: ['--time=1\n#SBATCH --x'] })).toThrow(/line break/);
  });
});

describe('raw values stay out of reach', () => {
  const job = { id: 'j', workdir: '/w', plugindir: '/p', results: {} };
  it('a path into a value finds nothing (strict mode refuses it)', () => {
    const ctx = scriptContext([{ name: 'name', type: 'string', repeating: false, values: ['x; rm -rf ~'], text: ['x; rm -rf ~'] }], job);
    expect(() => compileScript('echo {{name.typed}}')(ctx)).toThrow();
    const rep = scriptContext([{ name: 'f', type: 'string', repeating: true, values: ['$(id)'], text: ['$(id)'] }], job);
    expect(() => compileScript('{{#each f}}{{this.typed}}{{/each}}')(rep)).toThrow();
    expect(compileScript('{{#each f}}{{this}}{{/each}}')(rep)).toBe(`'$(id)'`);
  });
});
