// New-sample form: the run's domain columns and scores fill the selects; drawing a sample opens it.
"use strict";
(() => {
  const form = document.getElementById("sample-form");
  if (!form) return;
  const run = document.getElementById("s-run"), dom = document.getElementById("s-domain"), score = document.getElementById("s-score");
  const err = document.getElementById("sample-error");
  async function options() {
    try {
      const o = await api(`/api/eval/options?run=${encodeURIComponent(run.value)}`);
      dom.replaceChildren(el("option", {value: "", text: "(none)"}), ...o.domains.map(d => el("option", {value: d, text: d})));
      score.replaceChildren(el("option", {value: "", text: "(none)"}), ...o.scores.map(d => el("option", {value: d, text: d})));
      if (o.domains.includes("source")) dom.value = "source";
    } catch (e) { showError(err, e.message); }
  }
  run.addEventListener("change", options);
  options();
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    showError(err, "");
    const name = document.getElementById("s-name").value.trim();
    try {
      await api("/api/eval/samples", {
        name, run: run.value, domain_column: dom.value || null, score: score.value || null,
        bins: Number(document.getElementById("s-bins").value), per_stratum: Number(document.getElementById("s-per").value),
        rubric: document.getElementById("s-rubric").value.split(",").map(s => s.trim()).filter(Boolean),
      });
      location.href = `/eval/${encodeURIComponent(name)}`;
    } catch (e) { showError(err, e.message); }
  });
})();
