// Layout editor: zones dragged and resized on the board drawing (interact.js,
// mouse and touch, snapped to a grid), kept in step with the exact number
// fields both ways; playlist items reordered by drag (SortableJS); the
// preview drawn in the page. Without this file every control still works:
// the number fields and the ↑/↓ buttons post the form.
"use strict";
(() => {
  const form = document.getElementById("editor-form");
  const svg = document.getElementById("editor-board");
  if (!form || !svg) return;
  const bw = Number(svg.dataset.width), bh = Number(svg.dataset.height);
  const snap = Math.max(1, Number(svg.dataset.snap) || 1);
  const field = (z, f) => document.getElementById(`f-zone-${z}-${f}`);
  const rectOf = (z) => document.getElementById(`zone-rect-${z}`);
  const num = (v, d) => { const n = parseInt(v, 10); return Number.isFinite(n) ? n : d; };
  const round = (v) => Math.round(v / snap) * snap;
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  // Board pixels per screen pixel: the drawing is to scale, fitted to the page.
  const scale = () => bw / svg.getBoundingClientRect().width;

  function geometry(z) {
    const r = rectOf(z);
    return { x: num(r.getAttribute("x"), 0), y: num(r.getAttribute("y"), 0),
      w: num(r.getAttribute("width"), 1), h: num(r.getAttribute("height"), 1) };
  }

  // Draw zone `z` at g; with `typed` false also fill the number fields.
  function place(z, g, typed) {
    const r = rectOf(z), label = document.getElementById(`zone-label-${z}`);
    r.setAttribute("x", g.x); r.setAttribute("y", g.y);
    r.setAttribute("width", Math.max(1, g.w)); r.setAttribute("height", Math.max(1, g.h));
    if (label) { label.setAttribute("x", g.x); label.setAttribute("y", g.y); }
    if (!typed) {
      const set = (f, v) => { const i = field(z, f); if (i && i.value !== String(v)) { i.value = v; } };
      set("x", g.x); set("y", g.y); set("width", g.w); set("height", g.h);
    }
  }

  function activate(z) {
    document.querySelectorAll(".zone-rect.active, fieldset.zone.active").forEach((e) => e.classList.remove("active"));
    const r = rectOf(z), fs = document.getElementById(`zone-${z}`);
    if (r) r.classList.add("active");
    if (fs) fs.classList.add("active");
  }

  // Number fields → drawing.
  form.addEventListener("input", (ev) => {
    const m = /^f-zone-(\d+)-(x|y|width|height)$/.exec(ev.target.id || "");
    if (!m || !rectOf(m[1])) return;
    const z = m[1];
    place(z, { x: num(field(z, "x").value, 0), y: num(field(z, "y").value, 0),
      w: num(field(z, "width").value, 1), h: num(field(z, "height").value, 1) }, true);
    activate(z);
  });

  // Drawing → number fields. The exact position is kept apart from the
  // snapped one so slow drags still move.
  if (window.interact) {
    const live = new Map();
    const start = (ev) => { const z = ev.target.dataset.zone; live.set(z, { ...geometry(z) }); activate(z); };
    window.interact(".zone-rect")
      .draggable({
        listeners: {
          start,
          move(ev) {
            const z = ev.target.dataset.zone, g = live.get(z), k = scale();
            g.x += ev.dx * k; g.y += ev.dy * k;
            place(z, { x: clamp(round(g.x), 0, bw - g.w), y: clamp(round(g.y), 0, bh - g.h), w: g.w, h: g.h }, false);
          },
        },
      })
      .resizable({
        edges: { left: true, right: true, top: true, bottom: true },
        listeners: {
          start,
          move(ev) {
            const z = ev.target.dataset.zone, g = live.get(z), k = scale(), d = ev.deltaRect;
            g.x += d.left * k; g.y += d.top * k; g.w += d.width * k; g.h += d.height * k;
            const x = clamp(round(g.x), 0, bw - 1), y = clamp(round(g.y), 0, bh - 1);
            place(z, { x, y, w: clamp(round(g.w), 1, bw - x), h: clamp(round(g.h), 1, bh - y) }, false);
          },
        },
      })
      .on("tap", (ev) => {
        const z = ev.currentTarget.dataset.zone;
        activate(z);
        const fs = document.getElementById(`zone-${z}`);
        if (fs) fs.scrollIntoView({ behavior: "smooth", block: "nearest" });
      });
  }

  // After a drag in a playlist: number the items again, so the posted
  // names (zone[i].item[j].…) follow the new order.
  function renumber(list) {
    const z = list.dataset.zone;
    const items = Array.from(list.children);
    items.forEach((li, j) => {
      const old = li.dataset.item;
      if (old === String(j)) return;
      const nameRe = new RegExp(`^zone\\[${z}\\]\\.item\\[${old}\\]`);
      const idRe = new RegExp(`^f-zone-${z}-item-${old}-`);
      li.querySelectorAll("[name]").forEach((e) => { e.name = e.name.replace(nameRe, `zone[${z}].item[${j}]`); });
      li.querySelectorAll("[id]").forEach((e) => { e.id = e.id.replace(idRe, `f-zone-${z}-item-${j}-`); });
      li.querySelectorAll("label[for]").forEach((e) => { e.htmlFor = e.htmlFor.replace(idRe, `f-zone-${z}-item-${j}-`); });
      li.querySelectorAll("[aria-describedby]").forEach((e) => {
        e.setAttribute("aria-describedby", e.getAttribute("aria-describedby").replace(idRe, `f-zone-${z}-item-${j}-`));
      });
      li.querySelectorAll("button[value]").forEach((b) => { b.value = b.value.replace(/:(\d+)$/, `:${j}`); });
      const legend = li.querySelector("legend");
      if (legend) {
        const t = Array.from(legend.childNodes).find((n) => n.nodeType === 3 && /\d+\./.test(n.textContent));
        if (t) t.textContent = t.textContent.replace(/\d+\./, `${j + 1}.`);
      }
      li.dataset.item = String(j);
    });
    items.forEach((li, j) => {
      const up = li.querySelector('[data-test="item-up"]'), down = li.querySelector('[data-test="item-down"]');
      if (up) up.disabled = j === 0;
      if (down) down.disabled = j === items.length - 1;
    });
  }
  if (window.Sortable) {
    document.querySelectorAll("ol.items").forEach((list) => {
      window.Sortable.create(list, { handle: "legend", animation: 150, ghostClass: "item-ghost", onEnd: () => renumber(list) });
    });
  }

  // Preview in the page instead of a new tab.
  const btn = document.getElementById("editor-preview-btn");
  const img = document.getElementById("editor-preview-img");
  const status = document.getElementById("editor-preview-status");
  if (btn && img && status && window.fetch) {
    btn.addEventListener("click", async (ev) => {
      ev.preventDefault();
      status.textContent = btn.dataset.working || "…";
      btn.disabled = true;
      try {
        const r = await fetch(btn.getAttribute("formaction"), {
          method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
        });
        const type = r.headers.get("content-type") || "";
        if (r.ok && type.startsWith("image/png")) {
          if (img.dataset.blob) URL.revokeObjectURL(img.dataset.blob);
          const url = URL.createObjectURL(await r.blob());
          img.dataset.blob = url;
          img.src = url;
          img.hidden = false;
          status.textContent = "";
        } else {
          const doc = new DOMParser().parseFromString(await r.text(), "text/html");
          const msg = doc.querySelector(".error");
          status.textContent = msg ? msg.textContent.trim() : `${r.status}`;
        }
      } catch (e) {
        status.textContent = String(e);
      } finally {
        btn.disabled = false;
      }
    });
  }
})();
