import type { JobDescriptor, ParamDescriptor } from '../descriptor/descriptor.types';
import { readFixture } from '../descriptor/fixtures/wadl.fixture';
import { parseWadl } from '../descriptor/wadl.parser';
import { describeForm, describeParameter, effectiveExecutionDuration, FormContext, formUrls, inputFor } from './form.description';

const ctx: FormContext = { baseUrl: 'https://uws.example.org/svc', defaultExecutionDuration: 600, maxExecutionDuration: 3600 };

function ctbin(): JobDescriptor {
  const o = parseWadl(readFixture('ctbin.wadl'), { file: 'ctbin.wadl', type: 'ctbin' });
  if (!o.descriptor) throw new Error(JSON.stringify(o.messages));
  return o.descriptor;
}

const desc = (over: Partial<JobDescriptor>): JobDescriptor => ({
  type: 'demo',
  description: 'Demo',
  parameters: [],
  results: [{ id: 'out', mediaType: 'text/plain', file: 'out.txt' }],
  executionDuration: {},
  resources: {},
  ...over,
});

const param = (over: Partial<ParamDescriptor>): ParamDescriptor => ({ name: 'p', type: 'string', required: false, repeating: false, ...over });

describe('describeForm', () => {
  const form = describeForm(ctbin(), ctx);

  it('says where and how to post a job', () => {
    expect(form.type).toBe('ctbin');
    expect(form.description).toBe('Bins an event list into a counts cube (CTA science tool ctbin)');
    expect(form.submit).toEqual({ url: 'https://uws.example.org/svc/rest/ctbin', method: 'POST', enctype: 'multipart/form-data' });
  });

  it('describes every parameter with stable keys, null when the WADL says nothing', () => {
    expect(form.parameters.map((p) => `${p.name}:${p.input}`)).toEqual([
      'inobs:file', 'ebinalg:select', 'emin:number', 'emax:number', 'enumbins:number', 'nxpix:number',
      'binsz:number', 'coordsys:select', 'usepnt:checkbox', 'outname:text',
    ]);
    expect(form.parameters[0]).toEqual({
      name: 'inobs', type: 'file', required: true, default: null, repeating: false, fixed: null, choices: null,
      min: null, max: null, unit: null, pattern: null, maxSize: 1073741824, doc: 'Input event list (FITS)', input: 'file',
    });
    const emin = form.parameters.find((p) => p.name === 'emin')!;
    expect(emin).toMatchObject({ type: 'double', default: '0.1', min: 0.01, max: 1000, unit: 'TeV', doc: 'Lower energy (TeV)' });
    expect(form.parameters.find((p) => p.name === 'ebinalg')!.choices).toEqual([{ value: 'LIN', doc: 'Linear' }, { value: 'LOG' }, { value: 'FILE' }]);
    expect(form.parameters.find((p) => p.name === 'outname')!.pattern).toBe('[A-Za-z0-9_]+');
    for (const p of form.parameters) expect(Object.keys(p)).toHaveLength(14);
  });

  it('lists the results, the execution duration the job really gets, and the quote', () => {
    expect(form.results).toEqual([
      { id: 'outcube', mediaType: 'image/fits', file: 'cntcube.fits', doc: 'Counts cube' },
      { id: 'preview', mediaType: 'image/png', file: 'cntcube.png', doc: 'Preview' },
      { id: 'logfile', mediaType: 'text/plain', file: 'ctbin.log', doc: 'Log' },
    ]);
    // WADL: default 600, max 7200; the service allows at most 3600
    expect(form.executionDuration).toEqual({ default: 600, max: 3600 });
    expect(form.quote).toBe(120);
  });

  it('is plain JSON and shares no objects with the descriptor', () => {
    const d = ctbin();
    const f = describeForm(d, ctx);
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
    f.parameters[1].choices![0].value = 'changed';
    expect(d.parameters[1].choices![0].value).toBe('LIN');
  });

  it('encodes the job type in URLs', () => {
    expect(describeForm(desc({ type: 'a b' }), ctx).submit.url).toBe('https://uws.example.org/svc/rest/a%20b');
    expect(formUrls('http://h', 'x')).toEqual({
      index: 'http://h/forms', form: 'http://h/forms/x', description: 'http://h/forms/x/description',
      wadl: 'http://h/wadl/x', jobList: 'http://h/rest/x',
    });
  });

  it('gives the quote as null when the WADL declares none', () => {
    expect(describeForm(desc({}), ctx).quote).toBeNull();
  });
});

describe('inputFor', () => {
  it.each([
    ['int', 'number'], ['long', 'number'], ['integer', 'number'], ['double', 'number'], ['float', 'number'],
    ['boolean', 'checkbox'], ['file', 'file'], ['anyURI', 'url'], ['dateTime', 'datetime'], ['string', 'text'],
  ] as const)('%s → %s', (type, input) => {
    expect(inputFor({ type })).toBe(input);
  });

  it('offers a select for choices, whatever the type', () => {
    expect(inputFor({ type: 'int', choices: [{ value: '1' }, { value: '2' }] })).toBe('select');
    expect(inputFor({ type: 'string', choices: [] })).toBe('text');
  });

  it('keeps repeating and fixed', () => {
    expect(describeParameter(param({ repeating: true, fixed: 'x' }))).toMatchObject({ repeating: true, fixed: 'x', input: 'text' });
  });
});

describe('effectiveExecutionDuration', () => {
  it('uses the service default when the WADL has none, within the maximum', () => {
    expect(effectiveExecutionDuration(desc({}), ctx)).toEqual({ default: 600, max: 3600 });
    expect(effectiveExecutionDuration(desc({}), { ...ctx, defaultExecutionDuration: 5000 })).toEqual({ default: 3600, max: 3600 });
  });

  it('takes the smaller maximum; a WADL maximum of 0 bounds nothing', () => {
    expect(effectiveExecutionDuration(desc({ executionDuration: { default: 60, max: 120 } }), ctx)).toEqual({ default: 60, max: 120 });
    expect(effectiveExecutionDuration(desc({ executionDuration: { default: 60, max: 0 } }), ctx)).toEqual({ default: 60, max: 3600 });
    expect(effectiveExecutionDuration(desc({ executionDuration: { default: 9000 } }), ctx)).toEqual({ default: 3600, max: 3600 });
  });
});
