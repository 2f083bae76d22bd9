#!/usr/bin/env python3
"""Summarise bench/peers/run.sh's CSVs into summary.md and workprecision.{png,svg}.

Usage: summarize.py RESULTS_DIR

Integrators. For each problem and tool/method, the RHS evaluations and the time
needed to reach a max-norm error of 1e-8 at t_end, interpolated log-log between the
two sweep points that bracket it: walking the sweep from loose to tight tolerance
(for boost-rk4 from large to small step), the first pair with error_i > 1e-8 >=
error_{i+1}. "—" when the sweep never gets there; when the loosest point is already
below 1e-8, its values are shown with "≤". Ratios are grd / peer: below 1, grd is
faster. Each peer is compared with grd's run next to it (grd_1 beside odeint/gsl,
grd_2 beside scipy); grd's own rows show the median of its two runs. "same order"
pairs a peer with grd's method of the same order (5: dopri5 for boost-dopri5[-dense],
gsl-rkf45, scipy-rk45 and boost-rk4; 8: dop853 for boost-rkf78, gsl-rk8pd,
scipy-dop853); "grd best" is the fastest grd method at 1e-8.

ns per RHS evaluation on Lorenz is seconds / nfev, the median over the sweep: it
includes each method's per-step overhead, not only the RHS.

Stiff problems: for each problem and tool/method, nfev, Jacobian evaluations
(njac), J·v products (njv) and time to reach a max-norm error of 1e-6 at t_end,
interpolated as above (grd's rows: median time of its two runs; the peers beside
them: CVODE and Boost's rosenbrock4 beside grd_1, scipy beside grd_2).

Kernels: time per call (median) for each kernel and size, and the ratios
grd / numpy (grd run beside numpy) and grd / torch (grd run beside torch).
"""

import csv
import math
import os
import statistics
import sys
from collections import defaultdict

TARGET = 1e-8
LOOSE = 1e-5  # second column: Lorenz on [0, 20] is chaotic and rarely reaches 1e-8
SAME_ORDER = {
    "boost-dopri5": "dopri5", "boost-dopri5-dense": "dopri5", "gsl-rkf45": "dopri5",
    "scipy-rk45": "dopri5", "boost-rk4": "dopri5",
    "boost-rkf78": "dop853", "gsl-rk8pd": "dop853", "scipy-dop853": "dop853",
}
HUES = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]  # distinct tab20 hues first
PEER_FILES = [("odeint_gsl", "grd_1"), ("scipy", "grd_2")]


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def at_target(rows, key, target=TARGET):
    """Value of key (nfev or seconds) at error target, rows in sweep order."""
    pts = [(float(r["error"]), float(r[key])) for r in rows]
    if not pts:
        return None, ""
    if pts[0][0] <= target:
        return pts[0][1], "≤"
    for (e0, x0), (e1, x1) in zip(pts, pts[1:]):
        if e0 > target >= e1:
            if e1 <= 0 or e0 == e1:
                return x1, ""
            f = (math.log(target) - math.log(e0)) / (math.log(e1) - math.log(e0))
            return math.exp(math.log(x0) + f * (math.log(x1) - math.log(x0))), ""
    return None, ""


def sweep(rows):
    """Group rows by (problem, method) in sweep order (loose to tight)."""
    g = defaultdict(list)
    for r in rows:
        g[(r["problem"], r["method"])].append(r)
    for k in g:
        g[k].sort(key=lambda r: -float(r["tol"]))
    return g


def merge_grd(runs):
    """grd rows with seconds = median over the runs (errors and nfev are identical)."""
    by = defaultdict(list)
    order = []
    for rows in runs:
        for r in rows:
            k = (r["problem"], r["method"], r["tol"])
            if k not in by:
                order.append(k)
            by[k].append(r)
    out = []
    for k in order:
        r = dict(by[k][0])
        r["seconds"] = repr(statistics.median(float(x["seconds"]) for x in by[k]))
        out.append(r)
    return out


def fmt_t(x, mark=""):
    if x is None:
        return "—"
    if x >= 1:
        s = f"{x:.2f} s"
    elif x >= 1e-3:
        s = f"{x * 1e3:.3g} ms"
    else:
        s = f"{x * 1e6:.3g} µs"
    return mark + s


def fmt_n(x, mark=""):
    return "—" if x is None else f"{mark}{x:,.0f}"


def fmt_r(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"


def integrator_tables(res):
    grd_runs = {f: read_csv(os.path.join(res, f"integrators_{f}.csv")) for f in ("grd_1", "grd_2")}
    grd_all = sweep(merge_grd(list(grd_runs.values())))
    grd_by_run = {f: sweep(rows) for f, rows in grd_runs.items()}
    peers = []  # (group, rows-by-key, grd run name)
    for f, gname in PEER_FILES:
        rows = read_csv(os.path.join(res, f"integrators_{f}.csv"))
        if rows:
            peers.append((f, sweep(rows), gname))
    problems = []
    for p, _ in list(grd_all) + [k for _, s, _ in peers for k in s]:
        if p not in problems:
            problems.append(p)
    lines = []
    lines.append(f"### Integrators: work and time to reach error {TARGET:g} (and {LOOSE:g})\n")
    lines.append("Best = smallest error of the sweep. Ratios grd / peer of the time to reach the error: "
                 "below 1, grd is faster.\n")
    for p in problems:
        lines.append(f"**{p}**\n")
        lines.append("| tool | method | best error | nfev @1e-5 | time @1e-5 | nfev @1e-8 | time @1e-8 "
                     "| grd same order / this @1e-5 | grd same order / this @1e-8 | grd best / this @1e-5 | grd best / this @1e-8 |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

        def cells(rows):
            best = min(float(r["error"]) for r in rows)
            c = [f"{best:.1e}"]
            for tgt in (LOOSE, TARGET):
                n, mk = at_target(rows, "nfev", tgt)
                t, _ = at_target(rows, "seconds", tgt)
                c += [fmt_n(n, mk), fmt_t(t, mk)]
            return c

        for (pp, m), rows in grd_all.items():
            if pp == p:
                lines.append("| grd | " + m + " | " + " | ".join(cells(rows)) + " | | | | |")
        for f, s, gname in peers:
            gp = {m: rows for (pp, m), rows in grd_by_run[gname].items() if pp == p}
            g8 = {m: at_target(r, "seconds")[0] for m, r in gp.items()}
            g5 = {m: at_target(r, "seconds", LOOSE)[0] for m, r in gp.items()}
            best8 = min((t for t in g8.values() if t is not None), default=None)
            best5 = min((t for t in g5.values() if t is not None), default=None)
            for (pp, m), rows in s.items():
                if pp != p:
                    continue
                t8 = at_target(rows, "seconds")[0]
                t5 = at_target(rows, "seconds", LOOSE)[0]
                same8 = g8.get(SAME_ORDER.get(m, ""))
                same5 = g5.get(SAME_ORDER.get(m, ""))
                lines.append(f"| {m.split('-')[0]} | {m} | " + " | ".join(cells(rows)) +
                             f" | {fmt_r(same5, t5)} | {fmt_r(same8, t8)} | {fmt_r(best5, t5)} | {fmt_r(best8, t8)} |")
        lines.append("")

    # ns per RHS evaluation on Lorenz.
    lines.append("### Integrators: ns per RHS evaluation on Lorenz (seconds / nfev, median over the sweep)\n")
    lines.append("| tool | method | ns / RHS eval | grd same order / this |")
    lines.append("|---|---|---:|---:|")

    def nsper(rows):
        return statistics.median(float(r["seconds"]) / int(r["nfev"]) * 1e9 for r in rows)

    for (pp, m), rows in grd_all.items():
        if pp == "lorenz":
            lines.append(f"| grd | {m} | {nsper(rows):.0f} | |")
    for f, s, gname in peers:
        for (pp, m), rows in s.items():
            if pp != "lorenz":
                continue
            g = grd_by_run[gname].get(("lorenz", SAME_ORDER.get(m, "")))
            ratio = fmt_r(nsper(g), nsper(rows)) if g else "—"
            lines.append(f"| {m.split('-')[0]} | {m} | {nsper(rows):.0f} | {ratio} |")
    lines.append("")
    return lines, grd_all, peers, problems


STIFF_TARGET = 1e-6
STIFF_PEERS = ("cvode", "boost", "scipy")


def stiff_tables(res):
    grd = sweep(merge_grd([read_csv(os.path.join(res, f"stiff_{f}.csv")) for f in ("grd_1", "grd_2")]))
    groups = [("grd", grd)] + [(f, sweep(read_csv(os.path.join(res, f"stiff_{f}.csv")))) for f in STIFF_PEERS]
    problems = []
    for _, s in groups:
        for p, _ in s:
            if p not in problems:
                problems.append(p)
    if not problems:
        return []
    lines = [f"### Stiff problems: work and time to reach error {STIFF_TARGET:g}\n",
             "Failed solves (error inf) are skipped; \"—\" when the sweep never reaches the error.\n",
             "| problem | tool | method | best error | nfev | njac | njv | time |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for p in problems:
        for tool, s in groups:
            for (pp, m), rows in s.items():
                if pp != p:
                    continue
                rows = [r for r in rows if math.isfinite(float(r["error"]))]
                if not rows:
                    lines.append(f"| {p} | {tool} | {m} | failed | — | — | — | — |")
                    continue
                best = min(float(r["error"]) for r in rows)
                c = []
                for key in ("nfev", "njac", "njv"):
                    if key != "nfev" and all(float(r[key]) == 0 for r in rows):
                        c.append("0")  # the method does not use it
                        continue
                    v, mk = at_target(rows, key, STIFF_TARGET)
                    c.append(fmt_n(v, mk))
                t, mk = at_target(rows, "seconds", STIFF_TARGET)
                lines.append(f"| {p} | {tool} | {m} | {best:.1e} | " + " | ".join(c) + f" | {fmt_t(t, mk)} |")
    lines.append("")
    return lines


def kernel_tables(res):
    rows = {}
    for f in ("grd_1", "grd_2", "numpy", "torch"):
        for r in read_csv(os.path.join(res, f"kernels_{f}.csv")):
            rows[(f, r["kernel"], int(r["N"]), int(r["n"]), int(r["h"]))] = float(r["seconds"])
    if not rows:
        return []
    keys = []
    for (_, k, N, n, h) in rows:
        if (k, N, n, h) not in keys:
            keys.append((k, N, n, h))
    order = {"grad": 0, "persample": 1, "dv": 2, "dense": 3}
    keys.sort(key=lambda x: (order.get(x[0], 9), x[1]))
    lines = ["### Kernels: seconds per call (median) on the two-layer tanh network, o = 1\n",
             "| kernel | N | n | h | d | grd (beside numpy) | numpy | grd / numpy | grd (beside torch) | torch | grd / torch |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k, N, n, h in keys:
        d = h * (n + 1) + h + 1
        g1 = rows.get(("grd_1", k, N, n, h))
        g2 = rows.get(("grd_2", k, N, n, h))
        nu = rows.get(("numpy", k, N, n, h))
        to = rows.get(("torch", k, N, n, h))
        lines.append(f"| {k} | {N} | {n} | {h} | {d} | {fmt_t(g1)} | {fmt_t(nu)} | {fmt_r(g1, nu)} | "
                     f"{fmt_t(g2)} | {fmt_t(to)} | {fmt_r(g2, to)} |")
    lines.append("")
    return lines


def plot(res, grd_all, peers, problems):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"summarize: no plot: {e}", file=sys.stderr)
        return
    series = [("grd", m, p, rows) for (p, m), rows in grd_all.items()]
    for _, s, _ in peers:
        series += [(m.split("-")[0], m, p, rows) for (p, m), rows in s.items()]
    methods = []
    for _, m, _, _ in series:
        if m not in methods:
            methods.append(m)
    cmap = plt.get_cmap("tab20")
    style = {"grd": ("-", "o"), "boost": ("--", "s"), "gsl": (":", "^"), "scipy": ("-.", "D")}
    ncol = 2
    nrow = (len(problems) + 1) // 2
    fig, axes = plt.subplots(nrow, ncol, figsize=(13, 5 * nrow), squeeze=False)
    for i, p in enumerate(problems):
        ax = axes[i // ncol][i % ncol]
        for tool, m, pp, rows in series:
            if pp != p:
                continue
            xs = [float(r["seconds"]) for r in rows]
            ys = [max(float(r["error"]), 1e-16) for r in rows]
            ls, mk = style.get(tool, ("-", "x"))
            lw = 2.2 if tool == "grd" else 1.4
            label = m if tool != "grd" else f"grd {m}"
            ax.loglog(xs, ys, ls=ls, marker=mk, ms=4, lw=lw, color=cmap(HUES[methods.index(m) % 20]), label=label)
        ax.axhline(TARGET, color="0.6", lw=0.8)
        ax.set_title(p)
        ax.set_xlabel("seconds per solve (median)")
        ax.set_ylabel("max-norm error at t_end")
        ax.grid(True, which="major", alpha=0.4)
        ax.legend(fontsize=7, ncol=2, loc="lower left")
    for j in range(len(problems), nrow * ncol):
        axes[j // ncol][j % ncol].axis("off")
    fig.suptitle("Work-precision: grd vs Boost.Odeint, GSL, scipy (rtol = atol = tol; boost-rk4 by step size)")
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(res, f"workprecision.{ext}"), dpi=110)


def main():
    if len(sys.argv) != 2:
        print("usage: summarize.py RESULTS_DIR", file=sys.stderr)
        sys.exit(2)
    res = sys.argv[1]
    out = ["# grd vs peers — generated by bench/peers/run.sh (do not edit)\n"]
    env = os.path.join(res, "env.txt")
    if os.path.exists(env):
        out.append("```")
        out.append(open(env).read().rstrip())
        out.append("```\n")
    il, grd_all, peers, problems = integrator_tables(res)
    if grd_all or peers:
        out += il
    out += stiff_tables(res)
    out += kernel_tables(res)
    with open(os.path.join(res, "summary.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    if grd_all or peers:
        plot(res, grd_all, peers, problems)


if __name__ == "__main__":
    main()
