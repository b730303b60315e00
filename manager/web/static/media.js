// Bangtin media library: uploads each chosen or dropped file on its own
// XMLHttpRequest to the API's upload route, with a <progress> per file and
// the manager's own refusal text; then refreshes the list. Without this
// file the form still posts every file at once to /media/upload.
"use strict";
(() => {
  const form = document.getElementById("media-upload-form");
  if (!form) return; // viewers have no upload form
  const input = document.getElementById("media-files");
  const drop = document.getElementById("media-drop");
  const list = document.getElementById("media-uploads");
  const csrf = document.body.dataset.csrf || "";
  const d = form.dataset;
  const maxBytes = Number(d.maxBytes || 0);
  const PARALLEL = 2;
  let queue = [];
  let running = 0;
  let seq = 0;

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload";
    li.dataset.test = "upload-item";
    const id = `media-upload-${++seq}`;
    li.id = id;
    const name = document.createElement("span");
    name.className = "upload-name";
    name.id = `${id}-name`;
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.dataset.test = "upload-progress";
    bar.setAttribute("aria-labelledby", name.id);
    const status = document.createElement("span");
    status.className = "upload-status";
    status.dataset.test = "upload-status";
    status.textContent = d.waitText || "";
    li.append(name, bar, status);
    list.append(li);
    return { li, bar, status };
  }

  function finish(r, ok, text) {
    r.li.classList.add(ok ? "done" : "refused");
    r.status.dataset.ok = String(ok);
    r.status.className = `upload-status ${ok ? "ok-text" : "field-error"}`;
    r.status.textContent = `${ok ? "✓" : "✗"} ${text}`;
    if (ok) r.bar.value = 100;
  }

  function reason(xhr) {
    try {
      const v = JSON.parse(xhr.responseText);
      if (v && v.error && v.error.message) return v.error.message;
    } catch (_) { /* not JSON */ }
    return `${d.failText} (HTTP ${xhr.status})`;
  }

  function send(file, r) {
    running++;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${d.api}?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) r.bar.value = Math.round((ev.loaded / ev.total) * 100);
    };
    xhr.onload = () => {
      if (xhr.status === 201) finish(r, true, d.okText);
      else if (xhr.status === 200) finish(r, true, d.dupText);
      else finish(r, false, reason(xhr));
      next();
    };
    xhr.onerror = () => {
      // The manager closes the connection on a body far over its limit.
      finish(r, false, file.size > maxBytes && maxBytes > 0 ? d.tooLarge : d.failText);
      next();
    };
    xhr.send(file);
  }

  function next() {
    if (running > 0) running--;
    while (running < PARALLEL && queue.length) {
      const [file, r] = queue.shift();
      send(file, r);
    }
    if (running === 0 && queue.length === 0) refresh();
  }

  function add(files) {
    for (const file of files) {
      const r = row(file);
      if (maxBytes > 0 && file.size > maxBytes) {
        // The manager's own message for this limit, without sending it all.
        finish(r, false, d.tooLarge);
        continue;
      }
      queue.push([file, r]);
    }
    running++; // balanced by next()
    next();
  }

  function refresh() {
    const target = document.getElementById("media-list");
    if (!target || !d.list) return;
    fetch(d.list, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then((resp) => (resp.ok ? resp.text() : Promise.reject(resp.status)))
      .then((html) => {
        const t = document.createElement("template");
        t.innerHTML = html;
        const fresh = t.content.getElementById("media-list");
        if (fresh) {
          target.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
        }
      })
      .catch(() => { /* the list stays; a reload shows the new files */ });
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (input.files && input.files.length) add(Array.from(input.files));
    input.value = "";
  });
  input.addEventListener("change", () => {
    if (input.files && input.files.length) add(Array.from(input.files));
    input.value = "";
  });
  // The file input is no longer required: files go as soon as they are chosen.
  input.required = false;
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (ev) => {
      ev.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer && ev.dataTransfer.files.length) add(Array.from(ev.dataTransfer.files));
  });
})();
