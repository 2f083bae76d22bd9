#!/usr/bin/env python3
"""Peer driver for `grd bench integrators`: scipy.integrate.solve_ivp.

Runs RK45 and DOP853 on grd's four work-precision problems at rtol = atol =
tol and prints CSV with grd's columns:

    problem,method,tol,error,nfev,steps,rejected,seconds

Methods are named scipy-rk45 and scipy-dop853. seconds times the user-facing
call solve_ivp(fun, (t0, t1), y0, method=..., rtol=tol, atol=tol) inside this
process (interpreter start-up and imports excluded), like grd's
bench.RunIntegrators: one untimed solve gives the result and the batch size
(enough solves for >= 2 ms, at most 1000), then --reps timed batches; the
median per-solve time is reported.

nfev is counted in the right-hand side (and equals sol.nfev). steps is the
number of accepted steps (len(sol.t) - 1: without t_eval solve_ivp records
every step). solve_ivp does not report rejections; they are recovered from
nfev = 2 + s·(accepted + rejected), where s = 6 for RK45 and 12 for DOP853 are
the new evaluations per attempted step (FSAL) and the 2 are f(t0, y0) and the
trial evaluation of the automatic initial step; -1 if that does not hold.

error is the max-norm distance of the state at t_end from grd's reference
solution. The reference values are COPIED from grd's bench/integrators.go
(refLorenz, refVanDerPol, refGrdtoy: DOP853 at rtol = atol = 1e-14, checked
against Tsit5 by grd's TestIntegratorReferences); Arenstorf's reference is y0
after one period. Keep them in sync with odeint_gsl.cpp: `scipy_ivp.py --check-refs
bench/integrators.go bench/peers/odeint_gsl.cpp` (run by run.sh) compares all three.

--stiff STIFF_GO runs the stiff suite instead: Radau, BDF and LSODA (named
scipy-radau, scipy-bdf, scipy-lsoda) on grd's stiff problems (robertson,
vdp1000, hires, quad1e6, grdquad1e6; bench/stiff.go), with the references
READ from STIFF_GO (quad1e6: the closed form), and the columns
njac,njv,linsolves appended: njac = sol.njev (finite-difference Jacobians,
whose F calls are counted in nfev), njv = 0, linsolves = sol.nlu (scipy
reports LU decompositions, not solves). rejected is -1 (not reported).
"""

import argparse
import math
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp

ARENSTORF_MU = 0.012277471
ARENSTORF_PERIOD = 17.0652165601579625588917206249
TOY_DIM = 10
TOY_C = 0.01
TOY_A = np.arange(1, TOY_DIM + 1) / 10.0

REF_LORENZ = [13.793199595061647, 12.951803936090039, 34.901608681072638]
REF_VANDERPOL = [2.0081497621749462, -0.042508875273199909]
REF_GRDTOY = [
    0.35231306943674107, 0.11508447980233522, 0.028709339588477774,
    -0.0022837058021528984, -0.012994190256944465, -0.016318117473361898,
    -0.01698726835678922, -0.016732746863744073, -0.016183761543842993,
    -0.015565629771461404, -0.037822996309143854, -0.027827000514414352,
    -0.015354202197203941, -0.0075303652271369826, -0.0034620933403362217,
    -0.0015277689603249928, -0.00065521611831295624, -0.00027505148100238539,
    -0.00011345844687813111, -4.6036466853234908e-05,
]


class Counter:
    """Wraps a right-hand side f(t, y) and counts its calls."""

    def __init__(self, f):
        self.f = f
        self.n = 0

    def __call__(self, t, y):
        self.n += 1
        return self.f(t, y)


def lorenz(_t, y):
    x, yy, z = y
    return [10.0 * (yy - x), x * (28.0 - z) - yy, x * yy - 8.0 / 3.0 * z]


def arenstorf(_t, y):
    mu, mup = ARENSTORF_MU, 1.0 - ARENSTORF_MU
    y0, y1, y2, y3 = y
    r1 = math.hypot(y0 + mu, y1)
    r2 = math.hypot(y0 - mup, y1)
    d1, d2 = r1 ** 3, r2 ** 3
    return [
        y2,
        y3,
        y0 + 2.0 * y3 - mup * (y0 + mu) / d1 - mu * (y0 - mup) / d2,
        y1 - 2.0 * y2 - mup * y1 / d1 - mu * y1 / d2,
    ]


def vanderpol(_t, y):
    mu = 1.0
    return [y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]]


def grdtoy(_t, y):
    w, u = y[:TOY_DIM], y[TOY_DIM:]
    uu = u @ u
    return np.concatenate((u, -TOY_A * u - TOY_C * uu * TOY_A * w))


def problems():
    aren = [0.994, 0.0, 0.0, -2.00158510637908252240537862224]
    toy0 = np.concatenate((np.ones(TOY_DIM), -TOY_A))
    return [
        ("lorenz", lorenz, [1.0, 1.0, 1.0], 0.0, 20.0, REF_LORENZ),
        ("arenstorf", arenstorf, aren, 0.0, ARENSTORF_PERIOD, aren),
        ("vanderpol", vanderpol, [2.0, 0.0], 0.0, 20.0, REF_VANDERPOL),
        ("grdtoy", grdtoy, toy0, 0.0, 10.0, REF_GRDTOY),
    ]


METHODS = {"scipy-rk45": ("RK45", 6), "scipy-dop853": ("DOP853", 12)}


def median(xs):
    s = sorted(xs)
    k = len(s)
    return s[k // 2] if k % 2 else 0.5 * (s[k // 2 - 1] + s[k // 2])


def run(prob, mname, tol, reps):
    name, f, y0, t0, t1, ref = prob
    method, per_attempt = METHODS[mname]
    y0 = np.asarray(y0, dtype=float)
    ref = np.asarray(ref, dtype=float)

    def solve():
        fc = Counter(f)
        sol = solve_ivp(fc, (t0, t1), y0, method=method, rtol=tol, atol=tol)
        return sol, fc.n

    start = time.perf_counter()
    sol, nfev = solve()
    once = time.perf_counter() - start
    if sol.status != 0:
        print(f"scipy_ivp: {name} with {mname} at tol {tol:g} failed: {sol.message}", file=sys.stderr)
        return None
    batch = 1
    if once < 2e-3:
        batch = min(1000, int(2e-3 / max(once, 1e-6)) + 1)
    secs = []
    for _ in range(reps):
        s = time.perf_counter()
        for _ in range(batch):
            solve()
        secs.append((time.perf_counter() - s) / batch)
    steps = len(sol.t) - 1
    attempts, rem = divmod(nfev - 2, per_attempt)
    rejected = attempts - steps if rem == 0 and attempts >= steps else -1
    err = float(np.max(np.abs(sol.y[:, -1] - ref)))
    return f"{name},{mname},{tol!r},{err!r},{nfev},{steps},{rejected},{median(secs)!r}"


QDIM = 100
QLAM = 1e6 ** (np.arange(QDIM) / (QDIM - 1))


def robertson(_t, y):
    a = -0.04 * y[0] + 1e4 * y[1] * y[2]
    c = 3e7 * y[1] * y[1]
    return [a, -a - c, c]


def vdp1000(_t, y):
    return [y[1], 1000.0 * (1.0 - y[0] * y[0]) * y[1] - y[0]]


def hires(_t, y):
    d6 = 280.0 * y[5] * y[7] - 1.81 * y[6]
    return [
        -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007,
        1.71 * y[0] - 8.75 * y[1],
        -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4],
        8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3],
        -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6],
        -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6],
        d6,
        -d6,
    ]


def quad(_t, y):
    return -QLAM * y


def grdquad(_t, y):
    w, u = y[:QDIM], y[QDIM:]
    uu = u @ u
    return np.concatenate((u, -QLAM * u - 0.01 * uu * QLAM * w))


def go_refs(stiff_go):
    """The reference end states of bench/stiff.go (refRobertson, …)."""
    import re
    text = open(stiff_go).read()
    out = {}
    for name in ("refRobertson", "refVdP1000", "refHIRES", "refGRDQuad"):
        m = re.search(re.escape(name) + r"\s*=\s*\[\]float64\{([^}]*)\}", text)
        if not m:
            sys.exit(f"scipy_ivp: {name} not found in {stiff_go}")
        out[name] = [float(x) for x in re.findall(r"[-+]?\d[\d.]*(?:e[-+]?\d+)?", m.group(1))]
    return out


def stiff_problems(stiff_go):
    r = go_refs(stiff_go)
    return [
        ("robertson", robertson, [1.0, 0.0, 0.0], 0.0, 40.0, r["refRobertson"]),
        ("vdp1000", vdp1000, [2.0, 0.0], 0.0, 3000.0, r["refVdP1000"]),
        ("hires", hires, [1.0, 0, 0, 0, 0, 0, 0, 0.0057], 0.0, 321.8122, r["refHIRES"]),
        ("quad1e6", quad, np.ones(QDIM), 0.0, 1.0, np.exp(-QLAM)),
        ("grdquad1e6", grdquad, np.concatenate((np.ones(QDIM), -np.ones(QDIM))), 0.0, 1.0, r["refGRDQuad"]),
    ]


STIFF_METHODS = {"scipy-radau": "Radau", "scipy-bdf": "BDF", "scipy-lsoda": "LSODA"}


def run_stiff(prob, mname, tol, reps):
    name, f, y0, t0, t1, ref = prob
    y0 = np.asarray(y0, dtype=float)
    ref = np.asarray(ref, dtype=float)

    def solve():
        fc = Counter(f)
        sol = solve_ivp(fc, (t0, t1), y0, method=STIFF_METHODS[mname], rtol=tol, atol=tol)
        return sol, fc.n

    start = time.perf_counter()
    sol, nfev = solve()
    once = time.perf_counter() - start
    if sol.status != 0:
        return f"{name},{mname},{tol!r},inf,{nfev},{len(sol.t) - 1},-1,{once!r},{sol.njev},0,{sol.nlu}"
    batch = 1
    if once < 2e-3:
        batch = min(1000, int(2e-3 / max(once, 1e-6)) + 1)
    secs = []
    for _ in range(reps):
        s = time.perf_counter()
        for _ in range(batch):
            solve()
        secs.append((time.perf_counter() - s) / batch)
    err = float(np.max(np.abs(sol.y[:, -1] - ref)))
    return f"{name},{mname},{tol!r},{err!r},{nfev},{len(sol.t) - 1},-1,{median(secs)!r},{sol.njev},0,{sol.nlu}"


def check_refs(go_path, cpp_path):
    """Compare the copied references with grd's bench/integrators.go and odeint_gsl.cpp.

    Returns a list of mismatch messages (empty when all agree bit for bit)."""
    import re

    def grab(text, name, opener):
        m = re.search(re.escape(name) + r"\s*=\s*" + opener + r"([^}]*)\}", text)
        if not m:
            return None
        return [float(x) for x in re.findall(r"[-+]?\d[\d.]*(?:e[-+]?\d+)?", m.group(1))]

    go = open(go_path).read()
    cpp = open(cpp_path).read()
    bad = []
    for goname, cppname, mine in (("refLorenz", "refLorenz", REF_LORENZ),
                                  ("refVanDerPol", "refVdP", REF_VANDERPOL),
                                  ("refGrdtoy", "refToy", REF_GRDTOY)):
        g = grab(go, goname, r"\[\.\.\.\]float64\{")
        c = grab(cpp, cppname, r"\{")
        if g != mine:
            bad.append(f"{goname}: bench/integrators.go has {g}, scipy_ivp.py has {mine}")
        if c != mine:
            bad.append(f"{cppname}: odeint_gsl.cpp has {c}, scipy_ivp.py has {mine}")
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions (median reported)")
    ap.add_argument("--problems", default="", help="comma-separated problems (default all)")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    ap.add_argument("--tols", default=",".join(f"1e-{k}" for k in range(3, 13)), help="comma-separated tolerances")
    ap.add_argument("--stiff", metavar="STIFF_GO", help="run the stiff suite (Radau, BDF, LSODA), references from bench/stiff.go")
    ap.add_argument("--check-refs", nargs=2, metavar=("INTEGRATORS_GO", "ODEINT_GSL_CPP"),
                    help="only check that the copied reference solutions match these files (exit 1 if not)")
    a = ap.parse_args(argv)
    if a.check_refs:
        bad = check_refs(*a.check_refs)
        for b in bad:
            print(f"scipy_ivp: reference mismatch: {b}", file=sys.stderr)
        sys.exit(1 if bad else 0)
    if a.reps < 1:
        ap.error("--reps must be at least 1")
    want = [p for p in a.problems.split(",") if p]
    if a.stiff:
        tols = [float(t) for t in a.tols.split(",") if t]
        print("problem,method,tol,error,nfev,steps,rejected,seconds,njac,njv,linsolves", flush=True)
        for prob in stiff_problems(a.stiff):
            if want and prob[0] not in want:
                continue
            for m in STIFF_METHODS:
                for tol in tols:
                    print(run_stiff(prob, m, tol, a.reps), flush=True)
        return
    methods = [m for m in a.methods.split(",") if m]
    for m in methods:
        if m not in METHODS:
            ap.error(f"unknown method {m!r} (valid: {', '.join(METHODS)})")
    tols = [float(t) for t in a.tols.split(",") if t]
    print("problem,method,tol,error,nfev,steps,rejected,seconds", flush=True)
    for prob in problems():
        if want and prob[0] not in want:
            continue
        for m in methods:
            for tol in tols:
                line = run(prob, m, tol, a.reps)
                if line:
                    print(line, flush=True)


if __name__ == "__main__":
    main()
