// 搜索 and 筛选 above the map: search any batch by 图斑编号 or village/township name
// (GET /api/search), and filter what the map draws by programme (the batch list), state and
// township (GET /api/batches/{id}/features?state=…&township=…).
// Test hooks: data-testid="search-input", "search-results" with one "search-result" button per
// hit (data-case-id, data-batch-id), "search-status", "filter-toggle", "filter-programme",
// "filter-state", "filter-township", "filter-clear".

import { announce, fill, h } from './dom.js';
import { programmeLabel, programmes, stateLabel, statesFor } from './meta.js';

const DEBOUNCE_MS = 300;

/**
 * createFinder(root, {api, onOpen(hit), onFilter({programme, state, township})})
 * → {setProgramme(p), setTownships([{code, name, n}]), filters, clearSearch()}
 */
export function createFinder(root, { api, onOpen, onFilter }) {
  const filters = { programme: '', state: '', township: '' };
  const input = h('input', {
    id: 'search-input', type: 'search', 'data-testid': 'search-input', autocomplete: 'off',
    placeholder: '图斑编号或村名', 'aria-controls': 'search-results', 'aria-describedby': 'search-status',
    enterkeyhint: 'search',
  });
  const results = h('ul', { id: 'search-results', class: 'search-results', 'data-testid': 'search-results', hidden: true });
  const status = h('span', { id: 'search-status', class: 'visually-hidden', role: 'status', 'data-testid': 'search-status' });
  const form = h('form', { class: 'search', role: 'search', 'aria-label': '搜索图斑' },
    h('label', { for: 'search-input' }, '搜索'), input, status, results);

  const programme = h('select', { id: 'filter-programme', 'data-testid': 'filter-programme' },
    h('option', { value: '' }, '全部项目'),
    programmes().map((p) => h('option', { value: p.code }, p.label)));
  const state = h('select', { id: 'filter-state', 'data-testid': 'filter-state' });
  const township = h('select', { id: 'filter-township', 'data-testid': 'filter-township' },
    h('option', { value: '' }, '全部乡镇'));
  const clear = h('button', { type: 'button', 'data-testid': 'filter-clear' }, '清除筛选');
  const panel = h('div', { id: 'filter-panel', class: 'filter-panel', role: 'group', 'aria-label': '筛选' },
    h('div', { class: 'control' }, h('label', { for: 'filter-programme' }, '项目'), programme),
    h('div', { class: 'control' }, h('label', { for: 'filter-state' }, '状态'), state),
    h('div', { class: 'control' }, h('label', { for: 'filter-township' }, '乡镇'), township),
    clear);
  const toggle = h('button', {
    type: 'button', class: 'filter-toggle', 'aria-expanded': 'true', 'aria-controls': 'filter-panel',
    'data-testid': 'filter-toggle',
  }, '筛选');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    panel.hidden = !open;
  });
  if (window.matchMedia('(max-width: 720px)').matches) {
    toggle.setAttribute('aria-expanded', 'false');
    panel.hidden = true;
  }
  root.replaceChildren(form, toggle, panel);

  function fillStates(prog) {
    const list = statesFor(prog);
    const keep = state.value;
    fill(state, h('option', { value: '' }, '全部状态'), list.map((s) => h('option', { value: s }, stateLabel(s))));
    state.value = list.includes(keep) ? keep : '';
    filters.state = state.value;
  }
  fillStates('');

  let timer = null;
  let generation = 0;
  let hits = [];

  function closeResults() {
    results.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  }

  function open(hit) {
    closeResults();
    onOpen(hit);
  }

  function showHits(list, more) {
    hits = list;
    fill(results, list.map((r) => {
      const where = [r.township_name, r.village_name].filter(Boolean).join(' ');
      return h('li', {}, h('button', {
        type: 'button', class: 'search-result', 'data-testid': 'search-result',
        'data-case-id': String(r.case_id), 'data-batch-id': String(r.batch_id),
        onclick: () => open(r),
      }, h('strong', {}, r.code), ` · ${r.period || ''} ${r.programme_label || programmeLabel(r.programme)}`,
      ` · ${stateLabel(r.state, r.state_label)}`, where ? h('span', { class: 'muted' }, ` · ${where}`) : null));
    }), more ? h('li', { class: 'muted search-more' }, '结果较多，仅列出前 50 个，请输入更完整的编号。') : null,
    list.length ? null : h('li', { class: 'muted' }, '没有找到匹配的图斑。'));
    results.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    announce(status, list.length ? `找到 ${list.length}${more ? ' 个以上' : ' 个'}图斑` : '没有找到匹配的图斑');
    status.hidden = false;
  }

  async function run() {
    const q = input.value.trim();
    const mine = ++generation;
    if (!q) {
      closeResults();
      return [];
    }
    try {
      const res = await api.search(q, filters.programme || null);
      if (mine !== generation) return hits;
      showHits(res.data || [], res.more);
      return res.data || [];
    } catch (err) {
      if (mine !== generation || err.status === 401) return [];
      fill(results, h('li', { class: 'alert' }, `搜索失败：${err.message}`));
      results.hidden = false;
      return [];
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const list = await run();
    // Enter opens an exact code match, or the only hit.
    const exact = list.find((r) => r.code === input.value.trim()) || (list.length === 1 ? list[0] : null);
    if (exact) open(exact);
  });
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !results.hidden) {
      e.stopPropagation();
      closeResults();
      input.focus();
    } else if (e.key === 'ArrowDown' && !results.hidden) {
      const buttons = [...results.querySelectorAll('button')];
      const i = buttons.indexOf(document.activeElement);
      buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
      e.preventDefault();
    } else if (e.key === 'ArrowUp' && !results.hidden) {
      const buttons = [...results.querySelectorAll('button')];
      const i = buttons.indexOf(document.activeElement);
      (i <= 0 ? input : buttons[i - 1]).focus();
      e.preventDefault();
    }
  });

  const changed = () => onFilter({ ...filters });
  programme.addEventListener('change', () => {
    filters.programme = programme.value;
    fillStates(programme.value);
    changed();
  });
  state.addEventListener('change', () => { filters.state = state.value; changed(); });
  township.addEventListener('change', () => { filters.township = township.value; changed(); });
  clear.addEventListener('click', () => {
    programme.value = '';
    township.value = '';
    filters.programme = '';
    filters.township = '';
    fillStates('');
    changed();
  });

  return {
    filters,
    /** The state list follows the batch's programme. */
    setProgramme(prog) {
      if (!filters.programme) fillStates(prog);
    },
    /** Township choices from the batch summary: [{code, name, n}]. */
    setTownships(list) {
      const keep = township.value;
      fill(township, h('option', { value: '' }, '全部乡镇'),
        (list || []).filter((t) => t.code).map((t) => h('option', { value: t.code }, `${t.name || t.code}（${t.n}）`)));
      township.value = [...township.options].some((o) => o.value === keep) ? keep : '';
      filters.township = township.value;
    },
    clearSearch() {
      input.value = '';
      closeResults();
    },
  };
}
