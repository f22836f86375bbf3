// Selection: opening a 图斑 in the panel (from the map, the selector, search, tasks, links),
// wherever it is, keeping the cases opened in this page for when the connection drops, and
// closing the panel.

import { announce } from './dom.js';
import { findBatch, state, writeHash } from './app-state.js';
import { t } from './messages.js';
import { isPhone } from './sheet.js';

/** createCaseSelection(ctx) → {openCase, showCase, closePanel, reloadCase, onSelect, forget} */
export function createCaseSelection(ctx) {
  const { api, els, mapView, panel, extent } = ctx;
  let token = 0;
  /** The cases opened in this page, to keep working on them when the connection drops. */
  const cache = new Map();

  /** Zoom to the opened 图斑; on phones into the part of the map above the bottom sheet. */
  function frame(id) {
    let bottom = 0;
    if (isPhone() && panel.isOpen) {
      const map = els.map.getBoundingClientRect();
      bottom = Math.max(0, map.bottom - els.panel.getBoundingClientRect().top);
    }
    mapView.frameCase(id, { bottom });
  }

  function shown(c) {
    panel.show(c);
    extent.showSaved(c);
  }

  async function openCase(id) {
    const mine = ++token;
    if (ctx.patrol) ctx.patrol.closeSheet(); // one sheet at a time
    const wasOpen = panel.isOpen;
    mapView.select(id);
    els.caseSelect.value = String(id);
    writeHash({ case: id });
    panel.loading(id);
    if (!wasOpen) mapView.invalidate();
    frame(id);
    try {
      const c = await api.getCase(id);
      cache.set(String(id), c);
      if (mine !== token) return;
      shown(c);
      if (c.offline) panel.status(t('app-cases.fromPack'));
      mapView.updateCase(c);
      ctx.updateCaseOption(c);
      return c;
    } catch (err) {
      if (mine !== token || err.status === 401) return;
      const cached = cache.get(String(id));
      if (err.code === 'NETWORK_ERROR' && cached) {
        // In the field without a connection: the last loaded copy, to keep working on it.
        shown(cached);
        panel.status(t('app-cases.youAreOfflineThis'));
        return cached;
      }
      panel.error(t('app-cases.couldNotLoadPolygon', { message: err.message }));
      els.panel.setAttribute('aria-busy', 'false');
    }
  }

  /** The batch to open a case in: the loaded one when it is drawn there, else batchId, else its own. */
  async function batchOf(key, batchId) {
    const { currentBatch } = state;
    const here = currentBatch && (batchId === null || String(batchId) === String(currentBatch.id));
    if (here && mapView.layers.has(key)) return currentBatch.id;
    if (batchId !== null && batchId !== undefined) return batchId;
    try {
      return (await api.getCase(key)).batch_id;
    } catch (err) {
      if (err.status !== 401) announce(els.globalAlert, t('app-cases.couldNotOpenPolygon', { key, message: err.message }));
      return null;
    }
  }

  /**
   * Open a case wherever it is: in the loaded batch when it is drawn there, otherwise in
   * batchId, otherwise in the batch it began in (GET /api/cases/{id} → batch_id).
   */
  async function showCase(id, batchId = null, { focus = false, bbox = null } = {}) {
    const key = String(id);
    const target = await batchOf(key, batchId);
    if (target === null || target === undefined) return;
    if (!state.currentBatch || String(target) !== String(state.currentBatch.id)) {
      // A batch made since the page loaded (the year's first patrol finding makes one).
      if (!findBatch(target) && ctx.refreshBatches) await ctx.refreshBatches();
      if (!findBatch(target)) {
        announce(els.globalAlert, t('app-cases.batchPolygonNotBatch', { key }));
        return;
      }
      await ctx.loadBatch(target, { fit: !bbox });
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
      if (box) await ctx.lookAt(box);
    }
    const c = await openCase(key); // and zooms to it
    if (c && focus) panel.focusTitle();
  }

  function closePanel() {
    token += 1;
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
    ctx.updateCaseOption(fresh);
    if (panel.current && String(panel.current.id) === String(fresh.id)) panel.show(fresh, { keepMessages });
    return fresh;
  }

  /** A click on a 图斑: opens it, unless an extent is being drawn or it is already open. */
  function onSelect(id) {
    const { pm } = mapView.map;
    if (pm && pm.globalDrawModeEnabled && pm.globalDrawModeEnabled()) return;
    // A place being picked for a 举报 (or an outline drawn): the click is that place.
    if (ctx.patrol && ctx.patrol.capturesMap()) return;
    if (panel.current && String(panel.current.id) === String(id)) return;
    openCase(id);
  }

  /** Signing out: a late answer must not open a panel. */
  function forget() {
    token += 1;
  }

  return { openCase, showCase, closePanel, reloadCase, onSelect, forget };
}
