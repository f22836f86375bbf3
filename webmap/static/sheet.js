// The case panel as a bottom sheet on phones (style.css, max-width 720px): three heights —
// peek (the 图斑 code and state, the map almost whole), half, full — dragged by the sheet's
// header or stepped with its handle button. On wider screens it is the side panel and the
// heights do nothing. Test hooks: #panel[data-sheet="peek|half|full"], "sheet-handle".

import { t } from './messages.js';

export const PHONE = '(max-width: 720px)';
const STATES = ['peek', 'half', 'full'];
/** A press that moves less than this is a tap, not a drag (CSS px). */
const DRAG_SLOP = 8;

export function isPhone() {
  return window.matchMedia(PHONE).matches;
}

/**
 * createSheet(root, {header, handle, onChange(state)}) → {state, set(state), opened()}
 * header: the element a finger drags; handle: the button that steps the height.
 */
export function createSheet(root, { header, handle, onChange = () => {} }) {
  function set(state) {
    if (!STATES.includes(state)) return;
    const changed = root.dataset.sheet !== state;
    root.dataset.sheet = state;
    const full = state === 'full';
    handle.setAttribute('aria-expanded', String(state !== 'peek'));
    handle.setAttribute('aria-label', full ? t('sheet.collapse') : t('sheet.expand'));
    handle.dataset.next = full ? 'peek' : STATES[STATES.indexOf(state) + 1];
    if (changed) onChange(state);
  }

  /** A case was opened: show enough of it to work (a sheet pulled down to peek comes back up). */
  function opened() {
    if (!root.dataset.sheet || root.dataset.sheet === 'peek') set('half');
  }

  handle.addEventListener('click', () => set(handle.dataset.next || 'half'));

  // Dragging the header: the sheet follows the finger, then settles at the nearest height.
  let drag = null;
  header.addEventListener('pointerdown', (e) => {
    if (!isPhone() || e.button > 0 || e.target.closest('button, a, input, select, textarea')) return;
    drag = { id: e.pointerId, y: e.clientY, height: root.getBoundingClientRect().height, moved: false };
    header.setPointerCapture(e.pointerId);
  });
  header.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dy) < DRAG_SLOP) return;
    drag.moved = true;
    root.style.height = `${Math.max(48, Math.min(window.innerHeight, drag.height - dy))}px`;
  });
  const end = (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const { moved } = drag;
    drag = null;
    if (!moved) {
      // A tap on a peeking header brings the case up.
      if (root.dataset.sheet === 'peek') set('half');
      return;
    }
    const now = root.getBoundingClientRect().height;
    root.style.height = '';
    // The height each state has (measured, so CSS stays the one place that sets them).
    const heights = STATES.map((s) => {
      root.dataset.sheet = s;
      return root.getBoundingClientRect().height;
    });
    const nearest = STATES[heights.reduce((best, hgt, i) => (Math.abs(hgt - now) < Math.abs(heights[best] - now) ? i : best), 0)];
    root.dataset.sheet = '';
    set(nearest);
  };
  header.addEventListener('pointerup', end);
  header.addEventListener('pointercancel', end);

  set('half');
  return {
    get state() { return root.dataset.sheet; },
    set,
    opened,
  };
}
