// Background jobs (GET /api/jobs…): follow one job's progress and show the user's recent jobs.
// Progress arrives as server-sent events read through fetch (the session token travels in a
// header, which EventSource cannot send); when the stream breaks, the job is polled instead.
// The words of kinds, states and stages come from
// /api/meta. Test hooks: data-testid="job-list", "job-row", "job-state", "job-file".

import { fill, h } from './dom.js';
import { jobKindLabel, jobStageLabel, jobStateLabel } from './meta.js';
import { t } from './messages.js';

const POLL_MS = 1000;

/** "读取 35%": a job's stage and how far it is. */
export function jobProgressText(job) {
  const pct = `${Math.round((job.progress || 0) * 100)}%`;
  const stage = jobStageLabel(job.stage);
  return stage ? `${stage} ${pct}` : pct;
}

/** Parse a chunk of an event stream: complete events out, the unfinished rest kept. */
export function parseEvents(buffer) {
  const events = [];
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop();
  for (const block of blocks) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

async function streamJob(api, jobId, onUpdate, signal) {
  const response = await api.jobEvents(jobId, { signal });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    buffer += decoder.decode(value, { stream: true });
    const parsed = parseEvents(buffer);
    buffer = parsed.rest;
    for (const e of parsed.events) {
      const job = JSON.parse(e.data);
      onUpdate(job);
      if (job.final) return job;
    }
  }
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Follow a job until it ends: onUpdate(job) at each change; resolves with the ended job. A
 * stream the server closed before the end (it closes each after a few minutes) is opened again;
 * one that fails is replaced by a look at the job before the next try.
 */
export async function followJob(api, job, onUpdate, { signal } = {}) {
  onUpdate(job);
  if (job.final) return job;
  for (;;) {
    try {
      const ended = await streamJob(api, job.id, onUpdate, signal);
      if (ended) return ended;
      await pause(POLL_MS); // a stream that keeps closing at once must not spin
    } catch (err) {
      if ((signal && signal.aborted) || err.status === 401 || err.status === 404) throw err;
      const now = await api.job(job.id);
      onUpdate(now);
      if (now.final) return now;
      await pause(POLL_MS);
    }
  }
}

function row(api, job) {
  const file = job.final && job.result && job.result.file
    ? h('a', { href: api.jobFileUrl(job.id), 'data-testid': 'job-file', download: '' }, t('jobs.download'))
    : null;
  return h('li', { 'data-testid': 'job-row', 'data-job-id': String(job.id) },
    h('span', { class: 'job-kind' }, `#${job.id} ${jobKindLabel(job)}`),
    h('span', { class: 'job-state', 'data-testid': 'job-state' },
      job.final ? jobStateLabel(job) : `${jobStateLabel(job)} ${jobProgressText(job)}`),
    // Stored once, in Chinese, when the job failed (docs/api.md, "Language"): a record, shown as kept.
    job.error ? h('small', { class: 'job-error', 'data-value': '', lang: 'zh-CN' }, job.error) : null,
    file);
}

/** createJobList(root, api) → {refresh()}: the user's ten latest jobs, newest first. */
export function createJobList(root, api) {
  const list = h('ul', { class: 'job-list', 'data-testid': 'job-list', 'aria-live': 'polite' });
  const empty = h('p', { class: 'muted' }, t('jobs.noJobs'));
  root.replaceChildren(h('h3', { id: 'jobs-title' }, t('jobs.jobs')), empty, list);
  list.setAttribute('aria-labelledby', 'jobs-title');
  async function refresh() {
    try {
      const page = await api.jobs(10);
      fill(list, (page.data || []).map((job) => row(api, job)));
      empty.hidden = (page.data || []).length > 0;
    } catch (err) {
      if (err.status !== 401) empty.textContent = t('jobs.couldNotReadJobs', { message: err.message });
    }
  }
  return { refresh };
}
