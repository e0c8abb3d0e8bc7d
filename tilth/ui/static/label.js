// Labelling page: one row at a time, keyboard first. k keep, d drop, 1-5 score the active rubric
// dimension (then the next one is active), Tab next dimension, j/→ next row, p/← previous row.
// Each keep/drop is saved with the rubric scores (in key order), and the agreement panel is redrawn from the last reply.
"use strict";
(() => {
  const root = document.getElementById("labeller");
  const sample = root.dataset.sample;
  const dims = root.dataset.rubric ? root.dataset.rubric.split(",") : [];
  const who = document.getElementById("annotator"), err = document.getElementById("label-error");
  const $ = id => document.getElementById(id);
  let rows = [], i = 0, active = 0, rubric = {}, shownId = null;
  let loads = 0, replies = 0;  // only the latest load, and the latest agreement reply, are drawn
  let edits = 0;  // labels pressed so far: a load asked for before one of them must not draw over it

  who.value = localStorage.getItem("tilth-annotator") || "";
  who.addEventListener("change", () => { localStorage.setItem("tilth-annotator", who.value.trim()); load(); });

  async function load() {
    const mine = ++loads, editsAt = edits;
    try {
      const data = await api(`/api/eval/${encodeURIComponent(sample)}/rows?annotator=${encodeURIComponent(who.value.trim())}`);
      if (mine !== loads) return;  // the annotator changed meanwhile: a newer load draws
      // keys pressed while the rows were on their way: those rows predate the labels, so read them again once
      // the labels are saved (drawing them now would show the labelled rows as unlabelled, back at row 1)
      if (edits !== editsAt) { saving = saving.then(load); return; }
      rows = data.rows;
      const first = rows.findIndex(r => !r.label);
      i = first < 0 ? 0 : first;
      show();
      // after the saves already queued, so a reply never predates a label pressed before it was asked
      const seq = ++replies;
      saving = saving.then(async () => {
        try {
          const rep = await api(`/api/eval/${encodeURIComponent(sample)}/agreement`);
          if (seq === replies) agreement(rep);
        } catch (e) { showError(err, e.message); }
      });
    } catch (e) { showError(err, e.message); }
  }

  function show() {
    const r = rows[i];
    const by = who.value.trim() ? `by ${who.value.trim()}` : "(type your name to label)";
    $("position").textContent = rows.length ? `row ${i + 1} of ${rows.length} · ${rows.filter(x => x.label).length} labelled ${by}` : "empty sample";
    if (!r) return;
    $("item-domain").textContent = r.domain;
    $("item-bin").textContent = r.bin;
    $("item-id").textContent = `_id ${r._id}`;
    $("item-id").href = `/rows/${r._id}`;
    $("item-label").textContent = r.label || "unlabelled";
    $("item-label").className = `badge ${r.label || ""}`;
    $("item-text").textContent = r.text === null ? "(no text column)" : r.text;
    // a redraw of the row being scored (rows reloaded meanwhile) keeps the scores typed so far
    if (r._id !== shownId) { rubric = Object.assign({}, r.rubric || {}); active = 0; }
    shownId = r._id;
    drawRubric();
  }

  function drawRubric() {
    $("rubric").replaceChildren(...dims.map((d, k) => el("div", {class: `dim${k === active ? " active" : ""}`, "data-dim": d},
      el("span", {class: "name", text: d}),
      [1, 2, 3, 4, 5].map(n => el("button", {type: "button", class: rubric[d] === n ? "on" : "", text: String(n),
        onclick: () => { rubric[d] = n; active = k; drawRubric(); }})))));
  }

  // A keep/drop moves to the next row at once; the saves go to the server one after another, in the order
  // the keys were pressed, so fast typing labels consecutive rows (waiting for each reply before moving
  // made every key pressed meanwhile label the same row again). A failed save puts its row back.
  let saving = Promise.resolve();
  function label(value) {
    const r = rows[i];
    if (!r) return;
    if (!who.value.trim()) { showError(err, "Type your name (annotator) first."); who.focus(); return; }
    showError(err, "");
    edits++;
    const at = i, before = {label: r.label, rubric: r.rubric}, scores = Object.assign({}, rubric);
    const body = {id: r._id, annotator: who.value.trim(), label: value, rubric: scores};
    r.label = value; r.rubric = scores;
    if (i < rows.length - 1) i++;
    show();
    $("save-status").textContent = "saving…";
    const seq = ++replies;
    saving = saving.then(async () => {
      try {
        const rep = await api(`/api/eval/${encodeURIComponent(sample)}/labels`, body);
        if (seq === replies) { $("save-status").textContent = `saved ${value}`; agreement(rep); }
      } catch (e) {
        r.label = before.label; r.rubric = before.rubric;
        $("save-status").textContent = "";
        showError(err, `row ${at + 1} was not saved: ${e.message}`);
        i = at; show();
      }
    });
  }

  function kappaText(k) { return k === null || k === undefined ? "–" : k.toFixed(2); }

  function agreement(rep) {
    $("agree-summary").textContent = rep.labelled
      ? `${rep.labelled} rows labelled (${rep.keep} keep, ${rep.drop} drop) by ${rep.annotators.join(", ")}`
      : "No labels yet.";
    $("agree-filters").replaceChildren(...rep.filters.map(f => el("div", {class: "agree-block", "data-step": f.step},
      el("div", {}, el("strong", {text: f.step}), " κ = ", el("span", {class: "kappa", text: kappaText(f.kappa)}),
         el("span", {class: "muted", text: ` over ${f.n} labelled rows it saw`})),
      el("table", {class: "confusion"},
        el("tr", {}, el("th", {text: "people \\ filter"}), el("th", {text: "keep"}), el("th", {text: "drop"})),
        ["keep", "drop"].map(h => el("tr", {}, el("th", {text: h}), el("td", {text: f.confusion[h].keep}), el("td", {text: f.confusion[h].drop})))))));
    $("agree-scores").replaceChildren(rep.scores.length ? el("div", {class: "agree-block"},
      el("strong", {text: "Thresholds the labels suggest"}),
      el("table", {class: "confusion", id: "score-table"},
        el("tr", {}, ["score", "keep if", "κ", "accuracy", "n"].map(h => el("th", {text: h}))),
        rep.scores.map(s => el("tr", {}, el("td", {text: s.score, style: "text-align:left"}), el("td", {text: `${s.direction} ${fmtNum(s.threshold)}`}),
          el("td", {class: "kappa", text: kappaText(s.kappa)}), el("td", {text: `${Math.round(100 * s.accuracy)}%`}), el("td", {text: s.n}))))) : "");
    const rub = Object.entries(rep.rubric);
    $("agree-rubric").replaceChildren(rub.length ? el("div", {class: "agree-block"}, el("strong", {text: "Rubric means"}), " ",
      rub.map(([k, v]) => el("span", {class: "kv", text: `${k} ${v.mean.toFixed(2)} (n=${v.n})`}))) : "");
  }

  function move(d) { i = Math.max(0, Math.min(rows.length - 1, i + d)); show(); }

  $("btn-keep").addEventListener("click", () => label("keep"));
  $("btn-drop").addEventListener("click", () => label("drop"));
  $("btn-next").addEventListener("click", () => move(1));
  $("btn-prev").addEventListener("click", () => move(-1));
  document.addEventListener("keydown", ev => {
    if (ev.target.closest("input, textarea, select") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (k === "k") label("keep");
    else if (k === "d") label("drop");
    else if (k === "j" || k === "ArrowRight") move(1);
    else if (k === "p" || k === "ArrowLeft") move(-1);
    else if (k === "Tab" && dims.length) { active = (active + (ev.shiftKey ? dims.length - 1 : 1)) % dims.length; drawRubric(); }
    else if (/^[1-5]$/.test(k) && dims.length) { rubric[dims[active]] = Number(k); active = (active + 1) % dims.length; drawRubric(); }
    else return;
    ev.preventDefault();
  });
  load();
})();
