// Helpers shared by the pages. Data from the workspace is only ever put into the page as text
// (textContent), never as HTML, so a cell holding "<script>" shows as those characters.
"use strict";

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = {error: res.statusText}; }
  if (!res.ok) throw new Error((data && data.error) || res.statusText);
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function fmtNum(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : Number(v.toPrecision(4)).toLocaleString("en-US", {maximumFractionDigits: 6});
  return String(v);
}

function showError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

// Fill a <table> with columns and rows (arrays), as text.
function fillTable(table, columns, rows) {
  table.replaceChildren(
    el("thead", {}, el("tr", {}, columns.map(c => el("th", {text: c})))),
    el("tbody", {}, rows.map(r => el("tr", {}, r.map(v =>
      v === null ? el("td", {class: "null", text: "null"}) :
      typeof v === "number" ? el("td", {class: "n", text: fmtNum(v)}) :
      el("td", {class: "t"}, el("div", {class: "cell", text: typeof v === "object" ? JSON.stringify(v) : String(v)}))))))
  );
  markClipped(table);
}

// A long cell shows its first lines with a fade; a click (or Enter) opens it whole, another closes it.
function markClipped(root) {
  for (const c of (root || document).querySelectorAll(".cell:not(.clipped)")) {
    if (c.scrollHeight <= c.clientHeight + 1) continue;
    c.classList.add("clipped");
    c.tabIndex = 0;
    c.title = "click to show the whole text";
  }
}
document.addEventListener("click", ev => {
  const c = ev.target.closest && ev.target.closest(".cell.clipped");
  if (c && !window.getSelection().toString()) c.classList.toggle("full");
});
document.addEventListener("keydown", ev => {
  if (ev.key === "Enter" && ev.target.matches && ev.target.matches(".cell.clipped")) ev.target.classList.toggle("full");
});
document.addEventListener("DOMContentLoaded", () => markClipped());
