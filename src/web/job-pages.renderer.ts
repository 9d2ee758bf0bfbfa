import Handlebars from 'handlebars';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes, pageModel, PageOptions } from '../forms/html-form.renderer';
import { JobView, Phase, PHASES } from '../uws/job.model';
import { nextPhase } from '../uws/phase.machine';

/**
 * The job list and job details pages: Handlebars views in templates/views/ (jobs.hbs, job.hbs and their
 * partials) inside the shared layout, compiled in a private environment with HTML escaping on; every value
 * that comes from a user or a job goes through `{{…}}`, and the views contain no triple-stash.
 */

/** In which phases each button of a job makes sense: the one rule, for the server's markup and the page's script. */
export const ACTION_PHASES: Record<'start' | 'abort' | 'edit' | 'results', readonly Phase[]> = {
  start: PHASES.filter((p) => nextPhase(p, 'RUN') !== undefined),
  abort: PHASES.filter((p) => nextPhase(p, 'ABORT') !== undefined),
  edit: ['PENDING'],
  results: ['COMPLETED', 'ERROR', 'ABORTED'],
};
const PHASE_LISTS = Object.fromEntries(Object.entries(ACTION_PHASES).map(([k, v]) => [k, v.join(' ')]));

export interface TimeView {
  iso: string;
  text: string;
}

export function timeView(ms: number | null | undefined | Date): TimeView | null {
  if (ms === null || ms === undefined) return null;
  const iso = new Date(ms instanceof Date ? ms.getTime() : Number(ms)).toISOString();
  return { iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}` };
}

/** The URLs of one job's pages and resources. */
export function jobLinks(baseUrl: string, type: string, id: string) {
  const t = encodeURIComponent(type);
  const i = encodeURIComponent(id);
  const rest = `${baseUrl}/rest/${t}/${i}`;
  return { rest, phase: `${rest}/phase`, details: `${baseUrl}/jobs/${t}/${i}`, edit: `${baseUrl}/jobs/${t}/${i}/edit` };
}

function can(phase: Phase) {
  return Object.fromEntries(Object.entries(ACTION_PHASES).map(([k, v]) => [k, v.includes(phase)])) as Record<keyof typeof ACTION_PHASES, boolean>;
}

export interface ListFilters {
  type?: string;
  phase?: string;
  sort: 'newest' | 'oldest';
  size: number;
  owner?: string;
}

/** One row of the job list, as JobViews.browse reads it. */
export interface ListRow {
  id: string;
  type: string;
  phase: string;
  runId?: string | null;
  ownerId?: string | null;
  creationTime: number;
  startTime?: number | null;
  endTime?: number | null;
}

export interface ListPageModel {
  rows: ListRow[];
  types: string[];
  filters: ListFilters;
  admin: boolean;
  /** The list's own path and query (the buttons come back to it), and the next page's URL. */
  back: string;
  next: string | null;
  first: string | null;
  events: string;
}

export interface DetailsPageModel {
  view: JobView;
  errorDetail: string | null;
  /** /forms/{type} pre-filled from the job's values; the names of uploads that must be chosen again. */
  runAgain: string;
  uploads: string[];
  /** Paths the buttons come back to (after a phase change; after deletion). */
  back: string;
  list: string;
  events: string;
}

type PreviewKind = 'image' | 'text' | 'fits' | null;

export function previewKind(mimeType: string | undefined): PreviewKind {
  const m = (mimeType ?? '').toLowerCase().split(';')[0].trim();
  if (/^image\/(png|jpeg|gif|svg\+xml|webp)$/.test(m)) return 'image';
  if (/fits$/.test(m)) return 'fits';
  if (m.startsWith('text/') || /^application\/(json|xml|x-yaml|[\w.-]+\+(json|xml))$/.test(m)) return 'text';
  return null;
}

const PARTIALS = ['layout', 'job-styles', 'job-actions', 'live-js', 'job-rows', 'job-live'] as const;
const VIEWS = [...PARTIALS, 'jobs', 'job'] as const;

export class JobPagesRenderer {
  private readonly hb = Handlebars.create();
  private readonly views: Record<(typeof VIEWS)[number], Handlebars.TemplateDelegate>;

  constructor(viewsDir: string) {
    const options = { noEscape: false, preventIndent: true };
    this.views = Object.fromEntries(
      VIEWS.map((name) => [name, this.hb.compile(fs.readFileSync(path.join(viewsDir, `${name}.hbs`), 'utf8'), options)]),
    ) as JobPagesRenderer['views'];
    for (const name of PARTIALS) this.hb.registerPartial(name, this.views[name]);
  }

  private page(title: string, opts: PageOptions, extra: Record<string, unknown>) {
    return { ...pageModel(title, opts), jobStyles: true, ...extra };
  }

  /** The list page, or with `fragment` only its rows (what the page's script reads again on reconnection). */
  list(m: ListPageModel, opts: PageOptions, fragment = false): string {
    const f = m.filters;
    const option = (value: string, label: string, selected: boolean) => ({ value, label, selected });
    return this.views[fragment ? 'job-rows' : 'jobs']({
      page: this.page('Jobs', opts, { width: 'wide', atJobs: true }),
      csrf: opts.csrf,
      back: m.back,
      backAfterDelete: m.back,
      phases: PHASE_LISTS,
      admin: m.admin,
      events: m.events,
      forms: `${opts.baseUrl}/forms`,
      filters: {
        action: `${opts.baseUrl}/jobs`,
        types: [option('', 'all types', !f.type), ...m.types.map((t) => option(t, t, t === f.type))],
        phases: [
          option('', 'all phases', !f.phase),
          option('ACTIVE', 'active', f.phase === 'ACTIVE'),
          ...PHASES.map((p) => option(p, p, p === f.phase)),
        ],
        sorts: [option('newest', 'newest first', f.sort === 'newest'), option('oldest', 'oldest first', f.sort === 'oldest')],
        size: f.size,
        owner: f.owner ?? '',
      },
      rows: m.rows.map((r) => {
        const links = jobLinks(opts.baseUrl, r.type, r.id);
        const phase = r.phase as Phase;
        return {
          id: r.id,
          type: r.type,
          runId: r.runId ?? '',
          owner: r.ownerId ?? 'anonymous',
          phase,
          created: timeView(r.creationTime),
          started: timeView(r.startTime),
          ended: timeView(r.endTime),
          links,
          can: can(phase),
        };
      }),
      next: m.next,
      first: m.first,
    });
  }

  /** The details page, or with `fragment` only its live part (what the page's script redraws on a change). */
  details(m: DetailsPageModel, opts: PageOptions, fragment = false): string {
    const v = m.view;
    const links = jobLinks(opts.baseUrl, v.jobType, v.jobId);
    return this.views[fragment ? 'job-live' : 'job']({
      page: this.page(`${v.jobType} job ${v.runId ?? v.jobId}`, opts, { width: 'mid', atJobs: true }),
      csrf: opts.csrf,
      back: m.back,
      backAfterDelete: m.list,
      phases: PHASE_LISTS,
      events: m.events,
      list: `${opts.baseUrl}/jobs`,
      job: {
        id: v.jobId,
        type: v.jobType,
        runId: v.runId ?? '',
        owner: v.ownerId ?? 'anonymous',
        phase: v.phase,
        created: timeView(v.creationTime),
        started: timeView(v.startTime),
        ended: timeView(v.endTime),
        destruction: timeView(v.destruction),
        quote: timeView(v.quote),
        duration: v.executionDuration,
        links,
        can: can(v.phase),
        runAgain: m.runAgain,
        uploads: m.uploads,
        error: v.errorSummary ? { type: v.errorSummary.type, message: v.errorSummary.message, detail: m.errorDetail, url: `${links.rest}/error` } : null,
        parameters: v.parameters.map((p) => ({
          name: p.id,
          value: p.value,
          href: p.byReference && /^https?:\/\//i.test(p.value) ? p.value : null,
          upload: p.byReference && p.value.startsWith(`${links.rest}/parameters/`),
        })),
        results: v.results.map((r) => {
          const kind = previewKind(r.mimeType);
          return {
            id: r.id,
            href: r.href,
            mimeType: r.mimeType ?? 'application/octet-stream',
            size: r.size === undefined ? '' : formatBytes(r.size),
            bytes: r.size ?? 0,
            empty: r.size === 0,
            image: kind === 'image',
            text: kind === 'text',
            json: /json/.test(r.mimeType ?? ''),
            fits: kind === 'fits' ? `${links.details}/results/${encodeURIComponent(r.id)}/fits-header` : null,
          };
        }),
      },
    });
  }
}
