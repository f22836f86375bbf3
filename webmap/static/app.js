// 图斑 web map entry point: wires the batch selector, map, case panel and indicator view.
// Test hooks: window.tubanMap (see bottom) and data-testid attributes in index.html.

import { api } from './api.js';
import { announce, fill, h } from './dom.js';
import { createIndicatorsView } from './indicators.js';
import { ACTION_LABELS, PROGRAMME_LABELS, STATE_COLOURS, colourFor, stateLabel } from './labels.js';
import { createMapView } from './map.js';
import { createPanel } from './panel.js';
import { createReferenceLayers } from './refs.js';

const $ = (id) => document.getElementById(id);
const els = {
  batchSelect: $('batch-select'),
  reportLink: $('report-link'),
  caseSelect: $('case-select'),
  globalAlert: $('global-alert'),
  map: $('map'),
  panel: $('panel'),
  indicators: $('indicators'),
  tabs: [...document.querySelectorAll('[role="tab"]')],
};

let batches = [];
let currentBatch = null;
let caseToken = 0;
let readyResolve;
let ready = new Promise((r) => { readyResolve = r; });

// --- URL hash: #batch=<id>&view=indicators ---------------------------------------------------

function hashParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

function writeHash(changes) {
  const p = hashParams();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined) p.delete(k);
    else p.set(k, v);
  }
  history.replaceState(null, '', `#${p.toString()}`);
}

// --- views -----------------------------------------------------------------------------------

/** "2019Q1 土地卫片" for a batch id, or null when the batch is unknown. */
function batchName(id) {
  const b = batches.find((x) => String(x.id) === String(id));
  if (!b) return null;
  return `${b.period ?? ''} ${b.programme_label || PROGRAMME_LABELS[b.programme] || b.programme}`.trim();
}

const mapView = createMapView(els.map, { onSelect: (id) => openCase(id), batchName });
const refs = createReferenceLayers(mapView.map, api, {
  onChange: (entries) => mapView.legend.setRefs(entries),
});
const indicators = createIndicatorsView(els.indicators, api);
const panel = createPanel(els.panel, {
  onAction: runAction,
  onClose: closePanel,
  onOpenCase: (id, batchId) => showCase(id, batchId, { focus: true }),
  batchName,
  currentBatchId: () => (currentBatch ? currentBatch.id : null),
});

function batchLabel(b) {
  const programme = b.programme_label || PROGRAMME_LABELS[b.programme] || b.programme;
  const n = b.feature_count ?? 0;
  const repeated = typeof b.new_cases === 'number' && b.new_cases < n ? `，重复下发 ${n - b.new_cases}` : '';
  return `${b.period ?? ''} ${programme} (${n}${repeated})`.trim();
}

function caseOptionLabel(f) {
  return `${f.code ?? f.id} · ${stateLabel(f.state, f.state_label)}`;
}

function fillCaseSelect() {
  const features = mapView.features().sort((a, b) =>
    String(a.code ?? a.id).localeCompare(String(b.code ?? b.id), 'zh-CN', { numeric: true }));
  fill(els.caseSelect,
    h('option', { value: '' }, features.length ? `选择图斑（共 ${features.length} 个）` : '本批次无图斑'),
    features.map((f) => h('option', { value: f.id }, caseOptionLabel(f))));
  els.caseSelect.disabled = !features.length;
}

function updateCaseOption(c) {
  const option = [...els.caseSelect.options].find((o) => o.value === String(c.id));
  if (option) option.textContent = caseOptionLabel({ id: c.id, code: c.code, state: c.state, state_label: c.state_label });
}

async function loadBatch(batchId) {
  const batch = batches.find((b) => String(b.id) === String(batchId));
  if (!batch) return;
  currentBatch = batch;
  els.batchSelect.value = String(batch.id);
  els.reportLink.href = api.reportUrl(batch.id);
  els.reportLink.title = `批次“${batchLabel(batch)}”的导入报告（在新标签页打开）`;
  els.reportLink.hidden = false;
  writeHash({ batch: batch.id });
  closePanel();
  els.map.dataset.loadedBatch = '';
  els.map.setAttribute('aria-busy', 'true');
  ready = new Promise((r) => { readyResolve = r; });
  try {
    const collection = await api.features(batch.id);
    if (currentBatch !== batch) return;
    mapView.setFeatures(collection, batch.programme, batch.bbox);
    fillCaseSelect();
    announce(els.globalAlert, '');
    els.map.dataset.loadedBatch = String(batch.id);
  } catch (err) {
    announce(els.globalAlert, `无法加载批次“${batchLabel(batch)}”的图斑：${err.message}`);
  } finally {
    if (currentBatch === batch) {
      els.map.setAttribute('aria-busy', 'false');
      readyResolve(batch.id);
    }
  }
}

async function openCase(id) {
  const token = ++caseToken;
  const wasOpen = panel.isOpen;
  mapView.select(id);
  els.caseSelect.value = String(id);
  writeHash({ case: id });
  panel.loading(id);
  if (!wasOpen) mapView.invalidate();
  try {
    const c = await api.getCase(id);
    if (token !== caseToken) return;
    panel.show(c);
    mapView.updateCase(c);
    updateCaseOption(c);
    keepAboveSheet(id);
    return c;
  } catch (err) {
    if (token !== caseToken) return;
    panel.error(`无法加载图斑详情：${err.message}`);
    els.panel.setAttribute('aria-busy', 'false');
  }
}

/**
 * Open a case wherever it is: in the loaded batch when it is drawn there, otherwise in
 * batchId, otherwise in the batch it began in (GET /api/cases/{id} → batch_id).
 */
async function showCase(id, batchId = null, { focus = false } = {}) {
  const key = String(id);
  const here = currentBatch && (batchId === null || String(batchId) === String(currentBatch.id));
  let target = here && mapView.layers.has(key) ? currentBatch.id : batchId;
  if (target === null || target === undefined) {
    try {
      target = (await api.getCase(key)).batch_id;
    } catch (err) {
      announce(els.globalAlert, `无法打开图斑 ${key}：${err.message}`);
      return;
    }
  }
  if (!currentBatch || String(target) !== String(currentBatch.id)) {
    if (!batches.some((b) => String(b.id) === String(target))) {
      announce(els.globalAlert, `图斑 ${key} 所在的批次不在批次列表中。`);
      return;
    }
    await loadBatch(target);
  }
  if (mapView.layers.has(key)) mapView.focusCase(key);
  const c = await openCase(key);
  if (c && focus) panel.focusTitle();
}

/** On phones the panel is a bottom sheet: pan so the selected polygon stays visible above it. */
function keepAboveSheet(id) {
  if (!window.matchMedia('(max-width: 720px)').matches) return;
  const layer = mapView.layers.get(String(id));
  if (!layer) return;
  const { map } = mapView;
  const mapTop = els.map.getBoundingClientRect().top;
  const visible = els.panel.getBoundingClientRect().top - mapTop;
  if (visible < 60) return;
  const y = map.latLngToContainerPoint(layer.getBounds().getCenter()).y;
  if (y < 20 || y > visible - 20) map.panBy([0, y - visible / 2], { animate: false });
}

function closePanel() {
  caseToken += 1;
  const wasOpen = panel.isOpen;
  panel.hide();
  mapView.select(null);
  els.caseSelect.value = '';
  writeHash({ case: null });
  if (wasOpen) mapView.invalidate();
}

async function runAction(c, { action, actor, payload }) {
  const label = ACTION_LABELS[action] || action;
  try {
    const updated = await api.postAction(c.id, {
      action, actor, payload, expected_version: c.version,
    });
    mapView.updateCase(updated);
    updateCaseOption(updated);
    panel.show(updated);
    panel.status(`办理成功：${label}。当前状态：${stateLabel(updated.state, updated.state_label)}。`);
    indicators.refresh();
  } catch (err) {
    let text = `“${label}”未能办理：${err.message}`;
    const stale = err.code === 'CASE_VERSION_CONFLICT' || err.code === 'CASE_INVALID_TRANSITION';
    if (stale) {
      try {
        const fresh = await api.getCase(c.id);
        mapView.updateCase(fresh);
        updateCaseOption(fresh);
        panel.show(fresh);
        text += '（已自动载入该图斑的最新状态。）';
      } catch {
        /* keep the original message */
      }
    }
    panel.error(text);
  }
}

// --- tabs ------------------------------------------------------------------------------------

function selectTab(tab, { focus = false } = {}) {
  for (const t of els.tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
  const view = tab.dataset.view;
  document.body.dataset.view = view;
  writeHash({ view: view === 'map' ? null : view });
  if (view === 'map') mapView.invalidate();
}

for (const tab of els.tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (e) => {
    const i = els.tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: els.tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    selectTab(els.tabs[(next + els.tabs.length) % els.tabs.length], { focus: true });
  });
}

// --- start -----------------------------------------------------------------------------------

els.batchSelect.addEventListener('change', () => loadBatch(els.batchSelect.value));
els.caseSelect.addEventListener('change', () => {
  const id = els.caseSelect.value;
  if (!id) return;
  mapView.focusCase(id);
  openCase(id);
});

async function start() {
  const initialView = hashParams().get('view');
  const tab = els.tabs.find((t) => t.dataset.view === initialView);
  if (tab) selectTab(tab);
  indicators.refresh();
  try {
    const list = await api.batches();
    batches = list.data || [];
  } catch (err) {
    announce(els.globalAlert, `无法加载批次列表：${err.message}`);
    els.batchSelect.replaceChildren(h('option', { value: '' }, '加载失败'));
    readyResolve(null);
    return;
  }
  if (!batches.length) {
    els.batchSelect.replaceChildren(h('option', { value: '' }, '暂无批次'));
    els.batchSelect.disabled = true;
    readyResolve(null);
    return;
  }
  els.batchSelect.replaceChildren(...batches.map((b) => h('option', { value: b.id }, batchLabel(b))));
  els.batchSelect.disabled = false;
  const wanted = hashParams().get('batch');
  const wantedCase = hashParams().get('case');
  await loadBatch(batches.some((b) => String(b.id) === wanted) ? wanted : batches[0].id);
  if (wantedCase) await showCase(wantedCase, wanted && batches.some((b) => String(b.id) === wanted) ? wanted : null);
}

/** Stable hooks for tests and for debugging from the console. */
window.tubanMap = {
  get map() { return mapView.map; },
  get layers() { return mapView.layers; },
  layerFor: (id) => mapView.layers.get(String(id)),
  features: () => mapView.features(),
  colours: { ...STATE_COLOURS },
  colourFor,
  openCase,
  closePanel,
  loadBatch,
  showCase,
  refs,
  refreshIndicators: () => indicators.refresh(),
  get batchId() { return currentBatch ? currentBatch.id : null; },
  get ready() { return ready; },
};

start();
