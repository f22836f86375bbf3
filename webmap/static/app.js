// 图斑 web map entry point: wires the login screen, batch selector, map, case panel, 我的任务,
// indicator and 用户管理 views.
// Test hooks: window.tubanMap (see bottom) and data-testid attributes in index.html.

import { createAdminView } from './admin.js';
import { api, configureAuth } from './api.js';
import { createLoginScreen, roleText, session } from './auth.js';
import { announce, fill, h } from './dom.js';
import { createIndicatorsView } from './indicators.js';
import { STATE_COLOURS, colourFor, fmt2 } from './labels.js';
import {
  actionLabel, isFinal, labelPairs, loadMeta, programmeLabel, stateLabel, statesWith,
} from './meta.js';
import { createBasemap } from './basemap.js';
import { createExtentEditor } from './extent.js';
import { imagerySection } from './imagery.js';
import { createOutbox } from './outbox.js';
import { createBatchOverlays } from './overlays.js';
import { createFinder } from './finder.js';
import { addPhrases, initLanguage } from './i18n.js';
import { createImportForm } from './importer.js';
import { createMapView } from './map.js';
import { createPanel } from './panel.js';
import { createReferenceLayers } from './refs.js';
import { createTasksView } from './tasks.js';

/** The server refuses photos above this (docs/api.md); checked here to spare a phone upload. */
const MAX_PHOTO_BYTES = 20 * 1024 * 1024;

const $ = (id) => document.getElementById(id);
const els = {
  login: $('login-view'),
  main: $('app-main'),
  headerControls: $('header-controls'),
  userBox: $('user-box'),
  userName: document.querySelector('[data-testid="user-name"]'),
  userRoles: document.querySelector('[data-testid="user-roles"]'),
  logout: $('logout'),
  tasksBadge: document.querySelector('[data-testid="tasks-badge"]'),
  adminTab: $('tab-admin'),
  batchSelect: $('batch-select'),
  reportLink: $('report-link'),
  caseSelect: $('case-select'),
  globalAlert: $('global-alert'),
  map: $('map'),
  mapMessage: $('map-message'),
  panel: $('panel'),
  indicators: $('indicators'),
  tabs: [...document.querySelectorAll('[role="tab"]')],
};

// The workflow's vocabulary before anything is drawn: every label and rule the page shows comes
// from it (offline: the copy kept from the last visit).
const vocabulary = await loadMeta();
addPhrases(labelPairs());

let batches = [];
let currentBatch = null;
let caseToken = 0;
/** The cases opened in this page, to keep working on them when the connection drops. */
const caseCache = new Map();
let signedIn = false;
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
  return `${b.period ?? ''} ${b.programme_label || programmeLabel(b.programme)}`.trim();
}

const currentUser = () => session.user;

/** Today in the bureau's calendar (Asia/Shanghai), YYYY-MM-DD. */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}

/** Past its batch's due date and not finished (the rule of GET /api/overdue). */
function isOverdue(props) {
  if (isFinal(props.state)) return false;
  const b = batches.find((x) => String(x.id) === String(props.batch_id)) || currentBatch;
  return Boolean(b && b.due_on && b.due_on < today());
}

/** A click on a 图斑: opens it, unless an extent is being drawn or it is already open. */
function onSelect(id) {
  const { pm } = mapView.map;
  if (pm && pm.globalDrawModeEnabled && pm.globalDrawModeEnabled()) return;
  if (panel.current && String(panel.current.id) === String(id)) return;
  openCase(id);
}

const mapView = createMapView(els.map, { onSelect: (id) => onSelect(id), batchName, isOverdue });
const basemap = createBasemap(mapView.map, els.map, {
  getUser: currentUser, dialog: $('settings-dialog'), openButton: $('settings-open'),
});
initLanguage($('lang-switch'));
const finder = createFinder($('finder'), {
  api,
  onOpen: (hit) => {
    selectTab(els.tabs.find((t) => t.dataset.view === 'map'));
    showCase(hit.case_id, hit.batch_id, { focus: true, bbox: hit.bbox });
  },
  onFilter: (f) => {
    fillBatchSelect();
    if (f.programme && currentBatch && currentBatch.programme !== f.programme) {
      const first = batches.find((b) => b.programme === f.programme);
      if (first) {
        loadBatch(first.id);
        return;
      }
    }
    refreshView({ force: true });
  },
});
let refs = null;
let appConfig = {};
let overlays = null;
const extent = createExtentEditor(mapView.map);
const indicators = createIndicatorsView(els.indicators, api, {
  getUser: currentUser,
  onOpenCase: (id) => {
    selectTab(els.tabs.find((t) => t.dataset.view === 'map'));
    showCase(id, null, { focus: true });
  },
});
const panel = createPanel(els.panel, {
  onAction: runAction,
  onUpload: uploadPhotos,
  onPayment: recordPayment,
  onClose: closePanel,
  onOpenCase: (id, batchId) => showCase(id, batchId, { focus: true }),
  batchName,
  currentBatchId: () => (currentBatch ? currentBatch.id : null),
  getUser: currentUser,
  mergeCandidates,
  loadThumb,
  photoHref: (path) => api.photoUrl(path),
  extentTool: (c) => extent.tool(c, () => mapView.layers.get(String(c.id))),
  imagery: (c) => imagerySection(c, {
    batch: batches.find((b) => String(b.id) === String(c.batch_id)) || currentBatch,
    tiles: appConfig.imagery_tiles || {},
    chipUrl: (path) => api.photoUrl(`api/chips/${path.split('/').map(encodeURIComponent).join('/')}`),
    sheetUrl: api.caseSheetUrl(c.id),
    bounds: () => mapView.layers.get(String(c.id))?.getBounds() || null,
  }),
});
const outbox = createOutbox({
  api,
  getUser: currentUser,
  box: $('net-box'),
  state: $('net-state'),
  sendButton: $('outbox-send'),
  alertBox: $('outbox-alert'),
  onOpenCase: (id, batchId) => showCase(id, batchId ?? null, { focus: true }),
  onSent: (item, updated) => {
    mapView.updateCase(updated);
    updateCaseOption(updated);
    if (panel.current && String(panel.current.id) === String(updated.id)) {
      panel.show(updated);
      extent.showSaved(updated);
    }
    panel.status(`网络已恢复，离线填写的“${actionLabel(item.action)}”（图斑 ${item.code || item.case_id}）已自动提交。当前状态：${stateLabel(updated.state, updated.state_label)}。`);
    afterChange();
  },
});
const tasks = createTasksView($('tasks'), api, {
  getUser: currentUser,
  onOpen: (id, batchId) => {
    selectTab(els.tabs.find((t) => t.dataset.view === 'map'));
    showCase(id, batchId, { focus: true });
  },
  onCount: (n, late) => {
    els.tasksBadge.replaceChildren(h('span', { class: 'visually-hidden' }, '，待办'), String(n));
    els.tasksBadge.hidden = !n;
    els.tasksBadge.classList.toggle('late', late > 0);
  },
});
const admin = createAdminView($('admin'), api, { getUser: currentUser });
createImportForm($('importer'), api, {
  onImported: async () => {
    try {
      batches = (await api.batches()).data || batches;
      fillBatchSelect();
      els.batchSelect.disabled = !batches.length;
    } catch (err) {
      if (err.status !== 401) announce(els.globalAlert, `无法刷新批次列表：${err.message}`);
    }
  },
});

function batchLabel(b) {
  const programme = b.programme_label || programmeLabel(b.programme);
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
    h('option', { value: '' }, features.length ? `选择图斑（视野内 ${features.length} 个）` : '视野内无图斑'),
    features.map((f) => h('option', { value: f.id }, caseOptionLabel(f))));
  els.caseSelect.disabled = !features.length;
}

function updateCaseOption(c) {
  const option = [...els.caseSelect.options].find((o) => o.value === String(c.id));
  if (option) option.textContent = caseOptionLabel({ id: c.id, code: c.code, state: c.state, state_label: c.state_label });
}

/** The batch list, narrowed by the 项目 filter (the loaded batch always stays listed). */
function fillBatchSelect() {
  const prog = finder.filters.programme;
  const shown = batches.filter((b) => !prog || b.programme === prog || b === currentBatch);
  els.batchSelect.replaceChildren(...shown.map((b) => h('option', { value: b.id }, batchLabel(b))));
  if (currentBatch) els.batchSelect.value = String(currentBatch.id);
}

// --- the 图斑 in view --------------------------------------------------------------------------
// Only the view (grown by VIEW_PAD on each side) is fetched, again after the map moves out of
// the fetched box or the filters change. Above the server's cap nothing is drawn and the map
// asks to zoom in: a province-wide batch is never sent whole.

const VIEW_PAD = 0.25;
const MOVE_DEBOUNCE_MS = 250;
let fetched = null; // {batch, key, box, zoom, truncated}
let viewGeneration = 0;
let viewAbort = null;
let pendingBox = null; // a bbox to look at once the map is shown (search hit while hidden)

function boxOfView() {
  const b = mapView.map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}

function grow(box, share) {
  const dx = (box[2] - box[0]) * share;
  const dy = (box[3] - box[1]) * share;
  // Outward to ~1 m so repeated views give the same URL.
  return [Math.floor((box[0] - dx) * 1e5) / 1e5, Math.floor((box[1] - dy) * 1e5) / 1e5,
    Math.ceil((box[2] + dx) * 1e5) / 1e5, Math.ceil((box[3] + dy) * 1e5) / 1e5];
}

function contains(outer, inner) {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

function filterKey() {
  const f = finder.filters;
  return `${f.state}|${f.township}`;
}

function showMapMessage(text, kind = 'info') {
  announce(els.mapMessage, text);
  els.mapMessage.dataset.kind = text ? kind : '';
}

/** Fetch and draw the 图斑 in view (unless the fetched box still covers it). */
async function refreshView({ force = false } = {}) {
  const batch = currentBatch;
  if (!batch) return;
  const size = mapView.map.getSize();
  const shown = size.x > 0 && size.y > 0;
  if (shown) pendingBox = null;
  const view = shown ? boxOfView() : (pendingBox || batch.bbox);
  const zoom = shown ? mapView.map.getZoom() : 0;
  const key = filterKey();
  if (!force && fetched && fetched.batch === batch.id && fetched.key === key
      && contains(fetched.box, view) && !(fetched.truncated && zoom > fetched.zoom)) return;
  const box = grow(view, VIEW_PAD);
  const mine = ++viewGeneration;
  if (viewAbort) viewAbort.abort();
  viewAbort = new AbortController();
  els.map.setAttribute('aria-busy', 'true');
  const f = finder.filters;
  try {
    const fc = await api.features(batch.id, {
      bbox: box.join(','), state: f.state || null, township: f.township || null,
    }, { signal: viewAbort.signal });
    if (mine !== viewGeneration || currentBatch !== batch) return;
    fetched = { batch: batch.id, key, box, zoom, truncated: Boolean(fc.truncated) };
    if (fc.truncated) {
      mapView.clear();
      showMapMessage(`当前范围内有 ${fc.total} 个图斑，超过一次显示的上限 ${fc.limit} 个。请放大地图，或用搜索、筛选缩小范围。`, 'zoom');
    } else {
      mapView.setFeatures(fc, batch.programme);
      const filtered = f.state || f.township;
      showMapMessage(fc.total ? '' : (filtered ? '当前范围内没有符合筛选条件的图斑。' : ''), 'empty');
    }
    // For benchmarks/page_load.py: when the view's 图斑 are on screen (after the next paint).
    requestAnimationFrame(() => performance.mark('tuban:view-drawn', {
      detail: { batch: batch.id, total: fc.total, drawn: fc.truncated ? 0 : fc.features.length },
    }));
    els.map.dataset.viewTotal = String(fc.total ?? '');
    els.map.dataset.truncated = String(Boolean(fc.truncated));
    fillCaseSelect();
    announce(els.globalAlert, '');
    els.map.dataset.loadedBatch = String(batch.id);
  } catch (err) {
    if (err.name === 'AbortError' || mine !== viewGeneration) return;
    if (err.code === 'NETWORK_ERROR') {
      showMapMessage('网络已断开：地图暂不更新，恢复网络后自动刷新。', 'offline');
    } else if (err.status !== 401) {
      announce(els.globalAlert, `无法加载批次“${batchLabel(batch)}”的图斑：${err.message}`);
    }
  } finally {
    if (mine === viewGeneration) {
      els.map.setAttribute('aria-busy', 'false');
      readyResolve(batch.id);
    }
  }
}

window.addEventListener('online', () => {
  if (signedIn && currentBatch) refreshView({ force: true });
});

let moveTimer = null;
mapView.map.on('moveend', () => {
  clearTimeout(moveTimer);
  moveTimer = setTimeout(() => refreshView(), MOVE_DEBOUNCE_MS);
});

/** The whole batch's counts (legend) and its townships (filter). */
async function loadSummary(batch) {
  try {
    const s = await api.batchSummary(batch.id);
    if (currentBatch !== batch) return;
    mapView.setCounts(s.states, batch.programme);
    finder.setTownships(s.townships);
  } catch (err) {
    if (err.status !== 401) announce(els.globalAlert, `无法加载批次统计：${err.message}`);
  }
}

async function loadBatch(batchId, { fit = true } = {}) {
  const batch = batches.find((b) => String(b.id) === String(batchId));
  if (!batch) return;
  currentBatch = batch;
  fillBatchSelect();
  if (overlays) overlays.setCurrent(batch.id);
  els.reportLink.href = api.reportUrl(batch.id);
  els.reportLink.title = `批次“${batchLabel(batch)}”的导入报告（在新标签页打开）`;
  els.reportLink.hidden = false;
  writeHash({ batch: batch.id });
  closePanel();
  fetched = null;
  mapView.clear();
  showMapMessage('');
  els.map.dataset.loadedBatch = '';
  ready = new Promise((r) => { readyResolve = r; });
  finder.setProgramme(batch.programme);
  mapView.setCounts({}, batch.programme);
  const summary = loadSummary(batch);
  if (fit) mapView.fit(batch.bbox);
  await Promise.all([refreshView({ force: true }), summary]);
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
    caseCache.set(String(id), c);
    if (token !== caseToken) return;
    panel.show(c);
    extent.showSaved(c);
    mapView.updateCase(c);
    updateCaseOption(c);
    keepAboveSheet(id);
    return c;
  } catch (err) {
    if (token !== caseToken || err.status === 401) return;
    const cached = caseCache.get(String(id));
    if (err.code === 'NETWORK_ERROR' && cached) {
      // In the field without a connection: the last loaded copy, to keep working on it.
      panel.show(cached);
      extent.showSaved(cached);
      panel.status('网络已断开：显示的是上次加载的内容。填写的表单会保存在本机，恢复网络后自动提交。');
      return cached;
    }
    panel.error(`无法加载图斑详情：${err.message}`);
    els.panel.setAttribute('aria-busy', 'false');
  }
}

/**
 * Open a case wherever it is: in the loaded batch when it is drawn there, otherwise in
 * batchId, otherwise in the batch it began in (GET /api/cases/{id} → batch_id).
 */
async function showCase(id, batchId = null, { focus = false, bbox = null } = {}) {
  const key = String(id);
  const here = currentBatch && (batchId === null || String(batchId) === String(currentBatch.id));
  let target = here && mapView.layers.has(key) ? currentBatch.id : batchId;
  if (target === null || target === undefined) {
    try {
      target = (await api.getCase(key)).batch_id;
    } catch (err) {
      if (err.status !== 401) announce(els.globalAlert, `无法打开图斑 ${key}：${err.message}`);
      return;
    }
  }
  if (!currentBatch || String(target) !== String(currentBatch.id)) {
    if (!batches.some((b) => String(b.id) === String(target))) {
      announce(els.globalAlert, `图斑 ${key} 所在的批次不在批次列表中。`);
      return;
    }
    await loadBatch(target, { fit: !bbox });
  }
  if (!mapView.layers.has(key)) {
    // Not in view (only the view is drawn): look there first, then draw it.
    let box = bbox;
    if (!box) {
      try {
        box = (await api.caseExtent(key)).bbox;
      } catch {
        box = null; // the panel reports what is wrong with the case itself
      }
    }
    if (box) {
      const size = mapView.map.getSize();
      if (size.x && size.y) {
        pendingBox = null;
        mapView.focusBox(box);
      } else {
        pendingBox = box;
        mapView.fit(box);
      }
      await refreshView({ force: true });
    }
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
  extent.stop();
  extent.showSaved(null);
  mapView.select(null);
  els.caseSelect.value = '';
  writeHash({ case: null });
  if (wasOpen) mapView.invalidate();
}

/** Reload the open case after a change (and recolour its polygon). */
async function reloadCase(id, { keepMessages = true } = {}) {
  const fresh = await api.getCase(id);
  mapView.updateCase(fresh);
  updateCaseOption(fresh);
  if (panel.current && String(panel.current.id) === String(fresh.id)) panel.show(fresh, { keepMessages });
  return fresh;
}

/** An action's failure in plain words. */
function actionError(label, err) {
  if (err.status === 403 || err.code === 'FORBIDDEN') {
    return `您没有权限办理“${label}”：${err.message}`;
  }
  if (err.status === 404) return `“${label}”未能办理：${err.message}（该图斑不存在或未分派给您）`;
  return `“${label}”未能办理：${err.message}`;
}

function afterChange() {
  indicators.refresh();
  tasks.refresh();
}

async function runAction(c, { action, payload, merge = [] }) {
  const label = actionLabel(action);
  try {
    let updated;
    let extra = '';
    if (action === 'file' && merge.length) {
      // 合并立案: one 立案 case over this 图斑 and the chosen others, all or none.
      const enf = await api.createEnforcement({
        case_no: payload.case_no,
        filed_on: payload.filed_on,
        offender: payload.offender ?? null,
        case_ids: [c.id, ...merge].map(Number),
      });
      for (const x of enf.cases || []) mapView.updateCase({ id: x.id, state: x.state, state_label: x.state_label });
      updated = await api.getCase(c.id);
      extra = `本案共 ${(enf.cases || []).length || merge.length + 1} 个图斑。`;
    } else {
      updated = await api.postAction(c.id, { action, payload, expected_version: c.version });
    }
    mapView.updateCase(updated);
    updateCaseOption(updated);
    extent.stop();
    panel.show(updated);
    extent.showSaved(updated);
    panel.status(`办理成功：${label}。当前状态：${stateLabel(updated.state, updated.state_label)}。${extra}`);
    afterChange();
    return true;
  } catch (err) {
    if (err.status === 401) return false; // back at the login screen
    if (err.code === 'NETWORK_ERROR' && !merge.length) {
      // Lost the connection in the field: keep it on this device and send it when back online.
      const n = outbox.add({
        case_id: c.id, batch_id: c.batch_id, code: c.code, action, payload, expected_version: c.version,
      });
      panel.status(`网络已断开，“${label}”已保存在本机，恢复网络后自动提交（共 ${n} 项待提交）。`);
      return 'queued';
    }
    let text = actionError(label, err);
    const conflict = err.code === 'CASE_VERSION_CONFLICT';
    if (conflict || err.code === 'CASE_INVALID_TRANSITION') {
      try {
        await reloadCase(c.id);
        text += conflict
          ? '。已重新载入该图斑的最新状态，请核对后再办理。'
          : '。已自动载入该图斑的最新状态。';
      } catch {
        /* keep the original message */
      }
    }
    panel.error(text);
    return false;
  }
}

/** Plain words for one photo that did not upload. */
function photoError(err) {
  if (err.status === 403) return `您没有权限上传照片（${err.message}）`;
  if (err.status === 413) return '文件太大（单张不超过 20 MB）';
  return err.message;
}

/** Upload each file in turn; a failure does not stop the others. */
async function uploadPhotos(c, files) {
  const results = [];
  for (const file of files) {
    if (file.size > MAX_PHOTO_BYTES) {
      results.push({ name: file.name, ok: false, message: `文件太大（${fmt2(file.size / 1048576)} MB，单张不超过 20 MB）` });
      continue;
    }
    try {
      const photo = await api.uploadPhoto(c.id, file);
      results.push({ name: file.name, ok: true, photo });
    } catch (err) {
      if (err.status === 401) return results;
      results.push({ name: file.name, ok: false, code: err.code, message: photoError(err) });
    }
  }
  if (results.some((r) => r.ok)) {
    try {
      await reloadCase(c.id);
    } catch {
      /* the upload summary still shows */
    }
    afterChange();
  }
  return results;
}

async function recordPayment(c, enforcement, payload) {
  try {
    await api.addPayment(enforcement.id, payload);
    await reloadCase(c.id, { keepMessages: false });
    panel.status(`已登记缴款 ${fmt2(payload.amount_yuan)} 元${payload.receipt_no ? `（票据号 ${payload.receipt_no}）` : ''}。`);
    afterChange();
    return true;
  } catch (err) {
    if (err.status !== 401) {
      panel.error(err.status === 403 ? `您没有权限登记缴款：${err.message}` : `未能登记缴款：${err.message}`);
    }
    return false;
  }
}

/** 合并立案 choices: the other approved illegal 图斑 of the batch in view. */
function mergeCandidates(c) {
  const fileable = statesWith('file', c.programme);
  return mapView.features()
    .filter((f) => fileable.includes(f.state) && f.judgment === 'illegal' && String(f.id) !== String(c.id))
    .sort((a, b) => String(a.code ?? a.id).localeCompare(String(b.code ?? b.id), 'zh-CN', { numeric: true }))
    .map((f) => ({ id: f.id, code: f.code, township_name: f.township_name }));
}

/** Photo thumbnails are fetched with the token (an <img src> would not send it). */
function loadThumb(img, path) {
  api.photoBlobUrl(path).then((src) => {
    img.addEventListener('load', () => {
      img.dataset.loaded = 'true';
      URL.revokeObjectURL(src);
    }, { once: true });
    img.addEventListener('error', () => URL.revokeObjectURL(src), { once: true });
    img.src = src;
  }).catch(() => {
    img.dataset.loaded = 'false';
    img.alt = `${img.alt}（缩略图无法加载）`;
  });
}

// --- tabs ------------------------------------------------------------------------------------

function visibleTabs() {
  return els.tabs.filter((t) => !t.hidden);
}

function selectTab(tab, { focus = false } = {}) {
  if (!tab || tab.hidden) tab = els.tabs[0];
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
  if (view === 'tasks' && signedIn) tasks.refresh();
  if (view === 'admin' && signedIn) admin.refresh();
}

for (const tab of els.tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (e) => {
    const tabs = visibleTabs();
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], { focus: true });
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

async function boot() {
  if (vocabulary.source === 'none') {
    announce(els.globalAlert, `无法加载业务词汇（状态、操作等的名称）：${vocabulary.error?.message || ''}。请检查网络后刷新页面。`);
  }
  const initialView = hashParams().get('view');
  const tab = els.tabs.find((t) => t.dataset.view === initialView && !t.hidden);
  selectTab(tab || els.tabs[0]);
  indicators.refresh();
  tasks.refresh();
  api.config().then((cfg) => { appConfig = cfg || {}; }).catch(() => { appConfig = {}; })
    .finally(() => basemap.load(appConfig));
  outbox.render();
  outbox.flush();
  if (!refs) {
    refs = createReferenceLayers(mapView.map, api, {
      onChange: (entries) => mapView.legend.setRefs(entries),
    });
    overlays = createBatchOverlays(mapView.map, api, {
      onOpen: (id, batchId) => showCase(id, batchId, { focus: true }),
      onChange: (entries) => mapView.legend.setOverlays(entries),
    });
  }
  try {
    const list = await api.batches();
    batches = list.data || [];
  } catch (err) {
    if (err.status === 401) return;
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
  fillBatchSelect();
  els.batchSelect.disabled = false;
  overlays.setBatches(batches, null);
  const wanted = hashParams().get('batch');
  const wantedCase = hashParams().get('case');
  await loadBatch(batches.some((b) => String(b.id) === wanted) ? wanted : batches[0].id);
  if (wantedCase) await showCase(wantedCase, wanted && batches.some((b) => String(b.id) === wanted) ? wanted : null);
}

// --- signing in and out ----------------------------------------------------------------------

const login = createLoginScreen(els.login, {
  api,
  onLogin: async ({ token, user }) => {
    session.set(token, user);
    await enter(user);
  },
});

function showUser(user) {
  els.userName.textContent = user.display_name || user.username;
  els.userName.title = user.username;
  els.userRoles.textContent = roleText(user);
  els.adminTab.hidden = !(user.roles || []).includes('admin');
}

/** Show the app for a signed-in user and (re)load everything; the hash picks batch, case, view. */
async function enter(user) {
  signedIn = true;
  document.body.dataset.auth = 'in';
  showUser(user);
  login.hide();
  els.headerControls.hidden = false;
  els.userBox.hidden = false;
  els.main.hidden = false;
  announce(els.globalAlert, '');
  admin.clear();
  mapView.invalidate();
  try {
    await boot();
  } catch (err) {
    if (err.status !== 401) announce(els.globalAlert, `页面加载出错：${err.message}`);
    readyResolve(null);
  }
}

/** Back to the login screen; the hash is left alone so signing in again returns to it. */
function leave({ message = '', name = '' } = {}) {
  signedIn = false;
  document.body.dataset.auth = 'out';
  caseToken += 1;
  panel.hide();
  document.body.classList.remove('panel-open');
  els.headerControls.hidden = true;
  els.userBox.hidden = true;
  els.main.hidden = true;
  els.tasksBadge.hidden = true;
  tasks.clear();
  admin.clear();
  outbox.clearProblems();
  $('net-box').hidden = true;
  announce(els.globalAlert, '');
  readyResolve(null);
  login.show({ message, name });
}

configureAuth({
  getToken: () => session.token,
  onUnauthorized: () => {
    if (!signedIn) return;
    const name = session.user ? session.user.username : '';
    session.clear();
    leave({ message: '登录已失效，请重新登录。登录后将回到刚才的页面。', name });
  },
});

els.logout.addEventListener('click', async () => {
  const name = session.user ? session.user.username : '';
  els.logout.disabled = true;
  try {
    await api.logout();
  } catch {
    /* signed out locally whatever the server says */
  } finally {
    els.logout.disabled = false;
  }
  session.clear();
  leave({ message: '已退出登录。', name });
});

async function start() {
  if (!session.token) {
    leave();
    return;
  }
  try {
    const user = await api.me(); // roles may have changed since the last visit
    session.setUser(user);
    await enter(user);
  } catch (err) {
    if (err.status === 401) return; // onUnauthorized showed the login screen
    if (session.user) {
      await enter(session.user);
      announce(els.globalAlert, `无法确认登录信息：${err.message}`);
    } else {
      session.clear();
      leave({ message: err.message });
    }
  }
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
  get refs() { return refs; },
  get overlays() { return overlays; },
  refreshIndicators: () => indicators.refresh(),
  refreshTasks: () => tasks.refresh(),
  /** The signed-in user (GET /api/auth/me shape) or null. */
  get user() { return session.user; },
  /** Take an action on the open case through the panel, as its forms do (messages included). */
  act: (action, payload = {}) => (panel.current ? runAction(panel.current, { action, payload }) : Promise.resolve()),
  get batchId() { return currentBatch ? currentBatch.id : null; },
  outbox: { pending: () => outbox.pending(), flush: () => outbox.flush() },
  refreshView: () => refreshView({ force: true }),
  get ready() { return ready; },
};

start();
