// The case panel: a side panel on wide screens, a bottom sheet on phones (see style.css).
// Facts, 自动预判, 下发记录, 照片 (with the upload control), 立案案件 (with 登记缴款), the action
// forms the signed-in user may use, attributes and the event history.

import { mayTake } from './auth.js';
import { announce, fill, h } from './dom.js';
import { actionForm, buildForm, paymentForm } from './forms.js';
import { photosSection } from './panel-photos.js';
import {
  ATTRIBUTE_LABELS, HINT_WARN_PATTERN, colourFor, fmt2, formatArea, formatDate, formatDateTime,
  formatYuan, issuanceReasonLabel,
} from './labels.js';
import {
  actionLabel, fieldLabel, guards, judgmentLabel, payloadValue, programmeLabel,
  roleLabel, rolesFor, stateLabel, statesWith,
} from './meta.js';

function row(term, value, testid) {
  return [h('dt', {}, term), h('dd', { 'data-testid': testid }, value)];
}

function attributesTable(attributes) {
  const entries = Object.entries(attributes || {});
  if (!entries.length) return h('p', { class: 'muted' }, '无属性数据');
  return h('table', { class: 'attr-table' },
    h('caption', { class: 'visually-hidden' }, '属性表'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '字段'), h('th', { scope: 'col' }, '值'))),
    h('tbody', {}, entries.map(([key, value]) => h('tr', {},
      h('th', { scope: 'row' }, ATTRIBUTE_LABELS[key] ? `${ATTRIBUTE_LABELS[key]}（${key}）` : key),
      h('td', {}, value === null || value === undefined || value === '' ? '—'
        : typeof value === 'object' ? JSON.stringify(value) : String(value))))));
}

/** 乡镇 / 村 from the hints; a 图斑 over several villages lists each with its share. */
function placeRows(hints) {
  if (!hints || (!hints.township_name && !hints.village_name)) return null;
  const villages = Array.isArray(hints.villages) ? hints.villages : [];
  const village = villages.length > 1
    ? villages.map((v) => `${v.name || v.code}${typeof v.share === 'number' ? ` ${Math.round(v.share * 100)}%` : ''}`).join('、')
    : (hints.village_name || '—');
  return [
    row('乡镇', hints.township_name || '—', 'case-township'),
    row(villages.length > 1 ? `村（跨 ${villages.length} 个村）` : '村', village, 'case-village'),
  ];
}

/** A hint sentence with its warning phrases emphasised. */
function hintNote(text) {
  const parts = String(text).split(HINT_WARN_PATTERN);
  const warn = parts.length > 1;
  return h('li', { class: warn ? 'hint-note warn' : 'hint-note', 'data-testid': 'hint-note', 'data-warn': String(warn) },
    warn ? h('span', { class: 'hint-icon', 'aria-hidden': 'true' }, '⚠') : null,
    warn ? h('span', { class: 'visually-hidden' }, '提示：') : null,
    parts.map((part, i) => (i % 2 ? h('strong', { class: 'hint-warn' }, part) : part)));
}

/** 自动预判（仅供参考）: the hints in words, in an info box that says they are not a judgment. */
function hintsSection(c) {
  const notes = Array.isArray(c.hint_notes) ? c.hint_notes : [];
  const noRefs = !c.hints || Object.values(c.hints).every((v) => v === null || v === undefined);
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-hints' },
    h('h3', { id: 'sec-hints' }, '自动预判（仅供参考）'),
    h('div', { class: 'hint-box', 'data-testid': 'case-hints', role: 'note' },
      h('p', { class: 'hint-disclaimer' },
        h('span', { class: 'hint-info', 'aria-hidden': 'true' }, 'ⓘ'),
        ' 由系统对照参考图层自动生成，仅供核查参考，不是核查结论。'),
      notes.length
        ? h('ul', { class: 'hint-notes' }, notes.map(hintNote))
        : h('p', { class: 'muted' }, noRefs ? '未导入参考图层，暂无自动预判。' : '未发现需要提示的情况。')));
}

function issuanceItem(it, c, { onOpenCase, batchName, currentBatchId }) {
  const period = it.period || batchName(it.batch_id) || `批次 ${it.batch_id}`;
  const here = String(it.batch_id) === String(currentBatchId);
  const repeat = it.reason && it.reason !== 'first';
  return h('li', { class: repeat ? 'issuance repeat' : 'issuance', 'data-testid': 'issuance', 'data-reason': it.reason || '' },
    here || !onOpenCase
      ? h('span', { class: 'issuance-period' }, period, here ? h('span', { class: 'muted' }, '（当前批次）') : null)
      : h('a', {
        href: `#batch=${encodeURIComponent(it.batch_id)}&case=${encodeURIComponent(c.id)}`,
        class: 'issuance-period',
        title: `在地图上查看 ${period} 批次中的该图斑`,
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
    h('h3', { id: 'sec-issuances' }, `下发记录（${list.length} 次）`),
    h('ol', { class: 'issuances', 'data-testid': 'case-issuances' }, list.map((it) => issuanceItem(it, c, ctx))));
}

function siteCasesSection(c, { onOpenCase }) {
  const list = Array.isArray(c.site_cases) ? c.site_cases : [];
  if (!list.length) return null;
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-site' },
    h('h3', { id: 'sec-site' }, '同一地块的其他项目案件'),
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
      h('strong', {}, ev.action_label || actionLabel(ev.action)),
      ' · ', ev.actor || '—',
      h('time', { datetime: ev.at || '' }, ' · ', formatDateTime(ev.at))),
    before || after
      ? h('div', { class: 'event-states' }, `${stateLabel(before)} → ${stateLabel(after)}`)
      : null,
    payload.length
      ? h('dl', { class: 'event-payload' }, payload.map(([k, v]) =>
        [h('dt', {}, fieldLabel(k)), h('dd', {}, payloadValue(k, v))]))
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
    row(fieldLabel('case_no'), e.case_no || '—', 'enf-case-no'),
    row(fieldLabel('offender'), e.offender || '—', 'enf-offender'),
    row(fieldLabel('filed_on'), formatDate(e.filed_on), 'enf-filed-on'),
    e.decision_no ? row(fieldLabel('decision_no'), e.decision_no, 'enf-decision-no') : null,
    e.decided_on ? row(fieldLabel('decided_on'), formatDate(e.decided_on), 'enf-decided-on') : null,
    row('罚款', money(e.fine_yuan), 'enf-fine'),
    e.confiscation_yuan ? row('没收', money(e.confiscation_yuan), 'enf-confiscation') : null,
    row('已缴', money(e.paid_yuan), 'enf-paid'),
    row('未缴', h('span', { class: outstanding ? 'owed' : null }, money(e.outstanding_yuan)), 'enf-outstanding')),
  others.length
    ? h('p', { class: 'enf-cases' }, `本案还包括 ${others.length} 个图斑：`,
      others.map((x, i) => [i ? '、' : '', h('a', {
        href: `#case=${encodeURIComponent(x.id)}`,
        'data-testid': 'enf-case-link',
        'data-case-id': String(x.id),
        onclick: (ev) => { ev.preventDefault(); onOpenCase && onOpenCase(x.id, x.batch_id ?? null); },
      }, x.code ?? x.id)]))
    : null,
  h('h4', {}, `缴款记录（${payments.length} 笔）`),
  payments.length
    ? h('table', { class: 'attr-table payments', 'data-testid': 'enf-payments' },
      h('thead', {}, h('tr', {}, [fieldLabel('paid_on'), '金额(元)', fieldLabel('receipt_no'), '登记人'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, payments.map((p) => h('tr', { 'data-testid': 'payment' },
        h('td', {}, formatDate(p.paid_on)),
        h('td', { class: 'num' }, fmt2(p.amount_yuan)),
        h('td', {}, p.receipt_no || '—'),
        h('td', {}, p.recorded_by || '—')))))
    : h('p', { class: 'muted' }, '暂无缴款'),
  mayTake(user, 'penalise') && e.id !== undefined && e.id !== null
    ? buildForm('payment', '登记缴款', paymentForm(), ({ payload }) => onPayment(c, e, payload))
    : null);
}

// --- 办理 ------------------------------------------------------------------------------------

function roleNames(action) {
  return rolesFor(action).map(roleLabel).join('或');
}

/** Why a next step is not offered yet (the server leaves it out of allowed_actions). */
function blockedNotes(c) {
  const notes = [];
  const m = c.milestones || {};
  const g = guards();
  const photos = Array.isArray(c.photos) ? c.photos.length : (m.photo_count ?? 0);
  const inState = (action) => statesWith(action, c.programme).includes(c.state);
  if (inState('submit') && photos < g.min_evidence_photos) {
    notes.push(`提交省级审核前须至少有 ${g.min_evidence_photos} 张举证照片（现有 ${photos} 张）。`);
  }
  // A case that may be annotated is in rework; after enough returns it needs the note.
  if (inState('annotate') && (m.review_returns ?? 0) >= g.resubmit_needs_note_after && !m.reviewer_note) {
    notes.push(`该图斑已被审核退回 ${m.review_returns} 次，须审核人先作“审核批注”，核查员才能再次提交核查。`);
  }
  return notes;
}

function actionsSection(c, { user, onAction, mergeCandidates, extentTool }) {
  const allowed = (c.allowed_actions || []).filter((a) => a !== 'add_photo');
  const blocked = blockedNotes(c);
  const mine = allowed.filter((a) => mayTake(user, a));
  const theirs = allowed.filter((a) => !mayTake(user, a));
  const forms = mine.map((a) => actionForm(a, (input) => onAction(c, input), {
    mergeCandidates: a === 'file' ? mergeCandidates(c) : null,
    extent: a === 'verify' && extentTool ? extentTool(c) : null,
    // Keyed by user, case and action: a draft comes back only on the same form.
    draftKey: user ? `tuban.draft.${user.username}.${c.id}.${a}` : null,
  }));
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-actions', 'data-testid': 'case-actions' },
    h('h3', { id: 'sec-actions' }, '办理'),
    forms.length && user ? h('p', { class: 'muted as-user' }, `以“${user.display_name || user.username}”的身份办理，记入办理记录。`) : null,
    forms,
    theirs.length
      ? h('p', { class: 'muted', 'data-testid': 'others-actions' },
        `${forms.length ? '另有' : '当前'}可办理的操作需由其他角色办理：`,
        theirs.map((a) => `${actionLabel(a)}（${roleNames(a) || roleLabel('admin')}）`).join('、'), '。')
      : null,
    blocked.map((text) => h('p', { class: 'blocked-note', 'data-testid': 'action-blocked' }, text)),
    !allowed.length && !blocked.length ? h('p', { class: 'muted' }, '当前状态下没有可办理的操作。') : null);
}

/**
 * Create the panel controller.
 *   onAction(caseData, {action, payload, merge}) -> Promise
 *   onUpload(caseData, files) -> Promise<[{name, ok, message}]>
 *   onPayment(caseData, enforcement, payload) -> Promise<boolean>
 *   onClose(), onOpenCase(id, batchId), getUser(), mergeCandidates(caseData) -> [{id, code}],
 *   loadThumb(img, path) (fetches the image with the token), photoHref(path) → link to the image
 */
export function createPanel(root, {
  onAction, onClose, onUpload = async () => [], onPayment = async () => false, onOpenCase = null,
  batchName = () => null, currentBatchId = () => null, getUser = () => null,
  mergeCandidates = () => [], loadThumb = () => {}, photoHref = (path) => path,
  extentTool = null, imagery = () => null,
}) {
  const title = h('h2', { id: 'panel-title', tabindex: '-1' }, '图斑详情');
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': '关闭详情', 'data-testid': 'panel-close' }, '×');
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'panel-alert', hidden: true });
  const statusBox = h('div', { class: 'status', role: 'status', 'data-testid': 'panel-status', hidden: true });
  const body = h('div', { class: 'panel-body' });
  root.replaceChildren(
    h('div', { class: 'panel-header' }, h('span', { class: 'grabber', 'aria-hidden': 'true' }), title, closeButton),
    alertBox, statusBox, body);
  closeButton.addEventListener('click', () => onClose());
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') onClose();
  });

  let current = null;
  let lastUpload = null;

  function open() {
    root.hidden = false;
    document.body.classList.add('panel-open');
  }

  async function upload(c, files, input) {
    input.disabled = true;
    root.setAttribute('aria-busy', 'true');
    announce(alertBox, '');
    announce(statusBox, `正在上传 ${files.length} 张照片…`);
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
      announce(statusBox, `网络已断开，${queued} 张照片已保存在本机，恢复网络后按顺序自动上传。`);
    } else if (failed.length) {
      announce(statusBox, '');
      announce(alertBox, `${ok ? `已上传 ${ok} 张照片；` : ''}${failed.length} 张未能上传：` +
        failed.map((r) => `“${r.name}”${r.message}`).join('；'));
    } else {
      announce(statusBox, `已上传 ${ok} 张照片。`);
    }
  }

  function render(c) {
    current = c;
    const user = getUser();
    root.dataset.caseId = String(c.id);
    root.dataset.state = c.state || '';
    root.dataset.version = String(c.version ?? '');
    title.textContent = `图斑 ${c.code ?? c.id}`;
    const weipian = c.programme !== 'change_survey';
    fill(body,
      h('dl', { class: 'facts' },
        row('图斑编号', c.code ?? '—', 'case-code'),
        row('行政区代码', c.xzqdm ?? '—', 'case-xzqdm'),
        placeRows(c.hints),
        row('面积', formatArea(c.area_m2, c.area_mu), 'case-area'),
        row('状态', h('span', { class: 'state-chip' },
          h('span', { class: 'swatch', style: `background:${colourFor(c.state)}` }),
          stateLabel(c.state, c.state_label)), 'case-state'),
        !weipian ? null
          : row(fieldLabel('judgment'), h('span', { class: c.judgment === 'illegal' ? 'judgment illegal' : 'judgment' },
            c.judgment_label || judgmentLabel(c.judgment)), 'case-judgment'),
        c.assignee ? row('核查员', c.assignee.display_name || String(c.assignee.id), 'case-assignee') : null,
        row('项目', programmeLabel(c.programme) || '—', 'case-programme')),
      hintsSection(c),
      imagery(c),
      actionsSection(c, { user, onAction, mergeCandidates, extentTool }),
      photosSection(c, { user, onUpload: upload, loadThumb, photoHref, lastUpload }),
      enforcementSection(c, { user, onPayment, onOpenCase }),
      issuancesSection(c, { onOpenCase, batchName, currentBatchId: currentBatchId() }),
      siteCasesSection(c, { onOpenCase }),
      h('section', { class: 'panel-section', 'aria-labelledby': 'sec-attrs' },
        h('h3', { id: 'sec-attrs' }, '属性'),
        attributesTable(c.attributes)),
      h('section', { class: 'panel-section', 'aria-labelledby': 'sec-events' },
        h('h3', { id: 'sec-events' }, '办理记录'),
        (c.events || []).length
          ? h('ol', { class: 'events', 'data-testid': 'case-events' },
            [...c.events].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).map(eventItem))
          : h('p', { class: 'muted' }, '暂无办理记录')));
    root.setAttribute('aria-busy', 'false');
  }

  return {
    get current() { return current; },
    /** Open the panel in a loading state for a case id. */
    loading(id) {
      open();
      current = null;
      if (lastUpload && String(lastUpload.caseId) !== String(id)) lastUpload = null;
      root.dataset.caseId = String(id);
      root.setAttribute('aria-busy', 'true');
      title.textContent = '图斑详情';
      announce(alertBox, '');
      announce(statusBox, '');
      body.replaceChildren(h('p', { class: 'muted' }, '正在加载…'));
    },
    show(c, { keepMessages = false } = {}) {
      open();
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
  };
}
