// SQL box: POST the query, show the rows or the error.
"use strict";
(() => {
  const form = document.getElementById("sql-form"), box = document.getElementById("sql");
  const result = document.getElementById("sql-result"), err = document.getElementById("sql-error");
  const status = document.getElementById("sql-status");
  async function run(ev) {
    if (ev) ev.preventDefault();
    showError(err, "");
    status.textContent = "running…";
    const t0 = performance.now();
    try {
      const data = await api("/api/sql", {query: box.value});
      fillTable(result, data.columns, data.rows);
      status.textContent = `${data.rows.length}${data.truncated ? "+" : ""} rows in ${Math.round(performance.now() - t0)} ms`;
    } catch (e) {
      result.replaceChildren();
      status.textContent = "";
      showError(err, e.message);
    }
  }
  form.addEventListener("submit", run);
  box.addEventListener("keydown", ev => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) run(ev); });
  if (box.value.trim() && new URLSearchParams(location.search).has("q")) run();
})();
