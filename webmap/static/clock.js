// The app's clock, DOM-free: the server's (GET /api/config clock), which a demo sets to a day in
// late 2019 (TUBAN_CLOCK, `tuban demo`) so its data looks current. Every "today" of the web
// map — form dates and their upper bound, overdue marks, the dashboard's as-of day — reads it.

import { t } from './messages.js';

const BUREAU_TZ = 'Asia/Shanghai';
let offsetMs = 0; // server clock minus this device's, from GET /api/config
let demoStart = null;

const KEY = 'tuban.clock';

/**
 * Follow the server's clock: cfg is GET /api/config. Without a clock (the page started with no
 * connection) the last one seen is used when `storage` keeps it, so a finding recorded offline
 * on a demo is still dated on the demo's clock; else this device's time.
 */
export function setServerClock(cfg, storage = null) {
  const clock = cfg && cfg.clock;
  const at = clock ? Date.parse(clock.now) : NaN;
  if (Number.isFinite(at)) {
    offsetMs = at - Date.now();
    demoStart = clock.set_start || null;
    try {
      storage?.setItem(KEY, JSON.stringify({ offsetMs, demoStart }));
    } catch {
      /* storage full or disabled: the clock lasts as long as the page */
    }
    return true;
  }
  let kept = null;
  try {
    kept = JSON.parse(storage?.getItem(KEY) || 'null');
  } catch {
    kept = null;
  }
  offsetMs = kept && Number.isFinite(kept.offsetMs) ? kept.offsetMs : 0;
  demoStart = kept ? kept.demoStart || null : null;
  return false;
}

/** The instant now on the app's clock. */
export function now() {
  return new Date(Date.now() + offsetMs);
}

/** Today in the bureau's calendar (Beijing time) on the app's clock, YYYY-MM-DD. */
export function localToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: BUREAU_TZ }).format(now());
}

/** The header badge's words when the server runs a set clock (a demo), else null. */
export function clockBadgeText() {
  return demoStart ? t('clock.badge', { day: localToday() }) : null;
}
