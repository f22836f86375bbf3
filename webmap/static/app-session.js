// Signing in and out, and loading everything for the signed-in user: the batches, the one the
// hash names (and its case), reference layers, batch overlays, tasks and indicators.

import { configureAuth } from './api.js';
import { clockBadgeText, setServerClock } from './clock.js';
import { createLoginScreen, roleText, session } from './auth.js';
import { announce, h } from './dom.js';
import { deviceStore } from './offline-db.js';
import { waitingByUser } from './outbox.js';
import { createBatchOverlays } from './overlays.js';
import { createReferenceLayers } from './refs.js';
import { findBatch, hashParams, state } from './app-state.js';
import { t } from './messages.js';

/** createSession(ctx, {vocabulary}) → {start()} */
export function createSession(ctx, { vocabulary }) {
  const { api, els } = ctx;

  function layers() {
    if (ctx.refs) return;
    ctx.refs = createReferenceLayers(ctx.mapView.map, api, {
      onChange: (entries) => ctx.mapView.legend.setRefs(entries),
      getUser: ctx.getUser,
    });
    ctx.overlays = createBatchOverlays(ctx.mapView.map, api, {
      onOpen: (id, batchId) => ctx.showCase(id, batchId, { focus: true }),
      onChange: (entries) => ctx.mapView.legend.setOverlays(entries),
    });
  }

  function noBatches(text) {
    els.batchSelect.replaceChildren(h('option', { value: '' }, text));
    state.resolveReady(null);
  }

  async function boot() {
    if (vocabulary.source === 'none') {
      announce(els.globalAlert, t('app-session.couldNotLoadWorkflow', { value: vocabulary.error?.message || '' }));
    }
    // The server's clock first: every "today" (forms, overdue, the dashboard's day) follows it.
    state.config = (await api.config().catch(() => null)) || {};
    setServerClock(state.config, localStorage);
    showClock();
    ctx.basemap.load(state.config);
    ctx.tabs.select(ctx.tabs.byView(hashParams().get('view')) || els.tabs[0]);
    ctx.indicators.refresh();
    ctx.tasks.refresh();
    ctx.offlinePack.render();
    ctx.outbox.refresh().then(() => ctx.outbox.flush()).catch(() => {});
    ctx.locator.autoStart();
    layers();
    try {
      const list = await api.batches();
      state.batches = list.data || [];
      state.batches.offline = Boolean(list.offline);
    } catch (err) {
      if (err.status === 401) return;
      announce(els.globalAlert, t('app-session.couldNotLoadBatches', { message: err.message }));
      noBatches(t('app-session.loadingFailed'));
      return;
    }
    if (!state.batches.length) {
      noBatches(t('app-session.noBatchesYet'));
      els.batchSelect.disabled = true;
      return;
    }
    ctx.fillBatchSelect();
    els.batchSelect.disabled = false;
    ctx.overlays.setBatches(state.batches, null);
    const wanted = findBatch(hashParams().get('batch')) ? hashParams().get('batch') : null;
    const wantedCase = hashParams().get('case');
    await ctx.loadBatch(wanted ?? state.batches[0].id);
    if (wantedCase) await ctx.showCase(wantedCase, wanted);
  }

  // Started offline: the server's config (its clock) once the connection is back.
  window.addEventListener('online', async () => {
    if (!state.signedIn || state.config.clock) return;
    const cfg = await api.config().catch(() => null);
    if (!cfg) return;
    state.config = cfg;
    setServerClock(cfg, localStorage);
    showClock();
  });

  /** 演示时钟 in the header while the server runs a set clock (a demo); its day moves on. */
  let clockTimer = null;
  function showClock() {
    const badge = document.getElementById('clock-badge');
    if (!badge) return;
    const paint = () => {
      const text = clockBadgeText();
      badge.textContent = text || '';
      badge.hidden = !text;
    };
    paint();
    clearInterval(clockTimer);
    clockTimer = setInterval(paint, 60_000);
  }

  function showUser(user) {
    els.userName.textContent = user.display_name || user.username;
    els.userName.title = user.username;
    els.userRoles.textContent = roleText(user);
    els.adminTab.hidden = !(user.roles || []).includes('admin');
    ctx.patrol.signedIn(user);
  }

  /** Show the app for a signed-in user and (re)load everything; the hash picks batch, case, view. */
  async function enter(user) {
    state.signedIn = true;
    document.body.dataset.auth = 'in';
    showUser(user);
    login.hide();
    els.headerControls.hidden = false;
    els.userBox.hidden = false;
    els.main.hidden = false;
    announce(els.globalAlert, '');
    ctx.admin.clear();
    ctx.mapView.invalidate();
    try {
      await boot();
    } catch (err) {
      if (err.status !== 401) announce(els.globalAlert, t('app-session.pageFailedLoad', { message: err.message }));
      state.resolveReady(null);
    }
    if (state.signedIn) ctx.patrol.begin();
    // A verifier's open 图斑 go onto the phone after each sign-in, once the first view is drawn
    // (so the pack never slows it down); others download it with 下载离线任务包 on 我的任务.
    if (state.signedIn && !state.batches.offline && (user.roles || []).includes('verifier')) {
      ctx.offlinePack.download().catch(() => { /* the 我的任务 box says why */ });
    }
  }

  /** On the login screen: what this device keeps for whom (sent after that user signs in). */
  const waitingNote = h('p', { class: 'login-note', 'data-testid': 'login-outbox', hidden: true });
  async function showWaiting() {
    const counts = await waitingByUser().catch(() => ({}));
    const names = Object.keys(counts);
    announce(waitingNote, names.length
      ? t('app-session.waitingOnDevice', { list: names.map((n) => t('app-session.waitingUser', { name: n, n: counts[n] })).join(t('app-session.waitingSep')) })
      : '');
  }

  /** Back to the login screen; the hash is left alone so signing in again returns to it. */
  function leave({ message = '', name = '' } = {}) {
    state.signedIn = false;
    document.body.dataset.auth = 'out';
    ctx.forget();
    ctx.panel.hide();
    ctx.mapView.showTiles(null); // tiles hold what this user may see: none kept for the next
    document.body.classList.remove('panel-open');
    els.headerControls.hidden = true;
    els.userBox.hidden = true;
    els.main.hidden = true;
    els.tasksBadge.hidden = true;
    ctx.tasks.clear();
    ctx.admin.clear();
    ctx.outbox.clearProblems();
    ctx.patrol.signedOut();
    ctx.offlinePack.forget();
    els.netBox.hidden = true;
    announce(els.globalAlert, '');
    state.resolveReady(null);
    login.show({ message, name });
    showWaiting();
  }

  const login = createLoginScreen(els.login, {
    api,
    onLogin: async ({ token, user }) => {
      session.set(token, user);
      await enter(user);
    },
  });

  els.login.append(waitingNote);

  configureAuth({
    getToken: () => session.token,
    onUnauthorized: () => {
      if (!state.signedIn) return;
      const name = session.user ? session.user.username : '';
      session.clear();
      leave({ message: t('app-session.yourSessionHasEnded'), name });
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
    // Signed out on purpose: the pack (cases, offenders) leaves the phone; kept forms stay.
    if (name) await deviceStore().removePack(name).catch(() => {});
    leave({ message: t('app-session.signedOut'), name });
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
        if (err.code !== 'NETWORK_ERROR') announce(els.globalAlert, t('app-session.couldNotConfirmSign', { message: err.message }));
      } else {
        session.clear();
        leave({ message: err.message });
      }
    }
  }

  return { start };
}
