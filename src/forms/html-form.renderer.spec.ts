import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libxml from 'libxmljs2';
import type { JobDescriptor, ParamDescriptor } from '../descriptor/descriptor.types';
import { parseWadl } from '../descriptor/wadl.parser';
import { describeForm, FormContext } from './form.description';
import { fieldView, formatBytes, HtmlFormRenderer, PageOptions } from './html-form.renderer';

const VIEWS = path.resolve(__dirname, '../../templates/views');
const ROOT = path.resolve(__dirname, '../..');
const ctx: FormContext = { baseUrl: 'https://uws.example.org', defaultExecutionDuration: 600, maxExecutionDuration: 3600 };
const opts: PageOptions = { baseUrl: 'https://uws.example.org', nonce: 'n0nce' };
const renderer = new HtmlFormRenderer(VIEWS);

function plugin(type: string): JobDescriptor {
  const xml = fs.readFileSync(path.join(ROOT, 'plugins', type, `${type}.wadl`), 'utf8');
  const o = parseWadl(xml, { file: `${type}.wadl`, type });
  if (!o.descriptor) throw new Error(JSON.stringify(o.messages));
  return o.descriptor;
}

const param = (over: Partial<ParamDescriptor>): ParamDescriptor => ({ name: 'p', type: 'string', required: false, repeating: false, ...over });

function demo(parameters: ParamDescriptor[], over: Partial<JobDescriptor> = {}): JobDescriptor {
  return {
    type: 'demo',
    description: 'Demo job',
    parameters,
    results: [{ id: 'out', mediaType: 'text/plain', file: 'out.txt', doc: 'The output' }],
    executionDuration: {},
    resources: {},
    ...over,
  };
}

const html = (d: JobDescriptor) => renderer.form(describeForm(d, ctx), opts);
const dom = (text: string) => libxml.parseHtml(text);
const attrs = (el: libxml.Element | null): Record<string, string> =>
  Object.fromEntries((el?.attrs() ?? []).map((a) => [a.name(), a.value()]));
const one = (doc: libxml.Document, xpath: string): Record<string, string> => {
  const found = doc.find<libxml.Element>(xpath);
  if (found.length !== 1) throw new Error(`${xpath}: ${found.length} matches`);
  return attrs(found[0]);
};

describe('HtmlFormRenderer.form: the sleep plugin', () => {
  const text = html(plugin('sleep'));
  const doc = dom(text);

  it('posts multipart to the absolute job list URL; the main button sends PHASE=RUN, the other nothing', () => {
    expect(one(doc, '//form')).toMatchObject({ action: 'https://uws.example.org/rest/sleep', method: 'POST', enctype: 'multipart/form-data' });
    const buttons = doc.find<libxml.Element>('//form//button[@type="submit"]').map(attrs);
    expect(buttons).toEqual([
      { type: 'submit', class: 'primary', name: 'PHASE', value: 'RUN' },
      { type: 'submit', class: 'secondary' },
    ]);
    expect(doc.find<libxml.Element>('//button').map((b) => b.text())).toEqual(['Create and run', 'Create without starting']);
  });

  it('takes title and description from the WADL', () => {
    expect(doc.get<libxml.Element>('//title')!.text()).toBe('sleep: new job · UWS Host');
    expect(doc.get<libxml.Element>('//h1')!.text()).toBe('sleep');
    expect(doc.get<libxml.Element>('//p[@class="lead"]')!.text()).toMatch(/^Sleeps for a given time/);
  });

  it('renders numbers with min, max, step and the default, units and help next to them', () => {
    expect(one(doc, '//input[@name="duration"]')).toMatchObject({ type: 'number', value: '1', min: '0', max: '3600', step: 'any' });
    expect(one(doc, '//input[@name="exitcode"]')).toMatchObject({ type: 'number', value: '3', min: '1', max: '255', step: '1' });
    const field = doc.get<libxml.Element>('//input[@name="duration"]/ancestor::div[@class="field"]')!;
    expect(field.get<libxml.Element>('.//span[@class="unit"]')!.text()).toBe('s');
    const help = field.get<libxml.Element>('.//p[@class="help"]')!;
    expect(help.text()).toContain('How long to sleep');
    expect(attrs(help).id).toBe(one(doc, '//input[@name="duration"]')['aria-describedby']);
    expect(one(doc, '//input[@name="message"]')).toMatchObject({ type: 'text', value: 'hello' });
  });

  it('renders a boolean as a radio pair, so the request always carries exactly one value', () => {
    const radios = doc.find<libxml.Element>('//input[@name="fail"]').map(attrs);
    expect(radios.map((r) => [r.type, r.value, 'checked' in r])).toEqual([['radio', 'true', false], ['radio', 'false', true]]);
    expect(doc.find('//input[@type="hidden"]')).toHaveLength(0);
    expect(doc.find('//input[@type="checkbox"]')).toHaveLength(0);
  });

  it('groups the optional parameters in "More options" (open when nothing is required) and the UWS settings apart', () => {
    const more = doc.get<libxml.Element>('//details[@id="more-options"]')!;
    expect(more.get<libxml.Element>('summary')!.text()).toMatch(/^More options/);
    expect('open' in attrs(more)).toBe(true);
    expect(more.find<libxml.Element>('.//*[@name]').map((e) => attrs(e).name)).toEqual(['duration', 'fail', 'fail', 'exitcode', 'message']);
    const settings = doc.get<libxml.Element>('//details[@id="job-settings"]')!;
    expect('open' in attrs(settings)).toBe(false);
    expect(one(doc, '//input[@name="RUNID"]')).toMatchObject({ type: 'text' });
    expect(one(doc, '//input[@name="EXECUTIONDURATION"]')).toMatchObject({ type: 'number', value: '120', min: '0', max: '3600', step: '1' });
    expect(one(doc, '//input[@name="DESTRUCTION"]')).toMatchObject({ type: 'datetime-local' });
  });

  it('lists the results and the quote', () => {
    expect(doc.get<libxml.Element>('//ul[@class="results"]/li')!.text()).toMatch(/report: What the job did \(text\/plain, report\.txt\)/);
    expect(text).toContain('Expected run time: about 5\u00a0s.');
  });

  it('carries the CSP nonce on its one style and one script, and loads nothing from elsewhere', () => {
    expect(doc.find<libxml.Element>('//style').map((s) => attrs(s).nonce)).toEqual(['n0nce']);
    expect(doc.find<libxml.Element>('//script').map((s) => attrs(s))).toEqual([{ nonce: 'n0nce' }]);
    // The one link is the empty data: icon that spares the browser a request for /favicon.ico.
    expect(doc.find<libxml.Element>('//link').map(attrs)).toEqual([{ rel: 'icon', href: 'data:,' }]);
    expect(doc.find('//img|//iframe|//script[@src]')).toHaveLength(0);
  });
});

describe('HtmlFormRenderer.form: the wordcount plugin', () => {
  const doc = dom(html(plugin('wordcount')));

  it('puts required parameters first, marked by attribute and a visible *', () => {
    expect(one(doc, '//input[@name="infile"]')).toMatchObject({ type: 'file' });
    expect(one(doc, '//input[@name="infile"]')).toHaveProperty('required');
    const field = doc.get<libxml.Element>('//input[@name="infile"]/ancestor::div[@class="field"]')!;
    expect(field.get<libxml.Element>('.//abbr[@class="req"]')!.text()).toBe('*');
    expect(field.find('ancestor::details')).toHaveLength(0);
    expect(field.get<libxml.Element>('.//p[@class="help"]')!.text()).toContain('up to 10 MiB');
    const more = doc.get<libxml.Element>('//details[@id="more-options"]')!;
    expect('open' in attrs(more)).toBe(false);
    expect(more.get('.//input[@name="top"]')).not.toBeNull();
    expect(doc.find<libxml.Element>('//input[@name="casefold"]').map((r) => [attrs(r).value, 'checked' in attrs(r)])).toEqual([['true', true], ['false', false]]);
  });
});

describe('HtmlFormRenderer.form: controls for each kind of parameter', () => {
  const d = demo([
    param({ name: 'algo', default: 'LOG', choices: [{ value: 'LIN', doc: 'Linear' }, { value: 'LOG' }] }),
    param({ name: 'pick', required: true, choices: [{ value: 'a' }, { value: 'b' }] }),
    param({ name: 'maybe', choices: [{ value: 'x' }] }),
    param({ name: 'many', repeating: true, default: 'b', choices: [{ value: 'a' }, { value: 'b' }] }),
    param({ name: 'src', type: 'anyURI' }),
    param({ name: 'when', type: 'dateTime' }),
    param({ name: 'code', pattern: '[A-Z]{3}' }),
    param({ name: 'tags', repeating: true }),
    param({ name: 'opt', type: 'boolean' }),
    param({ name: 'need', type: 'boolean', required: true }),
    param({ name: 'locked', fixed: 'v1' }),
    param({ name: 'files', type: 'file', repeating: true }),
    param({ name: 'n', type: 'long', default: '+5' }),
  ]);
  const doc = dom(html(d));
  const options = (name: string) =>
    doc.find<libxml.Element>(`//select[@name="${name}"]/option`).map((o) => [attrs(o).value, o.text(), 'selected' in attrs(o)]);

  it('selects, with option docs as labels, the default selected, and an empty entry only when there is no default', () => {
    expect(options('algo')).toEqual([['LIN', 'Linear (LIN)', false], ['LOG', 'LOG', true]]);
    expect(one(doc, '//select[@name="pick"]')).toHaveProperty('required');
    expect(options('pick')).toEqual([['', 'Choose…', true], ['a', 'a', false], ['b', 'b', false]]);
    expect(one(doc, '//select[@name="pick"]/option[@value=""]')).toHaveProperty('disabled');
    expect(options('maybe')).toEqual([['', '(not set)', false], ['x', 'x', false]]);
    expect(one(doc, '//select[@name="many"]')).toHaveProperty('multiple');
    expect(options('many')).toEqual([['a', 'a', false], ['b', 'b', true]]);
  });

  it('url, dateTime and patterned text inputs', () => {
    expect(one(doc, '//input[@name="src"]')).toMatchObject({ type: 'url', placeholder: 'https://…' });
    expect(one(doc, '//input[@name="when"]')).toMatchObject({ type: 'text', placeholder: '2030-01-31T12:00:00Z' });
    expect(one(doc, '//input[@name="when"]').pattern).toBeDefined();
    expect(one(doc, '//input[@name="code"]')).toMatchObject({ type: 'text', pattern: '[A-Z]{3}' });
  });

  it('repeating values get an "add" button; repeating files one multiple input', () => {
    expect(doc.get('//input[@name="tags"]/ancestor::div[@class="field"]//button[@data-add]')).not.toBeNull();
    expect(one(doc, '//input[@name="files"]')).toMatchObject({ type: 'file' });
    expect(one(doc, '//input[@name="files"]')).toHaveProperty('multiple');
  });

  it('booleans: an optional one without default can stay unset, a required one must be chosen', () => {
    expect(doc.find<libxml.Element>('//input[@name="opt"]').map((r) => [attrs(r).value, 'checked' in attrs(r)])).toEqual([
      ['true', false], ['false', false], ['', true],
    ]);
    const need = doc.find<libxml.Element>('//input[@name="need"]').map(attrs);
    expect(need.map((r) => [r.value, 'checked' in r, 'required' in r])).toEqual([['true', false, true], ['false', false, true]]);
  });

  it('shows a fixed value without sending it', () => {
    expect(doc.find('//*[@name="locked"]')).toHaveLength(0);
    expect(doc.get<libxml.Element>('//output')!.text()).toBe('v1');
  });

  it('writes defaults as an HTML number input accepts them', () => {
    expect(one(doc, '//input[@name="n"]')).toMatchObject({ value: '5', step: '1' });
  });

  it('gives every labelled control a unique id its label points to', () => {
    const ids = doc.find<libxml.Element>('//*[@id]').map((e) => attrs(e).id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const label of doc.find<libxml.Element>('//label[@for]')) {
      expect(doc.get(`//*[@id="${attrs(label).for}"]`)).not.toBeNull();
    }
  });
});

describe('HtmlFormRenderer: escaping', () => {
  const evil = '<script>alert(1)</script>"\'&`=';
  const d = demo(
    [
      param({ name: 'p', doc: evil, default: evil, unit: evil, pattern: '.*', choices: undefined }),
      param({ name: 'q', default: evil, choices: [{ value: evil, doc: evil }] }),
      param({ name: 'r', type: 'int', min: 0, max: 5, unit: evil, default: '1', doc: evil }),
    ],
    { description: evil, results: [{ id: evil, mediaType: evil, file: evil, doc: evil }] },
  );
  const text = html(d);

  it('never lets WADL text become markup', () => {
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('"\'&`=');
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;&#x60;&#x3D;');
    const doc = dom(text);
    expect(doc.find('//script')).toHaveLength(1);
    // attribute values survive intact
    expect(one(doc, '//input[@name="p"]').value).toBe(evil);
    expect(doc.find<libxml.Element>('//select[@name="q"]/option').map((o) => attrs(o).value)).toEqual([evil]);
  });

  it('escapes the index and error pages too', () => {
    const index = renderer.index([{ type: 'x', available: false, description: evil, problems: [evil] }], opts);
    const error = renderer.error(404, evil, evil, opts, [evil]);
    for (const page of [index, error]) {
      expect(page).not.toContain('<script>alert');
      expect(dom(page).find('//script')).toHaveLength(0);
    }
  });

  it('uses no triple-stash in any view', () => {
    for (const f of fs.readdirSync(VIEWS)) expect(fs.readFileSync(path.join(VIEWS, f), 'utf8')).not.toContain('{{{');
  });
});

describe('HtmlFormRenderer.index and error', () => {
  it('lists available types with links and unavailable ones with their problems', () => {
    const doc = dom(renderer.index([
      { type: 'good', available: true, description: 'Does good', problems: [] },
      { type: 'bad', available: false, description: null, problems: ['bad.wadl:3: error: no results declared'] },
    ], opts));
    expect(doc.get<libxml.Element>('//p[@class="lead"]')!.text()).toBe('1 of 2 available. Pick one to create a job.');
    const items = doc.find<libxml.Element>('//ul[@class="types"]/li');
    expect(attrs(items[0].get<libxml.Element>('.//h2/a')!).href).toBe('https://uws.example.org/forms/good');
    expect(items[0].find<libxml.Element>('.//a').map((a) => attrs(a).href)).toContain('https://uws.example.org/wadl/good');
    expect(items[1].get<libxml.Element>('.//span[@class="badge"]')!.text()).toBe('unavailable');
    expect(items[1].get<libxml.Element>('.//ul[@class="problems"]/li')!.text()).toBe('bad.wadl:3: error: no results declared');
    expect(items[1].find('.//a')).toHaveLength(0);
  });

  it('error pages say what happened', () => {
    const doc = dom(renderer.error(503, 'Unavailable', "Job type 'x' is unavailable", opts, ['x.wadl:1: error: broken']));
    expect(doc.get<libxml.Element>('//h1')!.text()).toBe('503 · Unavailable');
    expect(doc.get<libxml.Element>('//ul[@class="problems"]/li')!.text()).toBe('x.wadl:1: error: broken');
  });
});

describe('helpers', () => {
  it('formatBytes', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(10485760)).toBe('10 MiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1073741824)).toBe('1 GiB');
  });

  it('fieldView gives limits as hints', () => {
    const f = describeForm(demo([param({ name: 'x', type: 'double', min: 1, unit: 'm' })]), ctx).parameters[0];
    expect(fieldView(f, 0).hints).toEqual(['at least 1 m']);
  });
});
