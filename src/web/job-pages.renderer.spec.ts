import * as fs from 'node:fs';
import * as path from 'node:path';
import * as libxml from 'libxmljs2';
import { parseWadl } from '../descriptor/wadl.parser';
import { describeForm } from '../forms/form.description';
import { HtmlFormRenderer, PageOptions } from '../forms/html-form.renderer';
import type { JobView } from '../uws/job.model';
import { prefillFromQuery } from './forms.controller';
import { ACTION_PHASES, JobPagesRenderer, ListPageModel, previewKind } from './job-pages.renderer';

const ROOT = path.resolve(__dirname, '../..');
const VIEWS = path.join(ROOT, 'templates/views');
const BASE = 'https://uws.example.org';
const opts: PageOptions = { baseUrl: BASE, nonce: 'n0nce', csrf: 'tok"en', user: 'alice' };
const EVIL = '<script>alert(1)</script>';
const pages = new JobPagesRenderer(VIEWS);
const attrs = (el: libxml.Element | null): Record<string, string> => Object.fromEntries((el?.attrs() ?? []).map((a) => [a.name(), a.value()]));

function listModel(over: Partial<ListPageModel> = {}): ListPageModel {
  return {
    rows: [
      { id: 'j1', type: 'sleep', phase: 'EXECUTING', runId: EVIL, ownerId: 'bob', creationTime: Date.UTC(2030, 0, 2, 3, 4, 5), startTime: Date.UTC(2030, 0, 2, 3, 4, 6) },
      { id: 'j2', type: 'ctbin', phase: 'PENDING', runId: null, ownerId: null, creationTime: Date.UTC(2030, 0, 1) },
    ],
    types: ['ctbin', 'sleep'],
    filters: { sort: 'newest', size: 25 },
    admin: false,
    back: '/jobs?phase=EXECUTING',
    next: `${BASE}/jobs?cursor=1.j2`,
    first: null,
    events: `${BASE}/jobs/events`,
    ...over,
  };
}

describe('job pages', () => {
  it('decides the buttons from the phase machine', () => {
    expect(ACTION_PHASES.start).toEqual(['PENDING', 'HELD']);
    expect(ACTION_PHASES.abort).toEqual(expect.arrayContaining(['PENDING', 'QUEUED', 'EXECUTING']));
    expect(ACTION_PHASES.abort).not.toContain('COMPLETED');
  });

  it('previews images, text and FITS by MIME type', () => {
    expect(['image/png', 'image/jpeg', 'image/gif', 'image/svg+xml'].map(previewKind)).toEqual(['image', 'image', 'image', 'image']);
    expect(['text/plain', 'text/tab-separated-values', 'application/json', 'application/xml', 'application/votable+xml'].map(previewKind)).toEqual(
      ['text', 'text', 'text', 'text', 'text'],
    );
    expect(['image/fits', 'application/fits', 'application/octet-stream', undefined].map(previewKind)).toEqual(['fits', 'fits', null, null]);
  });

  it('lists jobs with escaped values, live buttons as CSRF-carrying forms, and a nonce on its style and script only', () => {
    const html = pages.list(listModel(), opts);
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const doc = libxml.parseHtml(html);
    expect(doc.find<libxml.Element>('//style|//script').map((e) => attrs(e).nonce)).toEqual(['n0nce', 'n0nce']);
    const row = doc.get<libxml.Element>('//tr[@data-job="j1"]')!;
    expect(row.get<libxml.Element>('.//span[@data-phase-text]')!.text()).toBe('EXECUTING');
    const forms = row.find<libxml.Element>('.//form').map((f) => ({
      form: attrs(f),
      fields: Object.fromEntries(f.find<libxml.Element>('.//input').map((i) => [attrs(i).name, attrs(i).value])),
    }));
    expect(forms.map((f) => [f.form['data-act'], f.form.action, 'hidden' in f.form])).toEqual([
      ['start', `${BASE}/rest/sleep/j1/phase`, true],
      ['abort', `${BASE}/rest/sleep/j1/phase`, false],
      ['delete', `${BASE}/rest/sleep/j1`, false],
    ]);
    expect(forms[2].fields).toEqual({ _csrf: 'tok"en', _redirect: '/jobs?phase=EXECUTING', ACTION: 'DELETE' });
    expect(doc.find('//th[.="Owner"]')).toHaveLength(0);
    expect(attrs(doc.get<libxml.Element>('//a[@rel="next"]'))).toMatchObject({ href: `${BASE}/jobs?cursor=1.j2` });
    const admin = libxml.parseHtml(pages.list(listModel({ admin: true }), opts));
    expect(admin.find<libxml.Element>('//td[@data-label="Owner"]').map((e) => e.text())).toEqual(['bob', 'anonymous']);
    // The fragment the page's script reads again: rows only.
    expect(pages.list(listModel(), opts, true).trim()).toMatch(/^<tr data-job="j1"[\s\S]*<\/tr>$/);
  });

  it('shows a job with its error detail and result previews, all escaped', () => {
    const view: JobView = {
      jobId: 'j1', jobType: 'ctbin', runId: EVIL, ownerId: 'alice', phase: 'ERROR', creationTime: new Date(0), executionDuration: 60,
      parameters: [
        { id: 'inobs', value: `${BASE}/rest/ctbin/j1/parameters/inobs`, byReference: true },
        { id: 'link', value: 'javascript:alert(1)', byReference: true },
        { id: 'note', value: EVIL, byReference: false },
      ],
      results: [
        { id: 'preview', href: `${BASE}/rest/ctbin/j1/results/preview`, mimeType: 'image/png', size: 2048 },
        { id: 'outcube', href: `${BASE}/rest/ctbin/j1/results/outcube`, mimeType: 'image/fits', size: 100000 },
        { id: 'stderr', href: `${BASE}/rest/ctbin/j1/results/stderr`, mimeType: 'text/plain', size: 0 },
      ],
      errorSummary: { type: 'fatal', hasDetail: true, message: `failed ${EVIL}` },
    };
    const model = { view, errorDetail: `Traceback ${EVIL}`, runAgain: `${BASE}/forms/ctbin?a=1`, uploads: ['inobs'], back: '/jobs/ctbin/j1', list: '/jobs', events: `${BASE}/jobs/events` };
    const html = pages.details(model, opts);
    expect(html).not.toContain(EVIL);
    const doc = libxml.parseHtml(html);
    expect(doc.get<libxml.Element>('//pre[@id="error-detail"]')!.text()).toBe(`Traceback ${EVIL}`);
    expect(doc.find<libxml.Element>('//section[@id="parameters"]//a').map((a) => attrs(a).href)).toEqual([`${BASE}/rest/ctbin/j1/parameters/inobs`]);
    expect(attrs(doc.get<libxml.Element>('//li[@data-result="preview"]//img'))).toMatchObject({ src: `${BASE}/rest/ctbin/j1/results/preview` });
    expect(attrs(doc.get<libxml.Element>('//li[@data-result="outcube"]//div[@data-fits]'))['data-fits']).toBe(`${BASE}/jobs/ctbin/j1/results/outcube/fits-header`);
    expect(doc.get<libxml.Element>('//li[@data-result="stderr"]')!.text()).toContain('(empty)');
    expect(pages.details(model, opts, true).trim()).toMatch(/^<div id="job-live"[\s\S]*<\/div>$/);
  });

  it('pre-fills the creation form from a query string, and edits a pending job without its uploads', () => {
    const o = parseWadl(fs.readFileSync(path.join(ROOT, 'plugins/ctbin/ctbin.wadl'), 'utf8'), { file: 'ctbin.wadl', type: 'ctbin' });
    const form = describeForm(o.descriptor!, { baseUrl: BASE, defaultExecutionDuration: 600, maxExecutionDuration: 3600 });
    const forms = new HtmlFormRenderer(VIEWS);
    const value = (doc: libxml.Document, xpath: string) => attrs(doc.get<libxml.Element>(xpath));
    const prefill = prefillFromQuery({ NXPIX: '41', coordsys: 'GAL', usepnt: 'true', RUNID: EVIL, executionduration: '30', unknown: 'x' });
    const doc = libxml.parseHtml(forms.form(form, opts, prefill));
    expect(value(doc, '//input[@name="nxpix"]').value).toBe('41');
    expect(value(doc, '//select[@name="coordsys"]/option[@selected]').value).toBe('GAL');
    expect(value(doc, '//input[@name="usepnt"][@checked]').value).toBe('true');
    expect(value(doc, '//input[@name="RUNID"]').value).toBe(EVIL);
    expect(value(doc, '//input[@name="EXECUTIONDURATION"]').value).toBe('30');
    const edit = libxml.parseHtml(
      forms.form(form, opts, { values: { inobs: ['events.fits'], nxpix: ['7'] }, edit: { action: `${BASE}/rest/ctbin/j1/parameters`, redirect: '/jobs/ctbin/j1', jobId: 'j1', details: `${BASE}/jobs/ctbin/j1` } }),
    );
    expect(value(edit, '//form[@id="job-form"]')).toMatchObject({ action: `${BASE}/rest/ctbin/j1/parameters`, enctype: 'application/x-www-form-urlencoded' });
    expect(edit.find('//input[@type="file"]')).toHaveLength(0);
    expect(edit.get<libxml.Element>('//output[@class="fixed mono"]')!.text()).toBe('events.fits');
    expect(value(edit, '//input[@name="nxpix"]').value).toBe('7');
    expect(value(edit, '//input[@name="_redirect"]').value).toBe('/jobs/ctbin/j1');
    expect(edit.find('//input[@name="EXECUTIONDURATION"]|//button[@name="PHASE"]')).toHaveLength(0);
  });
});
