import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libxml from 'libxmljs2';
import type { JobDescriptor } from '../descriptor/descriptor.types';
import { demoWadl, readFixture } from '../descriptor/fixtures/wadl.fixture';
import { EXT_NS, WADL_NS } from '../descriptor/wadl.constants';
import { parseWadl } from '../descriptor/wadl.parser';
import { validateWadlSchema } from '../descriptor/wadl.schema';
import { escapeXml, generateServiceWadl } from './service-wadl.generator';

const BASE = 'https://uws.example.org/svc';
const NS = { w: WADL_NS, uh: EXT_NS };

function parsed(xml: string, type: string): JobDescriptor {
  const o = parseWadl(xml, { file: `${type}.wadl`, type });
  if (!o.descriptor) throw new Error(o.messages.map((m) => `${m.line}: ${m.message}`).join('\n'));
  return o.descriptor;
}

/** The descriptor without the WADL line numbers, which naturally differ. */
const withoutLines = (d: JobDescriptor): unknown => JSON.parse(JSON.stringify(d, (k, v) => (k === 'line' ? undefined : v)));

const KITCHEN_SINK = demoWadl(`
          <param style="query" name="text" type="xs:string" required="true" uh:pattern="[a-z&amp;&lt;]+">
            <doc>Says &lt;script&gt;alert(1)&lt;/script&gt; &amp; "quotes" 'too'</doc></param>
          <param style="query" name="count" type="xs:long" default="-3" uh:min="-10" uh:max="1e6" uh:unit="&quot;items&quot;"/>
          <param style="query" name="ratio" type="xs:float" default="0.5" uh:min="0" uh:max="1"/>
          <param style="query" name="big" type="xs:integer"/>
          <param style="query" name="flag" type="xs:boolean" default="true"/>
          <param style="query" name="when" type="xs:dateTime" default="2030-01-01T00:00:00Z"/>
          <param style="query" name="source" type="xs:anyURI" repeating="true"/>
          <param style="query" name="upload" type="file" uh:maxSize="1024"/>
          <param style="query" name="mode" type="xs:int" default="2">
            <option value="1"><doc>One &lt;b&gt;</doc></option><option value="2"/></param>
          <param style="query" name="locked" type="xs:string" fixed="yes"/>`, {
  results: `<param name="result-id" type="xs:string">
            <option value="out" mediaType="text/plain" uh:file="out.txt"><doc>Output &amp; more</doc></option>
            <option value="img" mediaType="image/png" uh:file="plots/*.png"/>
          </param>
          <param name="EXECUTIONDURATION" type="xs:int" default="30" uh:max="60"/>`,
  tail: `
  <representation id="quote" mediaType="text/plain" uh:default="7"/>
  <uh:resources><uh:cpus default="2" overridable="true" min="1" max="4"/><uh:partition default="short"/></uh:resources>`,
});

const cases: [string, () => JobDescriptor][] = [
  ['ctbin fixture', () => parsed(readFixture('ctbin.wadl'), 'ctbin')],
  ['sleep plugin', () => parsed(fs.readFileSync(path.resolve(__dirname, '../../plugins/sleep/sleep.wadl'), 'utf8'), 'sleep')],
  ['every type, escaping, fixed, repeating, resources', () => parsed(KITCHEN_SINK, 'demo')],
  ['no duration, no quote, no docs', () => parsed(demoWadl('<param name="x" type="xs:int"/>'), 'demo')],
];

describe.each(cases)('generateServiceWadl: %s', (_name, make) => {
  const d = make();
  const xml = generateServiceWadl(d, BASE);

  it('is valid against the WADL schema and the extension schema', () => {
    expect(validateWadlSchema(xml, 'service.wadl')).toEqual([]);
  });

  it('reads back, without any message, as the same descriptor', () => {
    const o = parseWadl(xml, { file: 'service.wadl', type: d.type });
    expect(o.messages).toEqual([]);
    expect(withoutLines(o.descriptor!)).toEqual(withoutLines(d));
  });
});

describe('generateServiceWadl: the resource tree', () => {
  const d = parsed(KITCHEN_SINK, 'demo');
  const doc = libxml.parseXml(generateServiceWadl(d, BASE));
  const list = doc.get<libxml.Element>('/w:application/w:resources/w:resource', NS)!;
  const attr = (el: libxml.Element | null, name: string, ns?: string) => {
    const a = ns ? el?.attrs().find((x) => x.name() === name && x.namespace()?.href() === ns) : el?.attr(name);
    return a?.value();
  };

  it('roots the job list at the service base URL', () => {
    expect(attr(doc.get<libxml.Element>('/w:application/w:resources', NS), 'base')).toBe(`${BASE}/rest/`);
    expect(attr(list, 'path')).toBe('demo');
    expect(doc.get<libxml.Element>('/w:application/w:doc[@title="description"]', NS)!.text()).toBe('Demo job');
  });

  it('lists jobs with PHASE (repeating), AFTER and LAST', () => {
    const params = list.find<libxml.Element>('w:method[@name="GET"]/w:request/w:param', NS);
    expect(params.map((p) => `${attr(p, 'name')}:${attr(p, 'type')}:${attr(p, 'repeating') ?? 'false'}`)).toEqual([
      'PHASE:xs:string:true', 'AFTER:xs:dateTime:false', 'LAST:xs:int:false',
    ]);
    expect(params[0].find('w:option', NS).length).toBe(10);
  });

  it('creates jobs with every job parameter, typed, with limits in the extension namespace, plus the UWS controls', () => {
    const params = list.find<libxml.Element>('w:method[@name="POST"]/w:request/w:param', NS);
    expect(params.map((p) => attr(p, 'name'))).toEqual([
      'text', 'count', 'ratio', 'big', 'flag', 'when', 'source', 'upload', 'mode', 'locked',
      'result-id', 'PHASE', 'RUNID', 'EXECUTIONDURATION', 'DESTRUCTION',
    ]);
    expect(params.every((p) => attr(p, 'style') === 'query')).toBe(true);
    const byName = (n: string) => params.find((p) => attr(p, 'name') === n)!;
    expect(attr(byName('text'), 'required')).toBe('true');
    expect(attr(byName('text'), 'pattern', EXT_NS)).toBe('[a-z&<]+');
    expect(attr(byName('count'), 'type')).toBe('xs:long');
    expect(attr(byName('count'), 'min', EXT_NS)).toBe('-10');
    expect(attr(byName('count'), 'max', EXT_NS)).toBe('1000000');
    expect(attr(byName('count'), 'unit', EXT_NS)).toBe('"items"');
    expect(attr(byName('upload'), 'type')).toBe('file');
    expect(attr(byName('upload'), 'maxSize', EXT_NS)).toBe('1024');
    expect(attr(byName('source'), 'repeating')).toBe('true');
    expect(attr(byName('locked'), 'fixed')).toBe('yes');
    expect(byName('mode').find<libxml.Element>('w:option', NS).map((o) => attr(o, 'value'))).toEqual(['1', '2']);
    expect(attr(byName('EXECUTIONDURATION'), 'default')).toBe('30');
    expect(attr(byName('EXECUTIONDURATION'), 'max', EXT_NS)).toBe('60');
    expect(byName('PHASE').find<libxml.Element>('w:option', NS).map((o) => attr(o, 'value'))).toEqual(['RUN']);
  });

  it('describes every job sub-resource', () => {
    const job = list.get<libxml.Element>('w:resource[@path="{job-id}"]', NS)!;
    expect(job.find<libxml.Element>('w:method', NS).map((m) => attr(m, 'name'))).toEqual(['GET', 'DELETE', 'POST']);
    expect(job.find<libxml.Element>('w:method[@name="GET"]/w:request/w:param', NS).map((p) => attr(p, 'name'))).toEqual(['WAIT', 'PHASE']);
    expect(job.find<libxml.Element>('w:method[@name="POST"]/w:request/w:param', NS).map((p) => attr(p, 'name'))).toEqual(['ACTION']);
    expect(job.find<libxml.Element>('w:resource', NS).map((r) => attr(r, 'path'))).toEqual([
      'phase', 'executionduration', 'destruction', 'error', 'quote', 'owner', 'parameters', 'results',
    ]);
    const quote = job.get<libxml.Element>('w:resource[@path="quote"]//w:representation', NS)!;
    expect(attr(quote, 'id')).toBe('quote');
    expect(attr(quote, 'default', EXT_NS)).toBe('7');
  });

  it('offers one representation per declared result', () => {
    const reps = list.find<libxml.Element>('w:resource[@path="{job-id}"]/w:resource[@path="results"]/w:resource[@path="{result-id}"]/w:method/w:response/w:representation', NS);
    expect(reps.map((r) => attr(r, 'mediaType'))).toEqual(['text/plain', 'image/png']);
    expect(reps.map((r) => r.get<libxml.Element>('w:doc', NS)!.text())).toEqual(['Output & more (out.txt)', 'plots/*.png']);
  });

  it('escapes what it copies from the plugin', () => {
    const xml = generateServiceWadl(d, BASE);
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('Says &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &apos;too&apos;');
    const text = list.get<libxml.Element>('w:method[@name="POST"]/w:request/w:param[@name="text"]/w:doc', NS)!.text();
    expect(text).toBe('Says <script>alert(1)</script> & "quotes" \'too\'');
  });
});

describe('escapeXml', () => {
  it('escapes markup and quotes, keeps line breaks in attributes, drops characters XML cannot carry', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\nb\tc')).toBe('a&#10;b&#9;c');
    expect(escapeXml('a\u0000b\u0007c\uFFFEd')).toBe('abcd');
    expect(escapeXml('Å 😀')).toBe('Å 😀');
  });
});
