import type { JobDescriptor } from './descriptor.types';
import { readFixture } from './fixtures/wadl.fixture';
import { lintTemplateVariables } from './template.lint';
import { parseWadl } from './wadl.parser';

const ctbin = parseWadl(readFixture('ctbin.wadl'), { file: 'ctbin.wadl', type: 'ctbin' }).descriptor!;

const desc: JobDescriptor = {
  type: 'demo',
  description: '',
  parameters: [
    { name: 'Emin', type: 'double', required: false, repeating: false },
    { name: 'files', type: 'file', required: false, repeating: true },
    { name: 'flag', type: 'boolean', required: false, repeating: false },
  ],
  results: [{ id: 'out', mediaType: 'text/plain', file: 'out.txt' }],
  executionDuration: {},
  resources: {},
};
const lint = (template: string) => lintTemplateVariables(template, desc, 'demo.sh.hbs');
const lines = (template: string) => lint(template).map((m) => `${m.line}: ${m.message}`);

describe('lintTemplateVariables', () => {
  it('accepts the ctbin template', () => {
    expect(lintTemplateVariables(readFixture('ctbin.sh.hbs'), ctbin, 'ctbin.sh.hbs')).toEqual([]);
  });

  it('accepts parameters, job fields, whitelisted helpers, data variables and this', () => {
    const ok = `{{Emin}} {{job.id}} {{job.workdir}} {{job.results.out}}
{{#if flag}}x{{else}}y{{/if}} {{#unless flag}}z{{/unless}}
{{#each files}}{{this}} {{@index}} {{@first}} {{@last}} {{@key}}{{/each}}
{{#each files as |f i|}}{{f}} {{i}}{{/each}}
{{#if (eq Emin 1)}}one{{/if}} {{#if (ne flag true)}}off{{/if}}
{{! a comment naming nothing: {{unknown}} }}`;
    expect(lint(ok)).toEqual([]);
  });

  it('reports undeclared names with file and line', () => {
    expect(lint('line one\n{{emax}}')).toEqual([{
      severity: 'error', file: 'demo.sh.hbs', line: 2,
      message: "unknown name 'emax': not a parameter of this job type",
    }]);
  });

  it('is case-sensitive and suggests the declared spelling', () => {
    expect(lines('{{emin}}')).toEqual(["1: unknown name 'emin': not a parameter of this job type; did you mean 'Emin'? (names are case-sensitive)"]);
  });

  it('finds names in block params, sub-expressions, hash values and inverse blocks', () => {
    expect(lines('{{#if nope1}}{{/if}}\n{{#if (eq nope2 1)}}{{/if}}\n{{Emin x=nope3}}\n{{#if flag}}{{else}}{{nope4}}{{/if}}')).toEqual([
      expect.stringMatching(/^1: unknown name 'nope1'/),
      expect.stringMatching(/^2: unknown name 'nope2'/),
      expect.stringMatching(/^3: unknown name 'nope3'/),
      expect.stringMatching(/^4: unknown name 'nope4'/),
    ]);
  });

  it('scopes block params to their block', () => {
    expect(lines('{{#each files as |f|}}{{f}}{{/each}}{{f}}')).toEqual([expect.stringMatching(/unknown name 'f'/)]);
  });

  it('checks parent references by their name', () => {
    expect(lint('{{#each files}}{{../Emin}}{{/each}}')).toEqual([]);
    expect(lines('{{#each files}}{{../other}}{{/each}}')).toEqual([expect.stringMatching(/unknown name '..\/other'/)]);
  });

  it('refuses helpers outside the whitelist, lookup included', () => {
    expect(lines('{{lookup files 0}}\n{{#raw}}{{/raw}}\n{{log Emin}}')).toEqual([
      expect.stringMatching(/^1: unknown name 'lookup'/),
      expect.stringMatching(/^2: unknown name 'raw'/),
      expect.stringMatching(/^3: unknown name 'log'/),
    ]);
  });

  it('checks job fields and declared result ids', () => {
    expect(lines('{{job}}\n{{job.secret}}\n{{job.results.nope}}\n{{job.results}}\n{{job.id.x}}')).toEqual([
      expect.stringMatching(/^1: unknown name 'job': job offers job.id, job.workdir, job.plugindir and job.results.out/),
      expect.stringMatching(/^2: unknown name 'job.secret'/),
      expect.stringMatching(/^3: unknown name 'job.results.nope'/),
      expect.stringMatching(/^4: unknown name 'job.results'/),
      expect.stringMatching(/^5: unknown name 'job.id.x'/),
    ]);
  });

  it('refuses other data variables, partials and decorators', () => {
    expect(lines('{{@root.Emin}}\n{{> other}}\n{{* deco}}')).toEqual([
      expect.stringMatching(/^1: unknown data variable '@root.Emin'/),
      expect.stringMatching(/^2: partials are not available/),
      expect.stringMatching(/^3: decorators are not available/),
    ]);
  });

  it('reports a template that does not parse, with its line', () => {
    expect(lint('ok\n{{#if flag}}\n{{/each}}')).toEqual([
      expect.objectContaining({ severity: 'error', line: 2, message: expect.stringMatching(/^template does not parse/) }),
    ]);
    expect(lint('a\nb\n{{Emin')).toEqual([expect.objectContaining({ line: 3 })]);
  });

  it('reports every fault, not only the first', () => {
    expect(lint('{{a}}{{b}}{{c}}')).toHaveLength(3);
  });
});

describe('lintTemplateVariables refuses paths into values', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { lintTemplateVariables: lint } = require('./template.lint') as typeof import('./template.lint');
  const d = {
    type: 't', description: '', results: [], executionDuration: {}, resources: {},
    parameters: [{ name: 'name', type: 'string', required: false, repeating: true }],
  } as unknown as import('./descriptor.types').JobDescriptor;
  it('flags name.x, this.x and #with', () => {
    expect(lint('{{name.typed}}', d, 'f').map((m) => m.message).join()).toMatch(/used as a whole/);
    expect(lint('{{#each name}}{{this.typed}}{{/each}}', d, 'f').map((m) => m.message).join()).toMatch(/only '\{\{this\}\}'/);
    expect(lint('{{#each name}}{{this}}{{/each}}', d, 'f')).toEqual([]);
    expect(lint('{{#with name}}x{{/with}}', d, 'f').length).toBeGreaterThan(0);
  });
});
