// chatocr web page: upload, watch the parse, ask or extract, click an answer to see its box on the page.
// Plain browser JavaScript, no build step.  Every text from the server is set with textContent.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { token: localStorage.getItem("chatocr-token") || "", doc: null, session: null, mark: null, regions: false };

// -- HTTP -------------------------------------------------------------------------------------
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) {
    $("#token-form").hidden = false;
    throw new Error("this server needs an API token: enter it above");
  }
  if (!res.ok) {
    let message = res.status + " " + res.statusText;
    try { const body = await res.json(); if (body.error) message = body.error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}
const getJSON = async (path) => (await api(path)).json();
const postJSON = async (path, body) =>
  (await api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();

function setStatus(text, isError = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

// -- upload and parse -------------------------------------------------------------------------
async function upload(file) {
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  setStatus("Uploading " + file.name + " …");
  try {
    const rec = await (await api("/v1/documents", { method: "POST", body: form })).json();
    await openDocument(rec.id);
  } catch (e) {
    setStatus(e.message, true);
  }
}

async function openDocument(id) {
  clearDocument();
  let rec;
  for (;;) {
    rec = await getJSON("/v1/documents/" + id + "?content=false");
    if (rec.status === "ready" || rec.status === "failed") break;
    const p = rec.progress;
    setStatus(rec.name + ": " + rec.status + (p.total ? " (" + p.done + " of " + p.total + " pages)" : "") + " …");
    await new Promise((r) => setTimeout(r, 400));
  }
  if (rec.status === "failed") {
    setStatus(rec.error || "parsing failed", true);
    return;
  }
  rec = await getJSON("/v1/documents/" + id);
  state.doc = rec;
  state.session = null;
  setStatus(rec.name + ": " + rec.pages + " page" + (rec.pages === 1 ? "" : "s") + ", ready.");
  $("#tools").hidden = false;
  await showPages();
  refreshLibrary();
}

function clearDocument() {
  state.doc = null;
  state.mark = null;
  $("#highlight").hidden = true;
  $("#viewer").appendChild($("#highlight"));
  for (const img of document.querySelectorAll(".page img")) URL.revokeObjectURL(img.src);
  $("#pages").replaceChildren();
  $("#answers").replaceChildren();
  $("#fields tbody").replaceChildren();
  $("#fields").hidden = true;
  $("#tools").hidden = true;
}

// -- pages --------------------------------------------------------------------------------------
async function pageBlob(n) {
  const q = state.regions ? "?overlay=1" : "";
  const res = await api("/v1/documents/" + state.doc.id + "/pages/" + n + ".png" + q);
  return URL.createObjectURL(await res.blob());
}

async function showPages() {
  const box = $("#pages");
  for (const page of state.doc.document.pages) {
    const div = document.createElement("div");
    div.className = "page";
    div.dataset.page = page.page;
    const img = document.createElement("img");
    img.alt = "page " + page.page;
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = "page " + page.page;
    div.append(img, label);
    box.appendChild(div);
  }
  await reloadImages();
}

async function reloadImages() {
  for (const div of document.querySelectorAll(".page")) {
    const img = div.querySelector("img");
    const old = img.src;
    const loaded = new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; });
    img.src = await pageBlob(div.dataset.page);
    await loaded;
    if (old) URL.revokeObjectURL(old);
  }
  placeHighlight();
}

// -- the highlight: a box in page units, scaled to the displayed image ----------------------------
function highlight(page, bbox, source) {
  state.mark = { page, bbox };
  for (const el of document.querySelectorAll(".active")) el.classList.remove("active");
  if (source) source.classList.add("active");
  placeHighlight(true);
}

function placeHighlight(scroll = false) {
  const mark = state.mark;
  const hl = $("#highlight");
  if (!mark || !state.doc) { hl.hidden = true; return; }
  const div = document.querySelector('.page[data-page="' + mark.page + '"]');
  const page = state.doc.document.pages[mark.page - 1];
  const img = div && div.querySelector("img");
  if (!img || !img.clientWidth || !page) { hl.hidden = true; return; }
  const sx = img.clientWidth / page.width;
  const sy = img.clientHeight / page.height;
  const [x0, y0, x1, y1] = mark.bbox;
  const pad = 3;
  div.appendChild(hl);
  hl.style.left = (x0 * sx - pad) + "px";
  hl.style.top = (y0 * sy - pad) + "px";
  hl.style.width = ((x1 - x0) * sx + 2 * pad) + "px";
  hl.style.height = ((y1 - y0) * sy + 2 * pad) + "px";
  hl.hidden = false;
  if (scroll) hl.scrollIntoView({ block: "center", behavior: "smooth" });
}

// -- questions -----------------------------------------------------------------------------------
async function ask(question) {
  const btn = $("#ask-btn");
  btn.disabled = true;
  try {
    const body = { message: question };
    if (state.session) body.session = state.session;
    const res = await postJSON("/v1/documents/" + state.doc.id + "/chat", body);
    state.session = res.session;
    showAnswer(question, res);
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    btn.disabled = false;
  }
}

function showAnswer(question, res) {
  const li = document.createElement("li");
  li.className = "answer";
  const q = document.createElement("div");
  q.className = "q";
  q.textContent = question;
  const a = document.createElement("div");
  a.className = "a" + (res.answer === null ? " none" : "");
  a.textContent = res.answer === null ? "The document does not say." : res.answer;
  li.append(q, a);
  for (const ev of res.evidence) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "evidence";
    b.dataset.page = ev.page;
    b.dataset.bbox = JSON.stringify(ev.bbox);
    b.textContent = "page " + ev.page + ": " + ev.text;
    b.title = "show on the page";
    b.addEventListener("click", () => highlight(ev.page, ev.bbox, b));
    li.appendChild(b);
  }
  $("#answers").prepend(li);
  const first = li.querySelector(".evidence");
  if (first) highlight(res.evidence[0].page, res.evidence[0].bbox, first);
}

async function extract(keys) {
  const btn = $("#extract-btn");
  btn.disabled = true;
  try {
    const res = await postJSON("/v1/documents/" + state.doc.id + "/extract", { keys });
    const body = $("#fields tbody");
    body.replaceChildren();
    for (const [key, f] of Object.entries(res.fields)) {
      const tr = document.createElement("tr");
      for (const text of [key, f.value === null ? "—" : f.value, f.page ?? "", f.value === null ? "" : f.confidence.toFixed(2)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      if (f.value !== null && f.bbox) {
        tr.className = "found";
        tr.title = "show on the page";
        tr.addEventListener("click", () => highlight(f.page, f.bbox, tr));
      }
      body.appendChild(tr);
    }
    $("#fields").hidden = false;
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    btn.disabled = false;
  }
}

// -- the library of documents --------------------------------------------------------------------
async function refreshLibrary() {
  try {
    const res = await getJSON("/v1/documents");
    const ul = $("#doc-list");
    ul.replaceChildren();
    for (const d of res.documents.slice().reverse()) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.textContent = d.name;
      a.addEventListener("click", () => openDocument(d.id).catch((e) => setStatus(e.message, true)));
      li.append(a, document.createTextNode(" (" + d.status + ")"));
      ul.appendChild(li);
    }
  } catch (e) { /* the token form says what to do */ }
}

// -- searchable PDF: fetched with the token, handed to the browser as a download ------------------
async function downloadPdf() {
  const doc = state.doc;
  const btn = $("#pdf-btn");
  btn.disabled = true;
  setStatus(doc.name + ": making the searchable PDF …");
  try {
    const blob = await (await api("/v1/documents/" + doc.id + "/searchable.pdf")).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = doc.name.replace(/\.[^.]*$/, "") + "-searchable.pdf";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    setStatus(doc.name + ": searchable PDF saved (" + Math.max(1, Math.round(blob.size / 1024)) + " KB).");
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    btn.disabled = false;
  }
}

// -- wiring --------------------------------------------------------------------------------------
$("#file").addEventListener("change", (e) => upload(e.target.files[0]));
const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
$("#ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("#question").value.trim();
  if (q && state.doc) ask(q);
});
$("#extract-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const keys = $("#keys").value.split(",").map((k) => k.trim()).filter(Boolean);
  if (keys.length && state.doc) extract(keys);
});
$("#pdf-btn").addEventListener("click", () => { if (state.doc) downloadPdf(); });
$("#regions").addEventListener("change", (e) => { state.regions = e.target.checked; if (state.doc) reloadImages(); });
$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("#token").value.trim();
  localStorage.setItem("chatocr-token", state.token);
  $("#token-form").hidden = true;
  refreshLibrary();
});
window.addEventListener("resize", () => placeHighlight());
refreshLibrary();
