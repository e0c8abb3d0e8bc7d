// Agent page: start a session, poll it, show the plan for review (parameters editable), send the decision,
// then follow the run step by step until it finishes.
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  const err = $("agent-error");
  let sid = null, timer = null, shownPlan = null;

  $("agent-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    showError(err, "");
    $("plan").hidden = true; $("progress").hidden = true; shownPlan = null;
    try {
      const s = await api("/api/agent", {text: $("agent-request").value, data: $("agent-data").value});
      sid = s.id;
      history.replaceState(null, "", `#${sid}`);
      update(s);
      poll();
    } catch (e) { showError(err, e.message); }
  });

  function poll() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try { update(await api(`/api/agent/${sid}`)); } catch (e) { showError(err, e.message); return; }
    }, 700);
  }

  function update(s) {
    $("agent-status").textContent = {planning: "planning and validating on a sample…", review: "waiting for your review",
      saving: "saving the recipe…", running: "running…", done: "done", failed: "failed", rejected: "rejected"}[s.status] || s.status;
    $("agent-status").className = `badge ${s.status}`;
    if (s.error) showError(err, s.error);
    if (s.plan && (s.status === "review" || !shownPlan)) drawPlan(s.plan, s.status === "review");
    for (const b of ["accept", "apply-params", "reject", "send-feedback"]) $(b).disabled = s.status !== "review";
    if (s.progress) drawProgress(s);
    if (!["done", "failed", "rejected"].includes(s.status)) poll();
  }

  function drawPlan(p, review) {
    const key = JSON.stringify(p);
    if (key === shownPlan) return;
    shownPlan = key;
    $("plan").hidden = false;
    $("plan-name").textContent = `${p.name} (${p.planner} planner)`;
    $("plan-valid").textContent = p.ok ? (p.dry_run ? "validated by a dry run" : "validated") : "does not validate";
    $("plan-valid").className = `badge ${p.ok ? "ok" : "bad"}`;
    $("plan-notes").replaceChildren(...p.notes.map(n => el("li", {text: n})), ...p.problems.map(n => el("li", {class: "error", text: n})));
    $("plan-steps").replaceChildren(...p.steps.map(st => el("li", {"data-step": st.index},
      el("div", {}, el("span", {class: "muted", text: `${st.index}. `}), el("span", {class: "op", text: st.op}),
        p.sample_rows.length > st.index ? el("span", {class: "muted", text: ` · ${p.sample_rows[st.index]} of ${p.sample_rows[0]} sample rows after it`}) : ""),
      el("div", {class: "why-step", text: st.why || ""}),
      el("div", {class: "params"}, st.params.map(pr => el("label", {},
        el("span", {text: pr.name}),
        el("input", {name: pr.name, value: pr.value, placeholder: pr.default === null || pr.default === undefined ? "(unset)" : `default ${JSON.stringify(pr.default)}`,
                     "data-step": st.index, "data-original": pr.value, disabled: !review}),
        el("small", {text: [pr.description, pr.choices ? `one of ${pr.choices.join(", ")}` : ""].filter(Boolean).join(" · ")})))))),
      ...(p.questions || []).map(q => el("li", {class: "question"},
        el("div", {}, el("span", {class: "op", text: "question"}), el("span", {class: "muted", text: " · answered from the output after the run"})),
        el("div", {class: "why-step", text: q.ask}), el("code", {text: q.sql}))));
  }

  function edits() {
    const out = {};
    for (const input of $("plan-steps").querySelectorAll("input[data-step]")) {
      if (input.value !== input.dataset.original) (out[input.dataset.step] ||= {})[input.name] = input.value;
    }
    return out;
  }

  async function decide(body) {
    showError(err, "");
    try { update(await api(`/api/agent/${sid}/decision`, body)); } catch (e) { showError(err, e.message); }
  }
  $("accept").addEventListener("click", () => {
    const e = edits();
    if (Object.keys(e).length) { showError(err, "Apply (or undo) your parameter changes first: the plan is validated again."); return; }
    decide({action: "accept"});
  });
  $("apply-params").addEventListener("click", () => decide({action: "edit", params: edits()}));
  $("reject").addEventListener("click", () => decide({action: "reject"}));
  $("send-feedback").addEventListener("click", () => decide({action: "feedback", text: $("feedback").value}));

  function drawProgress(s) {
    const pr = s.progress;
    $("progress").hidden = false;
    $("run-name").textContent = s.run;
    $("run-state").textContent = s.status === "running" ? `${pr.finished} of ${pr.total} steps` : s.status;
    $("run-state").className = `badge ${s.status}`;
    let current = pr.steps.findIndex(x => !x.done);
    $("run-steps").replaceChildren(...pr.steps.map((x, k) => el("li", {class: x.done ? "done" : (k === current && s.status === "running" ? "current" : "waiting")},
      el("span", {class: "name", text: x.step}),
      x.done ? el("span", {text: `${fmtNum(x.rows_out)} rows out${x.dropped ? ` · ${fmtNum(x.dropped)} dropped` : ""} · ${x.seconds.toFixed(2)} s`})
             : el("span", {class: "muted", text: k === current && s.status === "running" ? `working… ${x.parts || 0} parts written` : "waiting"}))));
    if (s.status === "done") {
      $("run-links").hidden = false;
      $("run-link").href = `/runs/${encodeURIComponent(s.run)}`;
    }
  }
})();
