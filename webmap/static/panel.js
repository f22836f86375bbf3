// The case panel: a side panel on wide screens, a bottom sheet on phones (see style.css).

import { announce, fill, h } from './dom.js';
import { actionForm } from './forms.js';
import {
  ACTION_LABELS, ATTRIBUTE_LABELS, HINT_WARN_PATTERN, PAYLOAD_LABELS, PROGRAMME_LABELS, colourFor,
  formatArea, formatDateTime, formatPayloadValue, issuanceReasonLabel, judgmentLabel, stateLabel,
} from './labels.js';

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
      }, `${PROGRAMME_LABELS[sc.programme] || sc.programme || ''} · ${sc.code ?? sc.id}`),
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
      h('strong', {}, ev.action_label || ACTION_LABELS[ev.action] || ev.action),
      ' · ', ev.actor || '—',
      h('time', { datetime: ev.at || '' }, ' · ', formatDateTime(ev.at))),
    before || after
      ? h('div', { class: 'event-states' }, `${stateLabel(before)} → ${stateLabel(after)}`)
      : null,
    payload.length
      ? h('dl', { class: 'event-payload' }, payload.map(([k, v]) =>
        [h('dt', {}, PAYLOAD_LABELS[k] || k), h('dd', {}, formatPayloadValue(k, v))]))
      : null);
}

/**
 * Create the panel controller.
 *   onAction(caseData, {action, actor, payload}) -> Promise
 *   onClose()
 */
export function createPanel(root, { onAction, onClose, onOpenCase = null, batchName = () => null, currentBatchId = () => null }) {
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

  function open() {
    root.hidden = false;
    document.body.classList.add('panel-open');
  }

  function render(c) {
    current = c;
    root.dataset.caseId = String(c.id);
    root.dataset.state = c.state || '';
    root.dataset.version = String(c.version ?? '');
    title.textContent = `图斑 ${c.code ?? c.id}`;
    const actions = (c.allowed_actions || []).map((a) =>
      actionForm(a, (input) => onAction(current, input)));
    fill(body,
      h('dl', { class: 'facts' },
        row('图斑编号', c.code ?? '—', 'case-code'),
        row('行政区代码', c.xzqdm ?? '—', 'case-xzqdm'),
        placeRows(c.hints),
        row('面积', formatArea(c.area_m2, c.area_mu), 'case-area'),
        row('状态', h('span', { class: 'state-chip' },
          h('span', { class: 'swatch', style: `background:${colourFor(c.state)}` }),
          stateLabel(c.state, c.state_label)), 'case-state'),
        c.programme === 'change_survey' ? null
          : row('核查结论', h('span', { class: c.judgment === 'illegal' ? 'judgment illegal' : 'judgment' },
            c.judgment_label || judgmentLabel(c.judgment)), 'case-judgment'),
        row('项目', PROGRAMME_LABELS[c.programme] || c.programme || '—', 'case-programme')),
      hintsSection(c),
      issuancesSection(c, { onOpenCase, batchName, currentBatchId: currentBatchId() }),
      siteCasesSection(c, { onOpenCase }),
      h('section', { class: 'panel-section', 'aria-labelledby': 'sec-actions' },
        h('h3', { id: 'sec-actions' }, '办理'),
        actions.length ? actions : h('p', { class: 'muted' }, '当前状态下没有可办理的操作。')),
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
      delete root.dataset.caseId;
      document.body.classList.remove('panel-open');
    },
    get isOpen() { return !root.hidden; },
  };
}
