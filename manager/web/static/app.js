// Bangtin web UI: the little behaviour pages share. No inline scripts
// (CSP), everything works without this file but the conveniences.
"use strict";
document.addEventListener("submit", (ev) => {
  // <form data-confirm="…">: ask before a change that cannot be undone.
  const f = ev.target;
  if (f instanceof HTMLFormElement && f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }
}, true);
document.addEventListener("change", (ev) => {
  // <input type=checkbox data-select-all="name">: tick every box of a list.
  const t = ev.target;
  if (t instanceof HTMLInputElement && t.dataset.selectAll) {
    document.querySelectorAll(`input[type=checkbox][name="${t.dataset.selectAll}"]`)
      .forEach((c) => { c.checked = t.checked; });
  }
});
