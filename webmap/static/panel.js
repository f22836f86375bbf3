// The case panel: a side panel on wide screens, a bottom sheet on phones (see style.css).

import { announce, h } from './dom.js';
import { actionForm } from './forms.js';
import {
  ACTION_LABELS, ATTRIBUTE_LABELS, PAYLOAD_LABELS, PROGRAMME_LABELS, colourFor,
  formatArea, formatDateTime, formatPayloadValue, judgmentLabel, stateLabel,
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
export function createPanel(root, { onAction, onClose }) {
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
    body.replaceChildren(
      h('dl', { class: 'facts' },
        row('图斑编号', c.code ?? '—', 'case-code'),
        row('行政区代码', c.xzqdm ?? '—', 'case-xzqdm'),
        row('面积', formatArea(c.area_m2, c.area_mu), 'case-area'),
        row('状态', h('span', { class: 'state-chip' },
          h('span', { class: 'swatch', style: `background:${colourFor(c.state)}` }),
          stateLabel(c.state, c.state_label)), 'case-state'),
        c.programme === 'change_survey' ? null
          : row('核查结论', h('span', { class: c.judgment === 'illegal' ? 'judgment illegal' : 'judgment' },
            c.judgment_label || judgmentLabel(c.judgment)), 'case-judgment'),
        row('项目', PROGRAMME_LABELS[c.programme] || c.programme || '—', 'case-programme')),
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
