"""Markdown tables of a skewed-mixture experiment, read back from the workspace database.

    python bench/mixbench_tables.py WORKSPACE[,WORKSPACE...] EXPERIMENT [--baseline natural] [--worst-ref uniform]

Several workspaces (comma-separated) holding runs of the same experiment with other seeds are merged.

Per strategy: final mean held-out loss (domains averaged equally; excess over the floors when they are known),
final worst-domain loss (each seed's largest domain value), both mean ± std over seeds; per-domain finals;
× steps to the baseline's final mean loss on the seed-mean curves and paired per seed (each seed against the
baseline's run with the same seed); and the issue's two checks per strategy: paired ratio ≤ 0.5 on every
seed, and worst-domain loss ≤ the worst-ref strategy's (per seed, and on the seed mean).
"""

from __future__ import annotations

import argparse

import numpy as np

from tilth.storage.workspace import Workspace
from tilth.train.report import load_results, paired_text, summary


def merge_results(parts: list[dict]) -> dict:
    """`load_results` of several workspaces as one: the union of strategies and seeds (NaN where a strategy
    has no run for a seed); the evaluation steps and domains must agree."""
    res = parts[0]
    for other in parts[1:]:
        if list(other["domains"]) != list(res["domains"]) or not np.array_equal(other["steps"], res["steps"]):
            raise ValueError("the workspaces' runs have other domains or evaluation steps")
        seeds = sorted(set(res["seeds"]) | set(other["seeds"]))
        strategies = list(dict.fromkeys(res["strategies"] + other["strategies"]))
        evals = {}
        for s in strategies:
            e = np.full((len(seeds), len(res["steps"]), len(res["domains"])), np.nan)
            for part in (res, other):
                for i, sd in enumerate(part["seeds"]):
                    if s in part["evals"] and not np.isnan(part["evals"][s][i]).all():
                        e[seeds.index(sd)] = part["evals"][s][i]
            evals[s] = e
        res = {**res, "seeds": seeds, "strategies": strategies, "evals": evals,
               "ms": {**other["ms"], **res["ms"]}}
    return res


def tables(wss, experiment: str, baseline: str = "natural", worst_ref: str = "uniform") -> str:
    res = merge_results([load_results(ws, experiment) for ws in wss])
    first = [s for s in (baseline, worst_ref) if s in res["strategies"]]
    rows = sorted(summary(res, baseline), key=lambda r: (r["strategy"] not in first,
                                                         first.index(r["strategy"]) if r["strategy"] in first else 0,
                                                         r["strategy"]))
    kind = "excess" if res["floors"] else "held-out loss"
    doms = " / ".join(res["domains"])
    out = [f"{experiment}: {len(res['seeds'])} seeds {res['seeds']}, {int(res['steps'][-1])} steps, "
           f"evals every {int(res['steps'][1] - res['steps'][0])} steps; mean {kind} over domains",
           "",
           f"| strategy | final mean {kind} | worst domain | {doms} | × steps to {baseline}'s final "
           f"(seed-mean) | paired, per seed (median) |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['strategy']} | {r['final_mean']:.3f} ± {r['final_std']:.3f} | "
                   f"{r['final_worst']:.3f} ± {r['worst_std']:.3f} | "
                   f"{' / '.join(f'{v:.3f}' for v in r['per_domain'])} | "
                   f"{'not reached' if r['ratio'] is None else format(r['ratio'], '.2f')} | "
                   f"{paired_text(r['paired'])} |")
    # the done criteria, per strategy
    ev = res["evals"]
    if worst_ref in ev:
        ref_worst = ev[worst_ref][:, -1, :].max(axis=1)  # [seed]; NaN where uniform has no run
        out += ["", f"Checks: paired × steps ≤ 0.5 on every seed; final worst-domain ≤ {worst_ref}'s "
                f"(per seed {' / '.join(f'{v:.3f}' for v in ref_worst)})", ""]
        for r in rows:
            if r["strategy"] in (baseline, worst_ref):
                continue
            speed = bool(r["paired"]) and all(p is not None and p <= 0.5 for p in r["paired"])
            worst = ev[r["strategy"]][:, -1, :].max(axis=1)
            both = ~np.isnan(worst) & ~np.isnan(ref_worst)
            per_seed = bool(np.all(worst[both] <= ref_worst[both] + 1e-12))
            out.append(f"* {r['strategy']}: speed {'met' if speed else 'not met'}; worst domain "
                       f"{' / '.join(f'{v:.3f}' for v in worst)}: {'≤' if per_seed else 'not ≤'} {worst_ref}'s on "
                       f"every seed, seed mean {worst[both].mean():.3f} vs {ref_worst[both].mean():.3f}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workspace")
    ap.add_argument("experiment")
    ap.add_argument("--baseline", default="natural")
    ap.add_argument("--worst-ref", default="uniform")
    a = ap.parse_args()
    print(tables([Workspace(w) for w in a.workspace.split(",")], a.experiment, a.baseline, a.worst_ref))


if __name__ == "__main__":
    main()
