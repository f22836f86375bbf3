// On phones the header keeps only the tabs and a 菜单 button; the batch, export, language, map
// settings and the signed-in user (#header-menu) open under it, over the map, so the map gets
// the screen. On wider screens the button is not shown and the menu's contents are in line.
// Test hooks: "menu-toggle" (aria-expanded), header[data-menu="open"|"shut"].

/** wireHeaderMenu(header, toggle) → {close()} */
export function wireHeaderMenu(header, toggle) {
  function set(open) {
    header.dataset.menu = open ? 'open' : 'shut';
    toggle.setAttribute('aria-expanded', String(open));
  }
  const close = () => set(false);
  toggle.addEventListener('click', () => set(toggle.getAttribute('aria-expanded') !== 'true'));
  header.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && header.dataset.menu === 'open') {
      close();
      toggle.focus();
    }
  });
  // Done with the menu: a batch chosen, a tab picked, or a tap elsewhere closes it (on click,
  // not on press: the tap still reaches what it was aimed at).
  header.addEventListener('change', (e) => {
    if (e.target.id === 'batch-select') close();
  });
  document.addEventListener('click', (e) => {
    if (header.dataset.menu === 'open' && !header.contains(e.target)) close();
  }, true);
  for (const tab of header.querySelectorAll('[role="tab"]')) tab.addEventListener('click', close);
  set(false);
  return { close };
}
