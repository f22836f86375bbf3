// The case panel: a side panel on wide screens, a bottom sheet on phones (sheet.js, style.css).
// Facts, 自动预判, 下发记录, 照片 (with the upload control), 立案案件 (with 登记缴款), the action
// forms the signed-in user may use, attributes and the event history.

import { mayTake } from './auth.js';
import { announce, dataValue, fill, h } from './dom.js';
import { isFieldStep } from './form-model.js';
import { actionForm, buildForm, paymentForm } from './forms.js';
import { mayUpload, photoStep, photosSection } from './panel-photos.js';
import { createSheet } from './sheet.js';
import {
  ATTRIBUTE_LABELS, HINT_WARN_PATTERN, colourFor, fmt2, formatArea, formatDate, formatDateTime,
  formatYuan, issuanceReasonLabel,
} from './labels.js';
import {
  actionLabel, fieldLabel, guards, judgmentLabel, payloadValue, programmeLabel,
  roleLabel, rolesFor, stateLabel, statesWith,
} from './meta.js';
import { t, tParts } from './messages.js';
import { isPatrol } from './patrol-model.js';

function row(term, value, testid) {
  return [h('dt', {}, term), h('dd', { 'data-testid': testid }, value)];
}

/** A row whose value is data (place names, people): kept as it is in every language. */
function dataRow(term, value, testid) {
  return [h('dt', {}, term), h('dd', { 'data-testid': testid, 'data-value': '' }, value)];
}

function attributesTable(attributes) {
  const entries = Object.entries(attributes || {});
  if (!entries.length) return h('p', { class: 'muted' }, t('panel.noAttributes'));
  return h('table', { class: 'attr-table' },
    h('caption', { class: 'visually-hidden' }, t('panel.attributeTable')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('panel.field')), h('th', { scope: 'col' }, t('panel.value')))),
    h('tbody', {}, entries.map(([key, value]) => h('tr', {},
      h('th', { scope: 'row' }, ATTRIBUTE_LABELS[key] ? t('panel.sep', { value: t(ATTRIBUTE_LABELS[key]), key }) : key),
      h('td', { 'data-value': '' }, value === null || value === undefined || value === '' ? '—'
        : typeof value === 'object' ? JSON.stringify(value) : String(value))))));
}

/** 乡镇 / 村 from the hints; a 图斑 over several villages lists each with its share. */
function placeRows(hints) {
  if (!hints || (!hints.township_name && !hints.village_name)) return null;
  const villages = Array.isArray(hints.villages) ? hints.villages : [];
  const village = villages.length > 1
    ? villages.map((v) => `${v.name || v.code}${typeof v.share === 'number' ? ` ${Math.round(v.share * 100)}%` : ''}`).join(t('panel.sep2'))
    : (hints.village_name || '—');
  return [
    dataRow(t('panel.township'), hints.township_name || '—', 'case-township'),
    dataRow(villages.length > 1 ? t('panel.villageVillages', { length: villages.length }) : t('panel.village'), village, 'case-village'),
  ];
}

/** A hint sentence with its warning phrases emphasised. */
function hintNote(text) {
  const parts = String(text).split(HINT_WARN_PATTERN);
  const warn = parts.length > 1;
  // The server writes hint notes in Chinese (geo/hints.py): shown as they are, like data.
  return h('li', { class: warn ? 'hint-note warn' : 'hint-note', 'data-testid': 'hint-note', 'data-warn': String(warn), 'data-value': '' },
    warn ? h('span', { class: 'hint-icon', 'aria-hidden': 'true' }, '⚠') : null,
    warn ? h('span', { class: 'visually-hidden' }, t('panel.note')) : null,
    parts.map((part, i) => (i % 2 ? h('strong', { class: 'hint-warn' }, part) : part)));
}

/** 自动预判（仅供参考）: the hints in words, in an info box that says they are not a judgment. */
function hintsSection(c) {
  const notes = Array.isArray(c.hint_notes) ? c.hint_notes : [];
  const noRefs = !c.hints || Object.values(c.hints).every((v) => v === null || v === undefined);
  return h('section', { class: 'panel-section section-hints', 'aria-labelledby': 'sec-hints' },
    h('h3', { id: 'sec-hints' }, t('panel.automaticHintsReferenceOnly')),
    h('div', { class: 'hint-box', 'data-testid': 'case-hints', role: 'note' },
      h('p', { class: 'hint-disclaimer' },
        h('span', { class: 'hint-info', 'aria-hidden': 'true' }, 'ⓘ'),
        t('panel.generatedFromReferenceLayers')),
      notes.length
        ? h('ul', { class: 'hint-notes' }, notes.map(hintNote))
        : h('p', { class: 'muted' }, noRefs ? t('panel.noReferenceLayersLoaded') : t('panel.nothingPointOut'))));
}

function issuanceItem(it, c, { onOpenCase, batchName, currentBatchId }) {
  const period = it.period || batchName(it.batch_id) || t('panel.batch', { batch_id: it.batch_id });
  const here = String(it.batch_id) === String(currentBatchId);
  const repeat = it.reason && it.reason !== 'first';
  return h('li', { class: repeat ? 'issuance repeat' : 'issuance', 'data-testid': 'issuance', 'data-reason': it.reason || '' },
    here || !onOpenCase
      ? h('span', { class: 'issuance-period' }, period, here ? h('span', { class: 'muted' }, t('panel.thisBatch')) : null)
      : h('a', {
        href: `#batch=${encodeURIComponent(it.batch_id)}&case=${encodeURIComponent(c.id)}`,
        class: 'issuance-period',
        title: t('panel.seeThisPolygonBatch', { period }),
        onclick: (e) => { e.preventDefault(); onOpenCase(c.id, it.batch_id); },
      }, period),
    ' · ', h('span', { class: 'issuance-code' }, it.code || '—'),
    ' · ', h('span', { class: repeat ? 'issuance-reason repeat' : 'issuance-reason' }, issuanceReasonLabel(it.reason, it.iou)),
    typeof it.area_m2 === 'number' ? h('span', { class: 'muted' }, ` · ${formatArea(it.area_m2)}`) : null);
}

function issuancesSection(c, ctx) {
  const list = Array.isArray(c.issuances) ? c.issuances : [];
  if (!list.length) return null;
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-issuances' },
    h('h3', { id: 'sec-issuances' }, t('panel.issuances', { length: list.length })),
    h('ol', { class: 'issuances', 'data-testid': 'case-issuances' }, list.map((it) => issuanceItem(it, c, ctx))));
}

function siteCasesSection(c, { onOpenCase }) {
  const list = Array.isArray(c.site_cases) ? c.site_cases : [];
  if (!list.length) return null;
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-site' },
    h('h3', { id: 'sec-site' }, t('panel.otherProgrammesCasesThis')),
    h('ul', { class: 'site-cases', 'data-testid': 'case-site-cases' }, list.map((sc) => h('li', {},
      h('a', {
        href: `#case=${encodeURIComponent(sc.id)}`,
        'data-testid': 'site-case-link',
        'data-case-id': String(sc.id),
        onclick: onOpenCase ? (e) => { e.preventDefault(); onOpenCase(sc.id, sc.batch_id ?? null); } : null,
      }, `${programmeLabel(sc.programme)} · ${sc.code ?? sc.id}`),
      ' · ', h('span', { class: 'state-chip' },
        h('span', { class: 'swatch', style: `background:${colourFor(sc.state)}` }),
        stateLabel(sc.state, sc.state_label))))));
}

function stateOf(snapshot) {
  return snapshot && typeof snapshot === 'object' ? snapshot.state : snapshot;
}

function eventItem(ev) {
  const before = stateOf(ev.before);
  const after = stateOf(ev.after);
  const payload = Object.entries(ev.payload || {}).filter(([, v]) => v !== null && v !== '');
  return h('li', { class: 'event' },
    h('div', { class: 'event-head' },
      h('strong', {}, actionLabel(ev.action) || ev.action_label),
      ' · ', dataValue(ev.actor || '—'),
      h('time', { datetime: ev.at || '' }, ' · ', formatDateTime(ev.at))),
    before || after
      ? h('div', { class: 'event-states' }, `${stateLabel(before)} → ${stateLabel(after)}`)
      : null,
    payload.length
      ? h('dl', { class: 'event-payload' }, payload.map(([k, v]) => {
        // A value shown as it was given (a note, a document number, a name) is data; a code is
        // said by its label.
        const shown = payloadValue(k, v);
        return [h('dt', {}, fieldLabel(k)), h('dd', { 'data-value': shown === String(v) ? '' : null }, shown)];
      }))
      : null);
}

// --- 立案案件 --------------------------------------------------------------------------------

function enforcementSection(c, { user, onPayment, onOpenCase }) {
  const e = c.enforcement;
  if (!e) return null;
  const payments = Array.isArray(e.payments) ? e.payments : [];
  const others = (Array.isArray(e.cases) ? e.cases : []).filter((x) => String(x.id) !== String(c.id));
  const money = (v) => (v === null || v === undefined ? '—' : formatYuan(v));
  const outstanding = Number(e.outstanding_yuan) > 0;
  return h('section', {
    class: 'panel-section', 'aria-labelledby': 'sec-enforcement', 'data-testid': 'case-enforcement',
    'data-enforcement-id': String(e.id ?? ''),
  },
  h('h3', { id: 'sec-enforcement' }, fieldLabel('enforcement_id')),
  h('dl', { class: 'facts' },
    dataRow(fieldLabel('case_no'), e.case_no || '—', 'enf-case-no'),
    dataRow(fieldLabel('offender'), e.offender || '—', 'enf-offender'),
    row(fieldLabel('filed_on'), formatDate(e.filed_on), 'enf-filed-on'),
    e.decision_no ? dataRow(fieldLabel('decision_no'), e.decision_no, 'enf-decision-no') : null,
    e.decided_on ? row(fieldLabel('decided_on'), formatDate(e.decided_on), 'enf-decided-on') : null,
    row(t('panel.fine'), money(e.fine_yuan), 'enf-fine'),
    e.confiscation_yuan ? row(t('panel.confiscated'), money(e.confiscation_yuan), 'enf-confiscation') : null,
    row(t('panel.paid'), money(e.paid_yuan), 'enf-paid'),
    row(t('panel.outstanding'), h('span', { class: outstanding ? 'owed' : null }, money(e.outstanding_yuan)), 'enf-outstanding')),
  others.length
    ? h('p', { class: 'enf-cases' }, t('panel.alsoCovers', { length: others.length }),
      others.map((x, i) => [i ? t('panel.sep2') : '', h('a', {
        href: `#case=${encodeURIComponent(x.id)}`,
        'data-testid': 'enf-case-link',
        'data-case-id': String(x.id),
        onclick: (ev) => { ev.preventDefault(); onOpenCase && onOpenCase(x.id, x.batch_id ?? null); },
      }, x.code ?? x.id)]))
    : null,
  h('h4', {}, t('panel.payments', { length: payments.length })),
  payments.length
    ? h('table', { class: 'attr-table payments', 'data-testid': 'enf-payments' },
      h('thead', {}, h('tr', {}, [fieldLabel('paid_on'), t('panel.amountYuan'), fieldLabel('receipt_no'), t('panel.recordedBy')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, payments.map((p) => h('tr', { 'data-testid': 'payment' },
        h('td', {}, formatDate(p.paid_on)),
        h('td', { class: 'num' }, fmt2(p.amount_yuan)),
        h('td', { 'data-value': '' }, p.receipt_no || '—'),
        h('td', { 'data-value': '' }, p.recorded_by || '—')))))
    : h('p', { class: 'muted' }, t('panel.noPayments')),
  mayTake(user, 'penalise') && e.id !== undefined && e.id !== null
    ? buildForm('payment', t('panel.recordPayment'), paymentForm(), ({ payload }) => onPayment(c, e, payload))
    : null);
}

// --- 办理 ------------------------------------------------------------------------------------

function roleNames(action) {
  return rolesFor(action).map(roleLabel).join(t('panel.sep3'));
}

/** Why a next step is not offered yet (the server leaves it out of allowed_actions). */
function blockedNotes(c) {
  const notes = [];
  const m = c.milestones || {};
  const g = guards();
  const photos = Array.isArray(c.photos) ? c.photos.length : (m.photo_count ?? 0);
  const inState = (action) => statesWith(action, c.programme).includes(c.state);
  if (inState('submit') && photos < g.min_evidence_photos) {
    notes.push(t('panel.atLeastEvidencePhotos', { min_evidence_photos: g.min_evidence_photos, photos }));
  }
  // A patrol case closes only once reported upwards (the server's guard).
  if (isPatrol(c.programme) && inState('close') && !m.reported_on) notes.push(t('patrol.closeNeedsReport'));
  // A case that may be annotated is in rework; after enough returns it needs the note.
  if (inState('annotate') && (m.review_returns ?? 0) >= g.resubmit_needs_note_after && !m.reviewer_note) {
    notes.push(t('panel.thisPolygonHasBeen', { review_returns: m.review_returns }));
  }
  return notes;
}

/** The form that carries the camera: the field step (核查, 举证) when this user may upload. */
function photoForm(c, user, mine) {
  // A patrol case takes photos at several steps (发现, 制止, 复查): the camera is in 照片.
  if (isPatrol(c.programme)) return null;
  return mayUpload(c, user) ? mine.find((a) => isFieldStep(a, c.programme)) || null : null;
}

function actionsSection(c, { user, onAction, mergeCandidates, extentTool, photo, quietDraft }) {
  const allowed = (c.allowed_actions || []).filter((a) => a !== 'add_photo');
  const blocked = blockedNotes(c);
  const mine = allowed.filter((a) => mayTake(user, a));
  const theirs = allowed.filter((a) => !mayTake(user, a));
  const withCamera = photoForm(c, user, mine);
  const forms = mine.map((a) => actionForm(a, (input) => onAction(c, input), {
    mergeCandidates: a === 'file' ? mergeCandidates(c) : null,
    extent: a === 'verify' && extentTool ? extentTool(c) : null,
    // The photo is taken before the form is sent: the camera sits above its submit button.
    photo: a === withCamera ? photoStep(c, photo) : null,
    // Keyed by user, case and action: a draft comes back only on the same form.
    draftKey: user ? `tuban.draft.${user.username}.${c.id}.${a}` : null,
    quietDraft,
  }));
  return h('section', { class: 'panel-section section-actions', 'aria-labelledby': 'sec-actions', 'data-testid': 'case-actions' },
    h('h3', { id: 'sec-actions' }, t('panel.actions')),
    forms.length && user ? h('p', { class: 'muted as-user' }, tParts('panel.youActAsRecorded', { value: dataValue(user.display_name || user.username) })) : null,
    forms,
    theirs.length
      ? h('p', { class: 'muted', 'data-testid': 'others-actions' },
        t('panel.stepsThatAnotherRole', { value: forms.length ? t('panel.other') : t('panel.current') }),
        theirs.map((a) => t('panel.sep4', { a: actionLabel(a), value: roleNames(a) || roleLabel('admin') })).join(t('panel.sep2')), t('panel.sep5'))
      : null,
    blocked.map((text) => h('p', { class: 'blocked-note', 'data-testid': 'action-blocked' }, text)),
    !allowed.length && !blocked.length ? h('p', { class: 'muted' }, t('panel.nothingDoThisState')) : null);
}

/**
 * Create the panel controller.
 *   onAction(caseData, {action, payload, merge}) -> Promise
 *   onUpload(caseData, files) -> Promise<[{name, ok, message}]>
 *   onPayment(caseData, enforcement, payload) -> Promise<boolean>
 *   onClose(), onOpenCase(id, batchId), getUser(), mergeCandidates(caseData) -> [{id, code}],
 *   loadThumb(img, path) (fetches the image with the token), photoHref(path) → link to the image,
 *   where(caseData) → 位置与导航 section (case-where.js) or null,
 *   patrol(caseData) → the 动态巡查 section of a patrol case (panel-patrol.js) or null
 */
export function createPanel(root, {
  onAction, onClose, onUpload = async () => [], onPayment = async () => false, onOpenCase = null,
  batchName = () => null, currentBatchId = () => null, getUser = () => null,
  mergeCandidates = () => [], loadThumb = () => {}, photoHref = (path) => path,
  extentTool = null, imagery = () => null, onSheet = () => {}, where = () => null, patrol = () => null,
}) {
  const title = h('h2', { id: 'panel-title', tabindex: '-1' }, t('panel.polygonDetails'));
  // The state beside the code, so a sheet pulled down to peek still says where the case is.
  const stateChip = h('span', { class: 'state-chip sheet-state', 'data-testid': 'sheet-state' });
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('panel.closeDetails'), 'data-testid': 'panel-close' }, '×');
  const handle = h('button', {
    type: 'button', class: 'icon-button sheet-handle', 'aria-controls': 'panel', 'data-testid': 'sheet-handle',
  }, h('span', { class: 'sheet-handle-icon', 'aria-hidden': 'true' }));
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'panel-alert', hidden: true });
  const statusBox = h('div', { class: 'status', role: 'status', 'data-testid': 'panel-status', hidden: true });
  const body = h('div', { class: 'panel-body' });
  const header = h('div', { class: 'panel-header' },
    h('span', { class: 'grabber', 'aria-hidden': 'true' }),
    h('div', { class: 'panel-heading' }, title, stateChip), handle, closeButton);
  root.replaceChildren(header, alertBox, statusBox, body);
  const sheet = createSheet(root, { header, handle, onChange: (state) => onSheet(state) });
  closeButton.addEventListener('click', () => onClose());
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') onClose();
  });

  let current = null;
  let lastUpload = null;

  /** Show the panel; a case being opened (not a redraw) brings a peeking sheet up. */
  function open(opening) {
    if (root.hidden || opening) sheet.opened();
    root.hidden = false;
    document.body.classList.add('panel-open');
  }

  async function upload(c, files, input) {
    input.disabled = true;
    root.setAttribute('aria-busy', 'true');
    announce(alertBox, '');
    announce(statusBox, t('panel.uploadingPhotos', { length: files.length }));
    let results = [];
    try {
      results = await onUpload(c, files);
    } finally {
      input.disabled = false;
    }
    lastUpload = { caseId: c.id, results };
    if (current && String(current.id) === String(c.id)) render(current);
    root.setAttribute('aria-busy', 'false');
    const ok = results.filter((r) => r.ok).length;
    const failed = results.filter((r) => !r.ok && !r.queued);
    const queued = results.filter((r) => r.queued).length;
    if (queued && !failed.length) {
      announce(statusBox, t('panel.photosKept', { n: queued }));
    } else if (failed.length) {
      announce(statusBox, '');
      announce(alertBox, t('panel.couldNotBeUploaded', { value: ok ? t('panel.uploadedPhotosSome', { ok }) : '', length: failed.length }) +
        failed.map((r) => `“${r.name}”${r.message}`).join(t('panel.sep6')));
    } else {
      announce(statusBox, t('panel.uploadedPhotos', { ok }));
    }
  }

  function render(c) {
    // Redrawn for the same case (a photo, a reload): a draft is this page's own, no note.
    const again = current !== null && String(current.id) === String(c.id);
    current = c;
    const user = getUser();
    root.dataset.caseId = String(c.id);
    root.dataset.state = c.state || '';
    root.dataset.version = String(c.version ?? '');
    const found = isPatrol(c.programme);
    title.textContent = found ? t('patrol.caseTitle', { value: c.code ?? c.id }) : t('panel.polygon', { value: c.code ?? c.id });
    fill(stateChip, h('span', { class: 'swatch', style: `background:${colourFor(c.state)}` }),
      stateLabel(c.state, c.state_label));
    const weipian = c.programme !== 'change_survey';
    fill(body,
      h('dl', { class: 'facts' },
        row(found ? t('patrol.caseCode') : t('panel.polygonCode'), c.code ?? '—', 'case-code'),
        row(t('panel.divisionCode'), c.xzqdm ?? '—', 'case-xzqdm'),
        placeRows(c.hints),
        found && !c.area_m2 ? null : row(t('panel.area'), formatArea(c.area_m2, c.area_mu), 'case-area'),
        row(t('panel.state'), h('span', { class: 'state-chip' },
          h('span', { class: 'swatch', style: `background:${colourFor(c.state)}` }),
          stateLabel(c.state, c.state_label)), 'case-state'),
        !weipian ? null
          : row(fieldLabel('judgment'), h('span', { class: c.judgment === 'illegal' ? 'judgment illegal' : 'judgment' },
            judgmentLabel(c.judgment) || c.judgment_label), 'case-judgment'),
        c.assignee ? dataRow(t('panel.verifier'), c.assignee.display_name || String(c.assignee.id), 'case-assignee') : null,
        row(t('panel.programme'), programmeLabel(c.programme) || '—', 'case-programme')),
      patrol(c),
      where(c),
      hintsSection(c),
      imagery(c),
      actionsSection(c, {
        user, onAction, mergeCandidates, extentTool, quietDraft: again,
        photo: { onUpload: upload, lastUpload },
      }),
      photosSection(c, {
        user, onUpload: upload, loadThumb, photoHref, lastUpload,
        inForm: photoForm(c, user, (c.allowed_actions || []).filter((a) => mayTake(user, a))) !== null,
      }),
      enforcementSection(c, { user, onPayment, onOpenCase }),
      issuancesSection(c, { onOpenCase, batchName, currentBatchId: currentBatchId() }),
      // A patrol case names its site's other cases in its own section; its attributes are ours.
      found ? null : siteCasesSection(c, { onOpenCase }),
      found ? null : h('section', { class: 'panel-section', 'aria-labelledby': 'sec-attrs' },
        h('h3', { id: 'sec-attrs' }, t('panel.attributes')),
        attributesTable(c.attributes)),
      h('section', { class: 'panel-section', 'aria-labelledby': 'sec-events' },
        h('h3', { id: 'sec-events' }, t('panel.history')),
        (c.events || []).length
          ? h('ol', { class: 'events', 'data-testid': 'case-events' },
            [...c.events].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).map(eventItem))
          : h('p', { class: 'muted' }, t('panel.noHistoryYet'))));
    root.setAttribute('aria-busy', 'false');
  }

  return {
    get current() { return current; },
    /** Open the panel in a loading state for a case id. */
    loading(id) {
      open(true);
      current = null;
      if (lastUpload && String(lastUpload.caseId) !== String(id)) lastUpload = null;
      root.dataset.caseId = String(id);
      root.setAttribute('aria-busy', 'true');
      title.textContent = t('panel.polygonDetails');
      stateChip.replaceChildren();
      announce(alertBox, '');
      announce(statusBox, '');
      body.replaceChildren(h('p', { class: 'muted' }, t('panel.loading')));
    },
    show(c, { keepMessages = false } = {}) {
      open(false);
      if (!keepMessages) {
        announce(alertBox, '');
        announce(statusBox, '');
        if (lastUpload && String(lastUpload.caseId) !== String(c.id)) lastUpload = null;
      }
      render(c);
    },
    focusTitle() { title.focus({ preventScroll: true }); },
    error(text) {
      announce(statusBox, '');
      announce(alertBox, text);
    },
    status(text) {
      announce(alertBox, '');
      announce(statusBox, text);
    },
    hide() {
      root.hidden = true;
      current = null;
      lastUpload = null;
      delete root.dataset.caseId;
      document.body.classList.remove('panel-open');
    },
    get isOpen() { return !root.hidden; },
    /** The sheet's height on a phone: peek, half or full. */
    sheet,
  };
}
