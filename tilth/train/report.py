"""HTML report of an experiment, read back from the workspace database (so it is one SQL query away).

Plots: mean excess loss over the known floors (or raw loss when floors are unknown) with seed range,
mixture-weight trajectories, per-domain final excess loss, and steps to reach uniform's final value.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np


def load_results(ws, experiment: str) -> dict:
    pat = f"{experiment}:%"
    runs = ws.sql("SELECT run, strategy, seed, domains, floors FROM train_runs WHERE run LIKE ? ORDER BY run",
                  [pat]).to_pylist()
    if not runs:
        raise KeyError(f"no runs logged for experiment {experiment!r}")
    domains = json.loads(runs[0]["domains"])
    floors = json.loads(runs[0]["floors"]) if runs[0]["floors"] not in (None, "null") else None
    ev = ws.sql("SELECT r.strategy, r.seed, e.step, e.domain, e.loss FROM train_eval e JOIN train_runs r "
                "USING (run) WHERE run LIKE ? ORDER BY 1, 2, 3", [pat]).to_pydict()
    wt = ws.sql("SELECT r.strategy, r.seed, w.step, w.domain, w.weight FROM train_domain_weights w "
                "JOIN train_runs r USING (run) WHERE run LIKE ? ORDER BY 1, 2, 3", [pat]).to_pydict()
    ms = ws.sql("SELECT r.strategy, median(s.ms) AS ms FROM train_steps s JOIN train_runs r USING (run) "
                "WHERE run LIKE ? GROUP BY 1", [pat]).to_pydict()
    strategies = list(dict.fromkeys(r["strategy"] for r in runs))
    seeds = sorted({r["seed"] for r in runs})
    dix = {d: i for i, d in enumerate(domains)}
    steps = sorted(set(ev["step"]))
    six = {s: i for i, s in enumerate(steps)}
    floor = np.array([floors[d] for d in domains]) if floors else np.zeros(len(domains))
    # eval[strategy] : [seed, step, domain] excess loss
    evals = {s: np.full((len(seeds), len(steps), len(domains)), np.nan) for s in strategies}
    for s, sd, st, d, v in zip(ev["strategy"], ev["seed"], ev["step"], ev["domain"], ev["loss"], strict=True):
        evals[s][seeds.index(sd), six[st], dix[d]] = v - floor[dix[d]]
    wsteps = sorted(set(wt["step"]))
    wix = {s: i for i, s in enumerate(wsteps)}
    weights = {s: np.full((len(seeds), len(wsteps), len(domains)), np.nan) for s in strategies}
    for s, sd, st, d, v in zip(wt["strategy"], wt["seed"], wt["step"], wt["domain"], wt["weight"], strict=True):
        weights[s][seeds.index(sd), wix[st], dix[d]] = v
    return {"domains": domains, "floors": floors, "strategies": strategies, "seeds": seeds, "steps": np.array(steps),
            "evals": evals, "wsteps": np.array(wsteps), "weights": weights,
            "ms": dict(zip(ms["strategy"], ms["ms"], strict=True))}


def steps_to_target(curve: np.ndarray, steps: np.ndarray, target: float) -> int | None:
    hit = np.nonzero(curve <= target + 1e-12)[0]
    return int(steps[hit[0]]) if len(hit) else None


def speedup(curve: np.ndarray, base_curve: np.ndarray, steps: np.ndarray) -> float | None:
    """Steps for `curve` to reach base_curve's final value, divided by base_curve's own steps to it."""
    target = float(base_curve[-1])
    hit, base_hit = steps_to_target(curve, steps, target), steps_to_target(base_curve, steps, target)
    return None if hit is None or not base_hit else hit / base_hit


def summary(res: dict, baseline: str = "uniform") -> list[dict]:
    """Per strategy: final mean excess (mean ± std over seeds), final worst-domain excess (each seed's largest
    domain value, mean ± std over seeds), steps to baseline's final value, speed-up on
    the seed-mean curves (`ratio`) and paired per seed (`paired`: each seed against the baseline's run with
    the same seed, which starts from the same initial weights, so one unlucky baseline seed cannot
    carry the mean)."""
    seed_curves = {s: res["evals"][s].mean(axis=2) for s in res["strategies"]}  # [seed, step]
    mean_curves = {s: np.nanmean(c, axis=0) for s, c in seed_curves.items()}
    base = baseline if baseline in mean_curves else res["strategies"][0]
    target = float(mean_curves[base][-1])
    rows = []
    ran = {s: ~np.isnan(c).all(axis=1) for s, c in seed_curves.items()}  # seeds this strategy has runs for
    for s in res["strategies"]:
        finals = res["evals"][s][ran[s], -1, :]
        paired = [speedup(seed_curves[s][i], seed_curves[base][i], res["steps"])
                  for i in np.flatnonzero(ran[s] & ran[base])]
        rows.append({"strategy": s, "final_mean": float(finals.mean(axis=1).mean()),
                     "final_std": float(finals.mean(axis=1).std()), "per_domain": finals.mean(axis=0).tolist(),
                     "final_worst": float(finals.max(axis=1).mean()), "worst_std": float(finals.max(axis=1).std()),
                     "steps_to_target": steps_to_target(mean_curves[s], res["steps"], target),
                     "ratio": speedup(mean_curves[s], mean_curves[base], res["steps"]), "paired": paired,
                     "ms": res["ms"].get(s), "overhead": (res["ms"].get(s) or 0) / res["ms"][base]
                     if res["ms"].get(base) else None})
    return rows


def paired_text(paired: list[float | None]) -> str:
    """Per-seed ratios as '0.83 / 0.75 / —', then their median over all seeds (an unreached seed counts as
    slower than any reached one)."""
    if not paired:
        return ""
    ranked = sorted(paired, key=lambda v: np.inf if v is None else v)
    mid = ranked[(len(ranked) - 1) // 2: len(ranked) // 2 + 1]
    med = None if None in mid else sum(mid) / len(mid)
    cells = " / ".join("—" if v is None else f"{v:.2f}" for v in paired)
    return f"{cells} (median {'—' if med is None else f'{med:.2f}'})"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def strategy_colors(strategies: list[str], baseline: str = "uniform") -> dict:
    """One colour per strategy, the same in every plot: the baseline black, the rest from tab20 (the default
    10-colour cycle repeats, and then e.g. uniform and the eleventh strategy share a colour)."""
    import matplotlib

    others = [s for s in strategies if s != baseline]
    cmap = matplotlib.colormaps["tab20" if len(others) > 10 else "tab10"]
    colors = {s: cmap(i % cmap.N) for i, s in enumerate(others)}
    colors[baseline] = "black"
    return colors


def plots(res: dict, rows: list[dict], baseline: str = "uniform") -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label = "excess loss over floor (nats/token)" if res["floors"] else "held-out loss (nats/token)"
    color = strategy_colors(res["strategies"], baseline)
    outside = {"fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}
    out = {}
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for s in res["strategies"]:
        per_seed = res["evals"][s].mean(axis=2)
        m = np.nanmean(per_seed, axis=0)
        ax.plot(res["steps"], m, label=s, color=color[s], lw=2 if s == baseline else 1.2)
        ax.fill_between(res["steps"], np.nanmin(per_seed, axis=0), np.nanmax(per_seed, axis=0), alpha=0.12,
                        color=color[s])
    target = next((r for r in rows if r["strategy"] == baseline), rows[0])["final_mean"]
    ax.axhline(target, color="k", ls=":", lw=1, label=f"{baseline} final")
    ax.set(xlabel="step", ylabel=f"mean {label}", yscale="log")
    ax.legend(**outside)
    out["curves"] = _png(fig)

    n = len(res["strategies"])
    cols = min(n, 4)
    grid = -(-n // cols)
    fig, axes = plt.subplots(grid, cols, figsize=(3.2 * cols, 2.6 * grid), sharex=True, sharey=True, squeeze=False)
    for ax, s in zip(axes.flat[:n], res["strategies"], strict=True):
        w = np.nanmean(res["weights"][s], axis=0)
        ax.stackplot(res["wsteps"], w.T, labels=res["domains"])
        ax.set(title=s, ylim=(0, 1))
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("domain weight\n(mean over seeds)")
    for ax in axes.flat[max(n - cols, 0):n]:  # the lowest visible panel of each column
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("step")
    axes[0][-1].legend(**outside)
    fig.tight_layout()
    out["weights"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / n
    x = np.arange(len(res["domains"]))
    for i, r in enumerate(rows):
        ax.bar(x + i * width, r["per_domain"], width, label=r["strategy"], color=color[r["strategy"]])
    ax.set_xticks(x + 0.4 - width / 2, res["domains"])
    ax.set(ylabel=f"final {label}")
    ax.legend(**outside)
    out["domains"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.3 * n))
    y = np.arange(n)[::-1]
    reached = [r["steps_to_target"] for r in rows]
    ax.barh(y, [v or 0 for v in reached], color=[color[r["strategy"]] for r in rows])
    for yi, v in zip(y, reached, strict=True):
        if v is None:
            ax.text(5, yi, "not reached", va="center", fontsize=8)
    ax.set_yticks(y, [r["strategy"] for r in rows])
    ax.axvline(res["steps"][-1], color="k", ls=":", lw=1)
    ax.set(xlabel=f"steps to reach {baseline}'s final value (dotted: the budget)")
    out["speed"] = _png(fig)
    return out


def write_report(ws, experiment: str, out_dir: Path, baseline: str = "uniform") -> Path:
    res = load_results(ws, experiment)
    rows = summary(res, baseline)
    imgs = plots(res, rows, baseline)
    out_dir.mkdir(parents=True, exist_ok=True)
    fmt = lambda v, p=3: "—" if v is None else f"{v:.{p}f}"  # noqa: E731
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   ["strategy", "final mean excess", "± std (seeds)", "worst domain", *res["domains"],
                    "steps to target", f"× {baseline} steps", "× per seed (paired)", "median ms/step",
                    f"× {baseline} ms"])
    body = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in [
            html.escape(r["strategy"]), fmt(r["final_mean"]), fmt(r["final_std"]),
            f"{fmt(r['final_worst'])} ± {fmt(r['worst_std'])}", *(fmt(v) for v in r["per_domain"]), r["steps_to_target"] or "not reached", fmt(r["ratio"], 2),
            paired_text(r["paired"]), fmt(r["ms"], 1), fmt(r["overhead"], 2)]) + "</tr>" for r in rows)
    floors = res["floors"]
    floor_txt = ", ".join(f"{d}: {floors[d]:.4f}" for d in res["domains"]) if floors else "unknown (raw loss)"
    img = lambda k, alt: f'<img alt="{alt}" src="data:image/png;base64,{imgs[k]}">'  # noqa: E731
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Tilth training report: {html.escape(experiment)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}td,th{{border:1px solid #ccc;padding:3px 6px}}
table{{border-collapse:collapse;font-size:13px}}</style></head><body>
<h1>Training comparison: {html.escape(experiment)}</h1>
<p>{len(res["strategies"])} strategies × seeds {res["seeds"]}, identical token budget ({int(res["steps"][-1])} steps).
Known per-token floors (nats): {floor_txt}. Excess loss = held-out loss − floor, averaged over domains.
Target = {baseline}'s final mean excess loss (mean over seeds); "steps to target" is the first evaluation step at
which a strategy's seed-mean curve reaches it, and "× {baseline} steps" divides by {baseline}'s own step count to it.
"× per seed (paired)" repeats that for each seed against {baseline}'s run with the same seed (— = not reached).
"Worst domain" is each seed's largest per-domain final value, mean ± std over seeds.</p>
<table><tr>{head}</tr>{body}</table>
<h2>Mean excess loss (seed mean, band = seed min–max)</h2>{img("curves", "loss curves")}
<h2>Domain weight trajectories</h2>{img("weights", "weights")}
<h2>Per-domain final excess loss</h2>{img("domains", "per-domain")}
<h2>Steps to reach {baseline}'s final mean excess loss</h2>{img("speed", "steps to target")}
</body></html>"""
    path = out_dir / "report.html"
    path.write_text(page)
    return path
