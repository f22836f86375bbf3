// The 图斑 in view: only the view (grown by VIEW_PAD on each side) is fetched, again after the
// map moves out of the fetched box or the filters change. Above the server's cap nothing is
// drawn and the map asks to zoom in: a province-wide batch is never sent whole. Also the batch
// selector, the 图斑 selector of the view, and loading a batch.

import { contains, grow } from './bbox.js';
import { announce, fill, h } from './dom.js';
import { stateLabel } from './meta.js';
import { batchLabel, findBatch, resetReady, state, writeHash } from './app-state.js';
import { TILE_MIN_ZOOM } from './tile-layer.js';
import { t } from './messages.js';

const VIEW_PAD = 0.25;
const MOVE_DEBOUNCE_MS = 250;

function caseOptionLabel(f) {
  return `${f.code ?? f.id} · ${stateLabel(f.state, f.state_label)}`;
}

/** createViewLoader(ctx) → {refreshView, loadBatch, lookAt, fillBatchSelect, fillCaseSelect, updateCaseOption} */
export function createViewLoader(ctx) {
  const { api, els, mapView, finder } = ctx;
  let fetched = null; // {batch, key, box, zoom, truncated}
  let generation = 0;
  let abort = null;
  let pendingBox = null; // a bbox to look at once the map is shown (search hit while hidden)

  function boxOfView() {
    const b = mapView.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  function filterKey() {
    const f = finder.filters;
    return `${f.state}|${f.township}`;
  }

  function showMapMessage(text, kind = 'info') {
    announce(els.mapMessage, text);
    els.mapMessage.dataset.kind = text ? kind : '';
  }

  function fillCaseSelect() {
    const features = mapView.features().sort((a, b) =>
      String(a.code ?? a.id).localeCompare(String(b.code ?? b.id), 'zh-CN', { numeric: true }));
    fill(els.caseSelect,
      h('option', { value: '' }, features.length ? t('app-view.choosePolygonView', { length: features.length }) : t('app-view.noPolygonsView')),
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
    const { currentBatch } = state;
    const shown = state.batches.filter((b) => !prog || b.programme === prog || b === currentBatch);
    els.batchSelect.replaceChildren(...shown.map((b) => h('option', { value: b.id }, batchLabel(b))));
    if (currentBatch) els.batchSelect.value = String(currentBatch.id);
  }

  function drawn(fc, batch, key, box, zoom) {
    const f = finder.filters;
    fetched = { batch: batch.id, key, box, zoom, truncated: Boolean(fc.truncated) };
    // Above the cap the 图斑 come as vector tiles (drawn on canvas, clickable) from the tile
    // zoom on; the GeoJSON polygons (tooltips, keyboard focus) return when few enough are in view.
    const tiled = fc.truncated && zoom >= TILE_MIN_ZOOM && !f.township;
    mapView.showTiles(tiled ? batch.id : null, { state: f.state || null });
    els.map.dataset.tiles = String(tiled);
    if (fc.truncated) {
      mapView.clear();
      showMapMessage(tiled
        ? t('app-view.thisViewHoldsPolygons', { total: fc.total, limit: fc.limit })
        : t('app-view.thisViewHoldsPolygons2', { total: fc.total, limit: fc.limit }), 'zoom');
    } else {
      mapView.setFeatures(fc, batch.programme);
      const filtered = f.state || f.township;
      showMapMessage(fc.total ? '' : (filtered ? t('app-view.noPolygonsThisView') : ''), 'empty');
      if (fc.offline) showMapMessage(t('app-view.offlinePack', { n: fc.total }), 'offline');
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
  }

  /** Fetch and draw the 图斑 in view (unless the fetched box still covers it). */
  async function refreshView({ force = false } = {}) {
    const batch = state.currentBatch;
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
    const mine = ++generation;
    if (abort) abort.abort();
    abort = new AbortController();
    els.map.setAttribute('aria-busy', 'true');
    const f = finder.filters;
    try {
      const fc = await api.features(batch.id, {
        bbox: box.join(','), state: f.state || null, township: f.township || null,
      }, { signal: abort.signal });
      if (mine !== generation || state.currentBatch !== batch) return;
      drawn(fc, batch, key, box, zoom);
    } catch (err) {
      if (err.name === 'AbortError' || mine !== generation) return;
      if (err.code === 'NETWORK_ERROR') {
        showMapMessage(t('app-view.youAreOfflineMap'), 'offline');
      } else if (err.status !== 401) {
        announce(els.globalAlert, t('app-view.couldNotLoadPolygons', { batch: batchLabel(batch), message: err.message }));
      }
    } finally {
      if (mine === generation) {
        els.map.setAttribute('aria-busy', 'false');
        state.resolveReady(batch.id);
      }
    }
  }

  /** The whole batch's counts (legend) and its townships (filter). */
  async function loadSummary(batch) {
    try {
      const s = await api.batchSummary(batch.id);
      if (state.currentBatch !== batch) return;
      mapView.setCounts(s.states, batch.programme);
      finder.setTownships(s.townships);
    } catch (err) {
      if (err.status !== 401 && err.code !== 'NETWORK_ERROR') announce(els.globalAlert, t('app-view.couldNotLoadBatch', { message: err.message }));
    }
  }

  async function loadBatch(batchId, { fit = true } = {}) {
    const batch = findBatch(batchId);
    if (!batch) return;
    state.currentBatch = batch;
    fillBatchSelect();
    if (ctx.overlays) ctx.overlays.setCurrent(batch.id);
    els.reportLink.href = api.reportUrl(batch.id);
    els.reportLink.title = t('app-view.importReportBatchOpens', { batch: batchLabel(batch) });
    // The server refuses import reports to users who do not see every 图斑 (docs/roles.md).
    els.reportLink.hidden = !ctx.getUser()?.sees_all;
    els.exportBox.hidden = false;
    writeHash({ batch: batch.id });
    ctx.closePanel();
    fetched = null;
    mapView.clear();
    mapView.showTiles(null);
    showMapMessage('');
    els.map.dataset.loadedBatch = '';
    resetReady();
    finder.setProgramme(batch.programme);
    mapView.setCounts({}, batch.programme);
    const summary = loadSummary(batch);
    if (fit) mapView.fit(batch.bbox);
    await Promise.all([refreshView({ force: true }), summary]);
  }

  /** Look at a box (a 图斑 not in view), then draw what is there. */
  async function lookAt(box) {
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

  window.addEventListener('online', () => {
    if (state.signedIn && state.currentBatch) refreshView({ force: true });
  });
  let moveTimer = null;
  mapView.map.on('moveend', () => {
    clearTimeout(moveTimer);
    moveTimer = setTimeout(() => refreshView(), MOVE_DEBOUNCE_MS);
  });

  return { refreshView, loadBatch, lookAt, fillBatchSelect, fillCaseSelect, updateCaseOption };
}
