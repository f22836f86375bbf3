// 动态巡查 wired into the app: the 巡查发现 / 举报登记 buttons (header menu, and a floating button
// on the phone layout) for the roles that may use them, the sheet that records them
// (patrol-sheet.js, loaded on first use), the map's 动态巡查 layer (patrol-layer.js, loaded after
// the first view) with the findings still on the phone, the case panel's section
// (panel-patrol.js, loaded with the first patrol case), what a sent finding says, and the deadlines on the 管理 tab
// (patrol-deadlines.js, loaded when the tab first shows).
// Test hooks: "patrol-find-open", "patrol-report-open", "patrol-fab", "patrol-status" (with
// "patrol-status-open", data-case-id, and "patrol-status-close"); window.tubanMap.patrol.

import { findBatch } from './app-state.js';
import { hasRole } from './auth.js';
import { announce, fill, h } from './dom.js';
import { rolesFor } from './meta.js';
import { t } from './messages.js';
import { FIND, OFFICE_ROLES, isPatrol } from './patrol-model.js';
import { photoProblem } from './app-actions.js';
import { isPhone } from './sheet.js';

/** Zoom to [lon, lat] in the part of the map above the bottom sheet `sheetEl` (on phones). */
function lookAt(map, centre, sheetEl = null) {
  if (!Array.isArray(centre) || centre.length < 2 || !map.getSize().y) return;
  map.setView([centre[1], centre[0]], Math.max(map.getZoom(), 16), { animate: false });
  if (isPhone() && sheetEl && !sheetEl.hidden) {
    map.panBy([0, sheetEl.getBoundingClientRect().height / 2], { animate: false });
  }
}

/** createPatrolApp(ctx, {findButton, reportButton, fab, statusBox, sheetRoot, deadlinesRoot})
 * → {begin(), signedIn(user), signedOut(), sent(item, result), pending(items), capturesMap(),
 *    closeSheet(), refreshLayer(), refreshAdmin(), open(mode), openHere(id), section(c, options)} */
export function createPatrolApp(ctx, { findButton, reportButton, fab, statusBox, sheetRoot, deadlinesRoot }) {
  let sheet = null;
  let layer = null;
  let deadlines = null;
  let section = null; // panel-patrol.js, loaded with the first patrol case opened
  let waiting = []; // the outbox's items, for the layer once it is there

  /** The case panel's 动态巡查 section: at once once loaded, else a slot filled when it is. */
  function sectionFor(c, options) {
    if (section) return section.patrolSection(c, options);
    if (!isPatrol(c.programme)) return null;
    const slot = h('div', { class: 'patrol-slot' });
    import('./panel-patrol.js').then((m) => {
      section = m;
      if (slot.isConnected) slot.replaceWith(m.patrolSection(c, options) || '');
    }).catch(() => slot.remove());
    return slot;
  }

  /** Open a patrol site's case here, over the batch on the map (its own batch is not loaded). */
  async function openHere(id) {
    ctx.tabs.select(ctx.tabs.byView('map'));
    const c = await ctx.openCase(id);
    if (c) lookAt(ctx.mapView.map, c.centre, ctx.els.panel);
    return c;
  }

  function status(text, { caseId = null, warn = false } = {}) {
    if (!text) {
      announce(statusBox, '');
      return;
    }
    statusBox.dataset.caseId = caseId === null ? '' : String(caseId);
    statusBox.classList.toggle('warn', warn);
    fill(statusBox, h('span', {}, text),
      caseId === null ? null : h('button', {
        type: 'button', class: 'link-button', 'data-testid': 'patrol-status-open',
        onclick: async () => {
          announce(statusBox, '');
          await openHere(caseId);
          ctx.panel.focusTitle();
        },
      }, t('patrol.openCase')),
      h('button', {
        type: 'button', class: 'icon-button', 'aria-label': t('patrol.close'), 'data-testid': 'patrol-status-close',
        onclick: () => announce(statusBox, ''),
      }, '×'));
    statusBox.hidden = false;
  }

  async function sheetOf() {
    if (!sheet) {
      const { createPatrolSheet } = await import('./patrol-sheet.js');
      sheet = sheet || createPatrolSheet(sheetRoot, {
        map: ctx.mapView.map,
        locator: ctx.locator,
        outbox: ctx.outbox,
        photoProblem,
        frame: (centre) => lookAt(ctx.mapView.map, centre, sheetRoot),
        onOpen: () => ctx.closePanel(),
        onClose: () => ctx.mapView.invalidate(),
        onQueued: (item, n) => status(navigator.onLine ? t('patrol.queuedSending') : t('patrol.queuedOffline', { n })),
      });
    }
    return sheet;
  }

  async function open(mode) {
    ctx.tabs.select(ctx.tabs.byView('map'));
    announce(statusBox, '');
    try {
      (await sheetOf()).open(mode);
    } catch (err) {
      status(t('patrol.couldNotOpen', { message: err.message }), { warn: true });
      return;
    }
    ctx.mapView.invalidate();
  }

  findButton.addEventListener('click', () => open('finding'));
  fab.addEventListener('click', () => open('finding'));
  reportButton.addEventListener('click', () => open('report'));

  return {
    open,
    openHere,
    section: sectionFor,
    /** The first view of the 图斑 is drawn: now the 动态巡查 layer over every batch, and its
     * sites. That view is what a phone on a weak network waits for (the offline task pack comes
     * after it too). */
    async begin() {
      if (!layer) {
        const { createPatrolLayer } = await import('./patrol-layer.js');
        layer = layer || createPatrolLayer(ctx.mapView.map, ctx.api, {
          onOpen: (id) => ctx.openCase(id),
          onLegend: (rows, title) => ctx.mapView.legend.setPatrol(rows, title),
          getUser: ctx.getUser,
          captures: () => Boolean(sheet && sheet.capturesMap()),
        });
        layer.setPending(waiting);
      }
      await layer.begin();
    },
    signedIn(user) {
      const finds = hasRole(user, ...rolesFor(FIND));
      findButton.hidden = !finds;
      fab.hidden = !finds;
      reportButton.hidden = !hasRole(user, ...OFFICE_ROLES);
      if (layer) layer.reset();
    },
    signedOut() {
      if (sheet) sheet.close();
      findButton.hidden = true;
      fab.hidden = true;
      reportButton.hidden = true;
      announce(statusBox, '');
      if (deadlines) deadlines.clear();
    },
    /** A finding (kind 'finding') reached the server: say so, and draw it for real. */
    sent(item, result) {
      const code = result.code || item.code || '';
      const errors = result.photo_errors || [];
      const words = result.existing ? 'patrol.sentAgain' : (item.path === 'reports' ? 'patrol.sentReport' : 'patrol.sentFinding');
      let text = t(words, { code, n: Math.max(0, (item.photo_count || 0) - errors.length) });
      if (errors.length) text += t('patrol.sentPhotoErrors', { list: errors.map((e) => t('patrol.photoError', { name: e.name, message: e.message })).join(t('panel.sep6')) });
      status(text, { caseId: result.case_id, warn: errors.length > 0 });
      if (layer) layer.refresh();
      if (result.batch_id !== undefined && !findBatch(result.batch_id)) ctx.refreshBatches();
      ctx.afterChange();
    },
    /** The outbox's items changed: the findings waiting on the phone are drawn as such. */
    pending(items) {
      waiting = items;
      if (layer) layer.setPending(items);
    },
    capturesMap: () => Boolean(sheet && sheet.capturesMap()),
    closeSheet() {
      if (sheet) sheet.close();
    },
    refreshLayer() {
      if (layer) layer.refresh();
    },
    /** The 管理 tab showed (only admins have it). */
    async refreshAdmin() {
      if (!deadlinesRoot) return;
      if (!deadlines) {
        const { createDeadlinesView } = await import('./patrol-deadlines.js');
        deadlines = deadlines || createDeadlinesView(deadlinesRoot, ctx.api);
      }
      await deadlines.refresh();
    },
    get layer() { return layer; },
    get sheet() { return sheet; },
  };
}
