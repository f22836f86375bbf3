// 我的位置: the verifier's position on the map (a dot, the accuracy circle, and the heading where
// the phone gives one), watched with navigator.geolocation.watchPosition while it is on. The
// position never leaves the phone: it is drawn here and used for distances (case-where.js,
// tasks.js), nothing is sent. It starts by itself only when the browser already holds the
// permission (no prompt on page load); otherwise the ◎ button asks.
// Heading: the compass (deviceorientationabsolute, or iOS's webkitCompassHeading) when it
// reports, else the direction of travel (coords.heading) while moving.
// Test hooks: data-testid="locate-button" (aria-pressed, data-state off|searching|on|error),
// "locate-status"; paths "locate-dot", "locate-accuracy" (data-radius); "locate-heading"
// (data-heading); #map[data-locate]; window.tubanMap.locator.

import { h } from './dom.js';
import { t } from './messages.js';

const L = window.L;
const PANE = 'tuban-locate';
const STORE = 'tuban.locate.on';
const FOLLOW_ZOOM = 16;
/** A compass reading older than this gives way to the GPS course. */
const COMPASS_FRESH_MS = 3000;

function remembered() {
  try {
    return localStorage.getItem(STORE) === '1';
  } catch {
    return false;
  }
}

function remember(on) {
  try {
    localStorage.setItem(STORE, on ? '1' : '0');
  } catch {
    /* storage disabled: starts off next time */
  }
}

/** Compass heading (° clockwise from north) of a deviceorientation event, or null. */
export function compassHeading(e) {
  if (typeof e.webkitCompassHeading === 'number') return e.webkitCompassHeading;
  if (e.absolute && typeof e.alpha === 'number') return (360 - e.alpha) % 360;
  return null;
}

const ERRORS = {
  1: 'locate.denied',
  2: 'locate.unavailable',
  3: 'locate.timeout',
};

/** createLocator(map, mapEl) → {start, stop, toggle, position, state, subscribe, autoStart} */
export function createLocator(map, mapEl) {
  const pane = map.createPane(PANE);
  pane.style.zIndex = '460'; // above reference outlines (450), below tooltips
  pane.style.pointerEvents = 'none'; // a tap on the dot still reaches the 图斑 below
  let watchId = null;
  let state = 'off';
  let position = null; // {lon, lat, accuracy, heading, at}
  let compass = null; // {heading, at}
  let follow = false;
  const listeners = new Set();
  const accuracy = L.circle([0, 0], {
    pane: PANE, radius: 1, color: '#1a73e8', weight: 1, opacity: 0.6, fillColor: '#1a73e8', fillOpacity: 0.12, interactive: false,
  });
  const dot = L.circleMarker([0, 0], {
    pane: PANE, radius: 7, color: '#ffffff', weight: 2, fillColor: '#1a73e8', fillOpacity: 1, interactive: false,
  });
  const cone = h('div', { class: 'locate-heading', 'data-testid': 'locate-heading', 'aria-hidden': 'true' });
  const heading = L.marker([0, 0], {
    pane: PANE, interactive: false, keyboard: false,
    icon: L.divIcon({ className: 'locate-heading-icon', html: cone, iconSize: [44, 44], iconAnchor: [22, 22] }),
  });

  let button;
  let statusEl;
  const control = L.control({ position: 'topleft' });
  control.onAdd = () => {
    button = h('button', {
      type: 'button', class: 'locate-button', 'data-testid': 'locate-button', 'data-state': 'off',
      'aria-pressed': 'false', title: t('locate.myPosition'), 'aria-label': t('locate.myPosition'),
    }, h('span', { 'aria-hidden': 'true' }, '◎'));
    statusEl = h('div', { class: 'locate-status', 'data-testid': 'locate-status', role: 'status', hidden: true });
    button.addEventListener('click', () => toggle());
    const box = h('div', { class: 'leaflet-bar locate-control' }, button, statusEl);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  control.addTo(map);

  function setState(next, text = '') {
    state = next;
    button.dataset.state = next;
    button.setAttribute('aria-pressed', String(next !== 'off'));
    mapEl.dataset.locate = next;
    statusEl.textContent = text;
    statusEl.hidden = !text;
    statusEl.classList.toggle('locate-error', next === 'error');
  }

  function tag(layer, testid, attrs = {}) {
    const el = layer.getElement && layer.getElement();
    if (!el) return;
    el.setAttribute('data-testid', testid);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  }

  function currentHeading(coords) {
    if (compass && Date.now() - compass.at < COMPASS_FRESH_MS) return compass.heading;
    const moving = typeof coords?.speed === 'number' && coords.speed > 0.5;
    return moving && Number.isFinite(coords.heading) ? coords.heading : null;
  }

  function draw() {
    if (!position) return;
    const at = [position.lat, position.lon];
    accuracy.setLatLng(at).setRadius(Math.max(1, position.accuracy || 1));
    dot.setLatLng(at);
    if (!map.hasLayer(accuracy)) accuracy.addTo(map);
    if (!map.hasLayer(dot)) dot.addTo(map);
    tag(accuracy, 'locate-accuracy', { 'data-radius': Math.round(position.accuracy || 0) });
    tag(dot, 'locate-dot', { 'data-lon': position.lon, 'data-lat': position.lat });
    if (position.heading === null) {
      heading.remove();
    } else {
      heading.setLatLng(at);
      if (!map.hasLayer(heading)) heading.addTo(map);
      cone.style.transform = `rotate(${Math.round(position.heading)}deg)`;
      cone.dataset.heading = String(Math.round(position.heading));
    }
  }

  function publish() {
    for (const fn of listeners) {
      try {
        fn(position);
      } catch (err) {
        console.error(err); // one listener's failure must not stop the others
      }
    }
  }

  function onPosition(p) {
    const c = p.coords;
    position = {
      lon: c.longitude, lat: c.latitude, accuracy: c.accuracy, heading: currentHeading(c), at: p.timestamp,
    };
    setState('on', t('locate.accuracy', { n: Math.round(c.accuracy) }));
    draw();
    if (follow) {
      follow = false;
      map.setView([position.lat, position.lon], Math.max(map.getZoom(), FOLLOW_ZOOM));
    }
    publish();
  }

  function onError(err) {
    if (err.code === 3 && position) return; // a slow fix after a good one: keep the last
    setState(err.code === 1 ? 'error' : (position ? 'on' : 'searching'), ERRORS[err.code] ? t(ERRORS[err.code]) : t('locate.failed', { message: err.message }));
    if (err.code === 1) stop({ keepState: true });
  }

  function onOrientation(e) {
    const value = compassHeading(e);
    if (value === null) return;
    compass = { heading: value, at: Date.now() };
    if (position) {
      position = { ...position, heading: value };
      draw();
      publish();
    }
  }

  function start({ pan = true } = {}) {
    if (!navigator.geolocation) {
      setState('error', t('locate.unsupported'));
      return false;
    }
    follow = pan;
    if (watchId !== null) {
      if (pan && position) map.setView([position.lat, position.lon], Math.max(map.getZoom(), FOLLOW_ZOOM));
      return true;
    }
    setState('searching', t('locate.locating'));
    watchId = navigator.geolocation.watchPosition(onPosition, onError, {
      enableHighAccuracy: true, maximumAge: 5000, timeout: 30000,
    });
    window.addEventListener('deviceorientationabsolute', onOrientation);
    window.addEventListener('deviceorientation', onOrientation);
    remember(true);
    return true;
  }

  function stop({ keepState = false } = {}) {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    window.removeEventListener('deviceorientationabsolute', onOrientation);
    window.removeEventListener('deviceorientation', onOrientation);
    accuracy.remove();
    dot.remove();
    heading.remove();
    position = null;
    compass = null;
    if (!keepState) {
      setState('off');
      remember(false);
    }
    publish();
  }

  /** The ◎ button: off → on (centring on the first fix); on → centre on me, or off when I am centred. */
  function toggle() {
    if (watchId === null) {
      start({ pan: true });
      return;
    }
    if (position) {
      const here = map.latLngToContainerPoint([position.lat, position.lon]);
      const middle = map.getSize().divideBy(2);
      if (here.distanceTo(middle) > 30) {
        map.setView([position.lat, position.lon], Math.max(map.getZoom(), FOLLOW_ZOOM));
        return;
      }
    }
    stop();
  }

  /** Resume without a prompt: when it was on last time, or the permission is already given. */
  async function autoStart() {
    if (watchId !== null || !navigator.geolocation) return;
    let granted = false;
    try {
      granted = (await navigator.permissions?.query({ name: 'geolocation' }))?.state === 'granted';
    } catch {
      granted = false;
    }
    if (granted || remembered()) start({ pan: false });
  }

  return {
    start, stop, toggle, autoStart,
    get position() { return position; },
    get state() { return state; },
    /** fn(position or null) on every fix and when switched off; returns the unsubscribe. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
