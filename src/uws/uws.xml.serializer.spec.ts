import * as libxml from 'libxmljs2';
import { assertValidUws, validateUws } from '../../test/support/uws-xsd';
import { JobRefView, JobView } from './job.model';
import {
  escapeXmlAttr,
  escapeXmlText,
  jobListXml,
  jobListXmlHead,
  jobListXmlTail,
  jobRefXml,
  jobXml,
  parametersXml,
  resultsXml,
  xmlHref,
  xmlLocalName,
} from './uws.xml.serializer';

const NS = { uws: 'http://www.ivoa.net/xml/UWS/v1.0', xlink: 'http://www.w3.org/1999/xlink' };
const HOSTILE = `<&"'> \u0000\u0001\u0008\u000b\u000c\u001f\ufffe\uffff\ud800 tab\tcr\rlf\n é 🚀 ]]>`;
// What survives: everything except the characters XML 1.0 cannot carry.
const HOSTILE_KEPT = `<&"'>  tab\tcr\rlf\n é 🚀 ]]>`;

const t = (iso: string) => new Date(iso);

const minimalJob: JobView = {
  jobId: 'j1',
  jobType: 'sleep',
  phase: 'PENDING',
  creationTime: t('2026-11-25T06:39:07.786Z'),
  executionDuration: 0,
  parameters: [],
  results: [],
};

const fullJob: JobView = {
  ...minimalJob,
  runId: 'run-7',
  ownerId: 'alice',
  phase: 'COMPLETED',
  quote: t('2026-11-25T06:45:00.000Z'),
  startTime: t('2026-11-25T06:40:00.001Z'),
  endTime: t('2026-11-25T06:41:00.002Z'),
  executionDuration: 600,
  destruction: t('2026-12-02T06:39:07.786Z'),
  parameters: [
    { id: 'duration', value: '0.1', byReference: false },
    { id: 'UPLOAD', value: 'http://host/jobs/j1/parameters/UPLOAD', byReference: true },
  ],
  results: [
    { id: 'stdout', href: 'http://host/jobs/j1/results/stdout', size: 1234, mimeType: 'text/plain' },
    { id: 'plot', href: 'http://host/jobs/j1/results/plot' },
  ],
};

function parse(xml: string): libxml.Document {
  return libxml.parseXml(xml, { nonet: true });
}

function childNames(xml: string): string[] {
  return parse(xml)
    .root()!
    .childNodes()
    .map((n) => (n.type() === 'element' ? (n as libxml.Element).name() : `#${n.type()}`));
}

function text(xml: string, xpath: string): string | undefined {
  return parse(xml).get<libxml.Element>(xpath, NS)?.text();
}

describe('uws-xsd helper', () => {
  it('reports schema errors and malformed input', () => {
    expect(validateUws('<uws:jobs xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0"><uws:bogus/></uws:jobs>')).not.toEqual([]);
    expect(validateUws('<unclosed>')[0]).toMatch(/^not well-formed/);
    expect(() => assertValidUws('<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0"/>')).toThrow(/invalid UWS XML/);
  });
});

describe('jobXml', () => {
  it('writes a job with every field, in the mandatory order, valid against the XSD', () => {
    const xml = jobXml(fullJob);
    assertValidUws(xml);
    expect(xml.startsWith('<?xml version="1.0"?>\n<uws:job version="1.1" ')).toBe(true);
    expect(xml).not.toMatch(/encoding=/);
    expect(childNames(xml)).toEqual([
      'jobId', 'runId', 'ownerId', 'phase', 'quote', 'creationTime', 'startTime', 'endTime',
      'executionDuration', 'destruction', 'parameters', 'results',
    ]);
    expect(text(xml, '/uws:job/uws:ownerId')).toBe('alice');
    expect(text(xml, '/uws:job/uws:startTime')).toBe('2026-11-25T06:40:00.001Z');
    expect(text(xml, '/uws:job/uws:destruction')).toBe('2026-12-02T06:39:07.786Z');
    expect(text(xml, '/uws:job/uws:executionDuration')).toBe('600');
    expect(xml).toContain(
      '<uws:result id="stdout" xlink:href="http://host/jobs/j1/results/stdout" xlink:type="simple" size="1234" mime-type="text/plain"/>',
    );
    expect(xml).toContain('<uws:result id="plot" xlink:href="http://host/jobs/j1/results/plot" xlink:type="simple"/>');
    expect(xml).toContain('<uws:parameter id="duration">0.1</uws:parameter>');
    expect(xml).toContain(
      '<uws:parameter id="UPLOAD" byReference="true">http://host/jobs/j1/parameters/UPLOAD</uws:parameter>',
    );
    expect(xml).not.toContain('isPost');
  });

  it('declares exactly the uws, xlink and xsi namespaces on the root', () => {
    const root = parse(jobXml(fullJob)).root()!;
    const decls = root.namespaces(true).map((n) => [n.prefix(), n.href()]);
    expect(decls).toEqual(
      expect.arrayContaining([
        ['uws', 'http://www.ivoa.net/xml/UWS/v1.0'],
        ['xlink', 'http://www.w3.org/1999/xlink'],
        ['xsi', 'http://www.w3.org/2001/XMLSchema-instance'],
      ]),
    );
    expect(decls).toHaveLength(3);
  });

  it('writes a minimal job with xsi:nil for the missing required values and no runId', () => {
    const xml = jobXml(minimalJob);
    assertValidUws(xml);
    expect(childNames(xml)).toEqual([
      'jobId', 'ownerId', 'phase', 'quote', 'creationTime', 'startTime', 'endTime',
      'executionDuration', 'destruction', 'parameters', 'results',
    ]);
    for (const name of ['ownerId', 'quote', 'startTime', 'endTime', 'destruction']) {
      expect(xml).toContain(`<uws:${name} xsi:nil="true"/>`);
    }
    expect(xml).toContain('<uws:creationTime>2026-11-25T06:39:07.786Z</uws:creationTime>');
    expect(xml).toContain('<uws:executionDuration>0</uws:executionDuration>');
    expect(xml).toContain('<uws:parameters/><uws:results/>');
  });

  it('writes an ERROR job with its errorSummary after the results', () => {
    const xml = jobXml({
      ...minimalJob,
      phase: 'ERROR',
      startTime: t('2026-11-25T06:40:00Z'),
      endTime: t('2026-11-25T06:40:01Z'),
      errorSummary: { type: 'fatal', hasDetail: true, message: `exit code 3: ${HOSTILE}` },
    });
    assertValidUws(xml);
    expect(childNames(xml).slice(-3)).toEqual(['parameters', 'results', 'errorSummary']);
    expect(xml).toContain('<uws:errorSummary type="fatal" hasDetail="true"><uws:message>exit code 3: ');
    expect(text(xml, '/uws:job/uws:errorSummary/uws:message')).toBe(`exit code 3: ${HOSTILE_KEPT}`);
  });

  it('writes jobInfo last, entries in our namespace with sanitised names', () => {
    const xml = jobXml({
      ...fullJob,
      errorSummary: { type: 'transient', hasDetail: false, message: 'node lost' },
      jobInfo: { slurmJobId: '4242', 'exit code': '0', '1st': 'a', xmlThing: 'b', 'a:b': HOSTILE, '': 'empty' },
    });
    assertValidUws(xml);
    expect(childNames(xml).slice(-2)).toEqual(['errorSummary', 'jobInfo']);
    expect(xml).toContain('<uws:jobInfo xmlns:uh="urn:uws-host:jobinfo"><uh:slurmJobId>4242</uh:slurmJobId>');
    const info = parse(xml).get<libxml.Element>('/uws:job/uws:jobInfo', NS)!;
    expect(info.childNodes().map((n) => (n as libxml.Element).name())).toEqual([
      'slurmJobId', 'exit_code', '_1st', '_xmlThing', 'a_b', '_',
    ]);
    expect(info.get<libxml.Element>('uh:a_b', { uh: 'urn:uws-host:jobinfo' })!.text()).toBe(HOSTILE_KEPT);
  });

  it('escapes hostile text in every text and attribute position', () => {
    const xml = jobXml({
      ...fullJob,
      jobId: `id${HOSTILE}`,
      runId: HOSTILE,
      ownerId: HOSTILE,
      parameters: [
        { id: HOSTILE, value: HOSTILE, byReference: false },
        { id: 'ref', value: `http://h/p?a=1&b=${HOSTILE}`, byReference: true },
      ],
      results: [{ id: HOSTILE, href: `http://h/r?x="${HOSTILE}`, mimeType: HOSTILE, size: 1 }],
    });
    assertValidUws(xml);
    expect(text(xml, '/uws:job/uws:runId')).toBe(HOSTILE_KEPT);
    expect(text(xml, '/uws:job/uws:ownerId')).toBe(HOSTILE_KEPT);
    const param = parse(xml).get<libxml.Element>('/uws:job/uws:parameters/uws:parameter[1]', NS)!;
    expect(param.attr('id')!.value()).toBe(HOSTILE_KEPT);
    expect(param.text()).toBe(HOSTILE_KEPT);
    const result = parse(xml).get<libxml.Element>('//uws:result', NS)!;
    expect(result.attr('id')!.value()).toBe(HOSTILE_KEPT);
    expect(result.attr('mime-type')!.value()).toBe(HOSTILE_KEPT);
    // xs:anyURI: the stray characters are percent-encoded, and decode back to what was given.
    expect(decodeURIComponent(result.attr('href')!.value())).toBe(`http://h/r?x="${HOSTILE_KEPT}`);
  });

  it('leaves out a result size that is not a valid xs:long count', () => {
    const xml = jobXml({ ...minimalJob, results: [{ id: 'a', href: 'http://h/a', size: 1.5 }, { id: 'b', href: 'http://h/b', size: -1 }] });
    assertValidUws(xml);
    expect(xml).not.toContain('size=');
  });
});

describe('job list', () => {
  const refs: JobRefView[] = [
    { jobId: 'b', href: 'http://host/sleep/jobs/b', phase: 'EXECUTING', runId: 'r', ownerId: 'alice', creationTime: t('2026-11-25T06:39:08Z') },
    { jobId: 'a', href: 'http://host/sleep/jobs/a', phase: 'PENDING', creationTime: t('2026-11-25T06:39:07.786Z') },
  ];

  it('writes an empty list', () => {
    const xml = jobListXml([]);
    assertValidUws(xml);
    expect(xml).toBe(
      '<?xml version="1.0"?>\n<uws:jobs version="1.1" xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" ' +
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></uws:jobs>',
    );
  });

  it('writes jobrefs only, children in jobref order, ownerId left out when anonymous', () => {
    const xml = jobListXml(refs);
    assertValidUws(xml);
    expect(childNames(xml)).toEqual(['jobref', 'jobref']);
    expect(xml).toContain(
      '<uws:jobref id="b" xlink:href="http://host/sleep/jobs/b" xlink:type="simple"><uws:phase>EXECUTING</uws:phase>' +
        '<uws:runId>r</uws:runId><uws:ownerId>alice</uws:ownerId><uws:creationTime>2026-11-25T06:39:08.000Z</uws:creationTime></uws:jobref>',
    );
    expect(xml).toContain(
      '<uws:jobref id="a" xlink:href="http://host/sleep/jobs/a" xlink:type="simple"><uws:phase>PENDING</uws:phase>' +
        '<uws:creationTime>2026-11-25T06:39:07.786Z</uws:creationTime></uws:jobref>',
    );
  });

  it('streams the same document as the one-shot form, from any iterable', () => {
    const streamed = jobListXmlHead() + refs.map(jobRefXml).join('') + jobListXmlTail();
    function* gen() {
      yield* refs;
    }
    expect(jobListXml(gen())).toBe(streamed);
  });

  it('escapes hostile ids and hrefs', () => {
    const xml = jobListXml([{ ...refs[0], jobId: HOSTILE, href: `http://h/?q=${HOSTILE}`, runId: HOSTILE, ownerId: HOSTILE }]);
    assertValidUws(xml);
    const ref = parse(xml).get<libxml.Element>('/uws:jobs/uws:jobref', NS)!;
    expect(ref.attr('id')!.value()).toBe(HOSTILE_KEPT);
    expect(decodeURIComponent(ref.attr('href')!.value())).toBe(`http://h/?q=${HOSTILE_KEPT}`);
  });
});

describe('results and parameters documents', () => {
  it('writes results, empty and not', () => {
    for (const xml of [resultsXml([]), resultsXml(fullJob.results)]) {
      assertValidUws(xml);
      expect(xml).toMatch(/^<\?xml version="1\.0"\?>\n<uws:results xmlns:uws=/);
    }
    expect(childNames(resultsXml(fullJob.results))).toEqual(['result', 'result']);
  });

  it('writes parameters, with byReference only when by reference, and hostile text escaped', () => {
    const params = [
      ...fullJob.parameters,
      { id: 'q', value: HOSTILE, byReference: false },
      { id: 'empty', value: '', byReference: false },
    ];
    const xml = parametersXml(params);
    assertValidUws(xml);
    assertValidUws(parametersXml([]));
    expect(xml.match(/byReference=/g)).toHaveLength(1);
    expect(text(xml, '/uws:parameters/uws:parameter[@id="q"]')).toBe(HOSTILE_KEPT);
    expect(xml).toContain('<uws:parameter id="empty"></uws:parameter>');
  });
});

describe('escaping helpers', () => {
  it('escapes markup and drops characters XML 1.0 forbids', () => {
    expect(escapeXmlText(`a<b>&"c'\u0000\r`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;&#13;');
    expect(escapeXmlAttr('a\tb\nc')).toBe('a&#9;b&#10;c');
    expect(escapeXmlText('🚀\ud800x')).toBe('🚀x');
  });

  it('leaves proper URLs alone in hrefs and percent-encodes only what a URI cannot hold', () => {
    const url = "https://h:8443/a_b/c-d.e~f/jobs/x%20y?p=1&q=2@!$'()*+,;=#frag";
    expect(xmlHref(url)).toBe(escapeXmlAttr(url));
    expect(xmlHref('http://h/a b"c<d>%zz%4')).toBe('http://h/a%20b%22c%3Cd%3E%25zz%254');
    expect(xmlHref('http://h/é\u0001')).toBe('http://h/%C3%A9');
    expect(xmlHref('http://[::1]:3000/jobs/[x]#a#b')).toBe('http://[::1]:3000/jobs/%5Bx%5D#a%23b');
    expect(xmlHref('relative/a b')).toBe('relative/a%20b');
  });

  it.each([
    ['slurmJobId', 'slurmJobId'],
    ['a-b.c_d', 'a-b.c_d'],
    ['9lives', '_9lives'],
    ['-x', '_-x'],
    ['XMLfoo', '_XMLfoo'],
    ['ns:name', 'ns_name'],
    ['é', '_'],
    ['', '_'],
  ])('makes %j the XML name %j', (input, expected) => {
    expect(xmlLocalName(input)).toBe(expected);
  });
});
