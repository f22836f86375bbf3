// The case panel's 动态巡查 section, for a case found on patrol or reported: what was found and
// when, each step of the quick response (制止, 立案, 报告, 复查) with its deadline and whether it
// was done on time or is overdue, the case it joined (并入) and the others at its site (同一地块),
// the watch list, and for office roles the report behind it (举报: who, how to reach them,
// what they said; GET /api/patrol/reports/{id}, fetched when the panel shows).
// Test hooks: "case-patrol", "patrol-violation", "patrol-found-at", "patrol-source",
// "patrol-steps" with one "patrol-step" per step (data-step, data-status), "patrol-linked"
// (data-case-id), "patrol-site-link" (data-case-id), "patrol-watch", "patrol-report"
// (data-status loading|shown|none|denied) with "patrol-reporter-name", "patrol-reporter-contact",
// "patrol-report-content".

import { hasRole } from './auth.js';
import { dataValue, fill, h } from './dom.js';
import { formatDate, formatDateTime } from './labels.js';
import { now } from './clock.js';
import { fieldLabel, programmeLabel, sourceLabel, violationLabel } from './meta.js';
import { t } from './messages.js';
import { OFFICE_ROLES, PATROL, caseSteps, stepText } from './patrol-model.js';

const ILLEGAL = 'illegal';

function row(term, value, testid, { data = false } = {}) {
  return [h('dt', {}, term), h('dd', { 'data-testid': testid, 'data-value': data ? '' : null }, value)];
}

function caseLink(id, text, testid, onOpenCase, batchId = null) {
  return h('a', {
    href: `#case=${encodeURIComponent(id)}`, 'data-testid': testid, 'data-case-id': String(id),
    onclick: (e) => {
      e.preventDefault();
      if (onOpenCase) onOpenCase(id, batchId);
    },
  }, h('span', { 'data-value': '' }, text));
}

/** The steps; one not done is still due while the server allows its action, and only on an
 * illegal site (a dismissed finding has nothing left to do). */
function stepsList(c, m) {
  const allowed = new Set(c.allowed_actions || []);
  const illegal = c.judgment === ILLEGAL;
  const steps = caseSteps(m, now(), (action) => illegal && allowed.has(action));
  if (!steps.length) return null;
  return h('ol', { class: 'patrol-steps', 'data-testid': 'patrol-steps' }, steps.map((s) => h('li', {
    class: `patrol-step step-${s.status}`, 'data-testid': 'patrol-step', 'data-step': s.step, 'data-status': s.status,
  }, h('strong', {}, s.label), ' ', h('span', {}, stepText(s)))));
}

/** 并入 (the open case this finding's site is handled in) and the other cases at its site. */
function links(c, m, onOpenCase) {
  const site = Array.isArray(c.site_cases) ? c.site_cases : [];
  const linkedId = m.linked_case_id;
  const linked = linkedId === null || linkedId === undefined ? null : (site.find((x) => String(x.id) === String(linkedId)) || { id: linkedId });
  const others = site.filter((x) => String(x.id) !== String(linkedId));
  if (!linked && !others.length) return null;
  const out = h('div', { class: 'patrol-links' },
    linked ? h('p', {}, t('patrol.joined'), ' ',
      caseLink(linked.id, linked.code ?? linked.id, 'patrol-linked', onOpenCase, linked.batch_id ?? null)) : null,
    others.length ? h('p', {}, t('patrol.sameSite'), ' ', others.map((x, i) => [i ? t('panel.sep2') : '',
      caseLink(x.id, x.code ?? x.id, 'patrol-site-link', onOpenCase, x.batch_id ?? null),
      x.programme && x.programme !== PATROL ? h('span', { class: 'muted' }, ` (${programmeLabel(x.programme)})`) : null])) : null);
  return { element: out, missingCode: linked && linked.code === undefined ? linked.id : null };
}

function watchRows(m) {
  if (!(m.watch_interval_days > 0)) return null;
  return h('dl', { class: 'facts', 'data-testid': 'patrol-watch' },
    row(t('patrol.watchInterval'), t('patrol.everyDays', { n: m.watch_interval_days }), 'patrol-watch-interval'),
    row(t('patrol.watchDue'), formatDate(m.watch_due_on), 'patrol-watch-due'),
    row(t('patrol.lastInspected'), formatDateTime(m.last_inspected_at), 'patrol-last-inspected'),
    row(t('patrol.reinspections'), String(m.reinspections ?? 0), 'patrol-reinspections'));
}

/** The 举报 behind the case, for office roles: fetched, then shown (its fields are data). */
function reportBox(c, { api, user }) {
  if (!hasRole(user, ...OFFICE_ROLES)) return null;
  const box = h('div', { class: 'patrol-report', 'data-testid': 'patrol-report', 'data-status': 'loading' },
    h('p', { class: 'muted' }, t('patrol.reportLoading')));
  api.patrolReport(c.id).then((r) => {
    box.dataset.status = 'shown';
    fill(box,
      h('h4', {}, t('patrol.reportHeading'), ' ', h('span', { class: 'secret-badge' }, t('patrol.secret'))),
      h('dl', { class: 'facts' },
        row(t('patrol.source'), sourceLabel(r.source), 'patrol-report-source'),
        row(t('patrol.receivedAt'), formatDateTime(r.received_at), 'patrol-report-received'),
        row(t('patrol.reporterName'), r.reporter_name || '—', 'patrol-reporter-name', { data: true }),
        row(t('patrol.reporterContact'), r.reporter_contact || '—', 'patrol-reporter-contact', { data: true }),
        row(t('patrol.content'), r.content || '—', 'patrol-report-content', { data: true }),
        row(t('patrol.receivedBy'), r.received_by || '—', 'patrol-report-by', { data: true })));
  }).catch((err) => {
    // No report behind a patrol finding (404); another role (403): nothing to show.
    box.dataset.status = err.status === 404 ? 'none' : (err.status === 403 ? 'denied' : 'error');
    box.replaceChildren();
    if (err.status !== 404 && err.status !== 403) box.append(h('p', { class: 'muted' }, t('patrol.reportFailed', { message: err.message })));
  });
  return box;
}

/**
 * The section for a patrol case (null for any other): {api, user, onOpenCase(id, batchId)}.
 * A joined case whose code the panel does not have yet is looked up (GET /api/cases/{id}).
 */
export function patrolSection(c, { api, user, onOpenCase }) {
  if (c.programme !== PATROL) return null;
  const m = c.milestones || {};
  const source = c.attributes ? Object.values(c.attributes).find((v) => typeof v === 'string' && sourceLabel(v) !== v) : null;
  const linkBox = links(c, m, onOpenCase);
  if (linkBox && linkBox.missingCode !== null) {
    api.getCase(linkBox.missingCode).then((other) => {
      const a = linkBox.element.querySelector('[data-testid="patrol-linked"]');
      if (a && other) {
        a.replaceChildren(dataValue(other.code ?? other.id));
        a.onclick = (e) => {
          e.preventDefault();
          onOpenCase(other.id, other.batch_id ?? null);
        };
      }
    }).catch(() => { /* the link still opens it by id */ });
  }
  return h('section', { class: 'panel-section section-patrol', 'aria-labelledby': 'sec-patrol', 'data-testid': 'case-patrol' },
    h('h3', { id: 'sec-patrol' }, t('patrol.sectionTitle')),
    h('dl', { class: 'facts' },
      row(fieldLabel('violation'), violationLabel(m.violation) || '—', 'patrol-violation'),
      source ? row(t('patrol.origin'), sourceLabel(source), 'patrol-source') : null,
      row(fieldLabel('found_at'), formatDateTime(m.found_at), 'patrol-found-at'),
      m.note ? row(fieldLabel('note'), m.note, 'patrol-note', { data: true }) : null,
      m.stop_order_no ? row(fieldLabel('order_no'), m.stop_order_no, 'patrol-stop-order', { data: true }) : null,
      m.report_doc_no ? row(fieldLabel('doc_no'), m.report_doc_no, 'patrol-report-doc', { data: true }) : null),
    stepsList(c, m),
    linkBox ? linkBox.element : null,
    watchRows(m),
    reportBox(c, { api, user }));
}
