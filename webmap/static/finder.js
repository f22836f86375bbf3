// 搜索 and 筛选 above the map: search any batch by 图斑编号 or village/township name
// (GET /api/search), and filter what the map draws by programme (the batch list), state and
// township (GET /api/batches/{id}/features?state=…&township=…).
// Test hooks: data-testid="search-input", "search-results" with one "search-result" button per
// hit (data-case-id, data-batch-id), "search-status", "filter-toggle", "filter-programme",
// "filter-state", "filter-township", "filter-clear".

import { announce, fill, h } from './dom.js';
import { programmeLabel, programmes, stateLabel, statesFor } from './meta.js';
import { t } from './messages.js';

const DEBOUNCE_MS = 300;

/**
 * createFinder(root, {api, onOpen(hit), onFilter({programme, state, township})})
 * → {setProgramme(p), setTownships([{code, name, n}]), filters, clearSearch()}
 */
export function createFinder(root, { api, onOpen, onFilter }) {
  const filters = { programme: '', state: '', township: '' };
  const input = h('input', {
    id: 'search-input', type: 'search', 'data-testid': 'search-input', autocomplete: 'off',
    placeholder: t('finder.codeVillage'), 'aria-controls': 'search-results', 'aria-describedby': 'search-status',
    enterkeyhint: 'search',
  });
  const results = h('ul', { id: 'search-results', class: 'search-results', 'data-testid': 'search-results', hidden: true });
  const status = h('span', { id: 'search-status', class: 'visually-hidden', role: 'status', 'data-testid': 'search-status' });
  const form = h('form', { class: 'search', role: 'search', 'aria-label': t('finder.searchPolygons') },
    h('label', { for: 'search-input' }, t('finder.search')), input, status, results);

  const programme = h('select', { id: 'filter-programme', 'data-testid': 'filter-programme' },
    h('option', { value: '' }, t('finder.allProgrammes')),
    programmes().map((p) => h('option', { value: p.code }, p.label)));
  const state = h('select', { id: 'filter-state', 'data-testid': 'filter-state' });
  const township = h('select', { id: 'filter-township', 'data-testid': 'filter-township' },
    h('option', { value: '' }, t('finder.allTownships')));
  const clear = h('button', { type: 'button', 'data-testid': 'filter-clear' }, t('finder.clearFilters'));
  const panel = h('div', { id: 'filter-panel', class: 'filter-panel', role: 'group', 'aria-label': t('finder.filter') },
    h('div', { class: 'control' }, h('label', { for: 'filter-programme' }, t('finder.programme')), programme),
    h('div', { class: 'control' }, h('label', { for: 'filter-state' }, t('finder.state')), state),
    h('div', { class: 'control' }, h('label', { for: 'filter-township' }, t('finder.township')), township),
    clear);
  const toggle = h('button', {
    type: 'button', class: 'filter-toggle', 'aria-expanded': 'true', 'aria-controls': 'filter-panel',
    'data-testid': 'filter-toggle',
  }, t('finder.filter'));
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
    fill(state, h('option', { value: '' }, t('finder.allStates')), list.map((s) => h('option', { value: s }, stateLabel(s))));
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
      }, h('strong', {}, r.code), ` · ${r.period || ''} ${programmeLabel(r.programme) || r.programme_label}`,
      ` · ${stateLabel(r.state, r.state_label)}`, where ? h('span', { class: 'muted' }, ` · ${where}`) : null));
    }), more ? h('li', { class: 'muted search-more' }, t('finder.manyResultsOnlyFirst')) : null,
    list.length ? null : h('li', { class: 'muted' }, t('finder.noMatchingPolygons')));
    results.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    announce(status, list.length ? t('finder.foundPolygons', { length: list.length, value: more ? t('finder.more') : t('finder.sep') }) : t('finder.noMatchingPolygons2'));
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
      fill(results, h('li', { class: 'alert' }, t('finder.searchFailed', { message: err.message })));
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
      fill(township, h('option', { value: '' }, t('finder.allTownships')),
        (list || []).filter((x) => x.code).map((x) => h('option', { value: x.code, 'data-value': '' }, t('finder.sep2', { value: x.name || x.code, n: x.n }))));
      township.value = [...township.options].some((o) => o.value === keep) ? keep : '';
      filters.township = township.value;
    },
    clearSearch() {
      input.value = '';
      closeResults();
    },
  };
}
