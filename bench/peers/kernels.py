#!/usr/bin/env python3
"""Peer driver for grd's per-sample-gradient kernels: numpy and PyTorch.

The model is the two-layer tanh network of grd's DESIGN §3 with one output,

    yhat = W2 tanh(W1 x + b1) + b2,   f_n = 1/2 (yhat_n - y_n)^2,   f = mean_n f_n,

with weights w = [W1 (h x n, row-major), b1 (h), W2 (1 x h), b2 (1)], d = h(n+1) + h + 1.
For each size (N, n, h) it times, in float64 on the CPU:

    grad       the full-batch gradient of f
    persample  the N x d matrix G of per-sample gradients g_n
    dv         D v without forming D, in two passes: s = G v (forward-mode / JVP),
               then G^T (s - mean(s)) / N (a weighted gradient, reverse mode)
    dense      the d x d matrix D = (1/N) (G - 1 gbar^T)^T (G - 1 gbar^T)

numpy: hand-written batched formulas (g_n = r_n * d yhat_n / dw with r_n = yhat_n - y_n);
the dv kernel computes the forward pass once and reuses tanh(W1 x + b1) for the JVP and the
weighted backward sweep (what a numpy author would write). torch: torch.func (or functorch
on torch < 2.0) and torch.autograd, with torch.set_num_threads(2): torch.autograd.grad of the
mean loss (faster here than func.grad); vmap(grad) for the per-sample gradients, concatenated
into one N x d tensor; for dv a func.jvp of the vector of per-sample losses, then
autograd.grad of it with grad_outputs = c; the same G for dense.

CSV on stdout: tool,kernel,N,n,h,seconds (median). Timing, like grd's gokernels: one
warm-up call, then --reps repetitions of k calls each, k fixed from the warm-up so that a
repetition lasts >= --min-time (k <= 1000); seconds is the median per-call time. Imports
and interpreter start-up are outside the timing.

Before timing each size, numpy and torch results are cross-checked (when both run): the
mean per-sample gradient against grad, dv against the dense D (when dense runs) and numpy
against torch, to 1e-10 relative; a failure aborts with exit status 1.
"""

import argparse
import json
import sys
import time

import numpy as np


def median(xs):
    s = sorted(xs)
    k = len(s)
    return s[k // 2] if k % 2 else 0.5 * (s[k // 2 - 1] + s[k // 2])


def time_kernel(op, reps, min_time):
    s = time.perf_counter()
    op()
    once = time.perf_counter() - s
    k = 1
    if once < min_time:
        k = min(1000, int(min_time / max(once, 1e-6)) + 1)
    secs = []
    for _ in range(reps):
        s = time.perf_counter()
        for _ in range(k):
            op()
        secs.append((time.perf_counter() - s) / k)
    return median(secs)


def rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


# ----------------------------------------------------------------- numpy

class NumpyNet:
    """Hand-written batched formulas for the two-layer tanh network, o = 1."""

    def __init__(self, X, y, h):
        self.X, self.y = X, y
        self.N, self.n = X.shape
        self.h = h
        self.d = h * (self.n + 1) + h + 1

    def unpack(self, w):
        h, n = self.h, self.n
        W1 = w[: h * n].reshape(h, n)
        b1 = w[h * n: h * n + h]
        w2 = w[h * n + h: h * n + 2 * h]
        b2 = w[-1]
        return W1, b1, w2, b2

    def forward(self, w):
        W1, b1, w2, b2 = self.unpack(w)
        a = np.tanh(self.X @ W1.T + b1)          # N x h
        r = a @ w2 + b2 - self.y                 # N: residual = d f_n / d yhat_n
        return a, r

    def weighted(self, w, a, rho, out):
        """out = sum_n rho_n d yhat_n / dw (rho already includes the residual)."""
        h, n = self.h, self.n
        _, _, w2, _ = self.unpack(w)
        delta = (rho[:, None] * (1.0 - a * a)) * w2   # N x h
        out[: h * n] = (delta.T @ self.X).ravel()
        out[h * n: h * n + h] = delta.sum(axis=0)
        out[h * n + h: h * n + 2 * h] = a.T @ rho
        out[-1] = rho.sum()
        return out

    def grad(self, w, out):
        a, r = self.forward(w)
        return self.weighted(w, a, r / self.N, out)

    def persample(self, w, G):
        h, n, N = self.h, self.n, self.N
        _, _, w2, _ = self.unpack(w)
        a, r = self.forward(w)
        delta = (r[:, None] * (1.0 - a * a)) * w2      # N x h
        W1blk = G[:, : h * n].reshape(N, h, n)         # a view into G (checked below)
        np.multiply(delta[:, :, None], self.X[:, None, :], out=W1blk)
        G[:, h * n: h * n + h] = delta
        np.multiply(r[:, None], a, out=G[:, h * n + h: h * n + 2 * h])
        G[:, -1] = r
        return G

    def dv(self, w, v, out):
        h, n = self.h, self.n
        W1, b1, w2, b2 = self.unpack(w)
        V1, c1, v2, c2 = self.unpack(v)
        a, r = self.forward(w)
        # pass 1, JVP: s_n = g_n . v = r_n * (d yhat_n / dw . v)
        zdot = self.X @ V1.T + c1                     # N x h
        ydot = a @ v2 + c2 + ((1.0 - a * a) * zdot) @ w2
        s = r * ydot
        # pass 2: sum_n c_n g_n with c_n = (s_n - sbar)/N
        c = (s - s.mean()) / self.N
        return self.weighted(w, a, c * r, out)

    def dense(self, w, G):
        self.persample(w, G)
        G -= G.mean(axis=0)
        return (G.T @ G) / self.N


# ----------------------------------------------------------------- torch

class TorchNet:
    """torch.func / functorch implementation of the same network."""

    def __init__(self, torch, fn, X, y, h):
        self.torch, self.fn = torch, fn
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y)
        self.N, self.n = X.shape
        self.h = h
        self.d = h * (self.n + 1) + h + 1

    def params(self, w):
        h, n = self.h, self.n
        t = self.torch.from_numpy(w)
        return (t[: h * n].reshape(h, n), t[h * n: h * n + h], t[h * n + h: h * n + 2 * h].reshape(1, h), t[-1:])

    @staticmethod
    def sample_loss(p, x, y):
        W1, b1, W2, b2 = p
        yhat = W2 @ (W1 @ x + b1).tanh() + b2
        return 0.5 * ((yhat - y) ** 2).sum()

    def losses(self, p):
        W1, b1, W2, b2 = p
        yhat = (self.X @ W1.T + b1).tanh() @ W2.T + b2   # N x 1
        return 0.5 * (yhat[:, 0] - self.y) ** 2

    def mean_loss(self, p):
        return self.losses(p).mean()

    def flat(self, parts, out=None):
        return self.torch.cat([t.reshape(-1) for t in parts], out=out)

    def leaves(self, p):
        """Copies of p that require grad, for torch.autograd."""
        return tuple(t.detach().clone().requires_grad_(True) for t in p)

    def grad(self, pg, out):
        """Reverse mode with torch.autograd on leaves pg (faster here than func.grad)."""
        g = self.torch.autograd.grad(self.mean_loss(pg), pg)
        with self.torch.no_grad():
            return self.flat(g, out=out)

    def persample(self, p, G):
        gs = self.fn.vmap(self.fn.grad(self.sample_loss), in_dims=(None, 0, 0))(p, self.X, self.y)
        return self.torch.cat([t.reshape(self.N, -1) for t in gs], dim=1, out=G)

    def dv(self, p, pg, vp, out):
        _, s = self.fn.jvp(self.losses, (p,), (vp,))          # pass 1: s = G v (forward mode)
        c = (s - s.mean()) / self.N
        g = self.torch.autograd.grad(self.losses(pg), pg, grad_outputs=c)   # pass 2: G^T c
        with self.torch.no_grad():
            return self.flat(g, out=out)

    def dense(self, p, G):
        self.persample(p, G)
        G -= G.mean(dim=0)
        return (G.T @ G) / self.N


def load_torch():
    try:
        import torch
    except ImportError as e:
        return None, None, f"torch not importable: {e}"
    try:
        import torch.func as fn  # torch >= 2.0
        if not hasattr(fn, "vmap"):
            raise ImportError
    except ImportError:
        try:
            import functorch as fn  # torch 1.13
        except ImportError as e:
            return None, None, f"neither torch.func nor functorch: {e}"
    return torch, fn, None


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return threadpool_info()
    except Exception as e:  # threadpoolctl is optional
        return [{"error": str(e)}]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tools", default="numpy,torch", help="comma-separated: numpy, torch")
    ap.add_argument("--sizes", default="1000x16x32,10000x64x64,60000x64x128", help="comma-separated NxnXh")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.02, help="least seconds per repetition")
    ap.add_argument("--dense-max-d", type=int, default=5000, help="skip dense D when d exceeds this")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--header", type=int, default=1)
    ap.add_argument("--info", default="", help="write BLAS / thread info as JSON to this file")
    a = ap.parse_args(argv)
    tools = [t for t in a.tools.split(",") if t]
    for t in tools:
        if t not in ("numpy", "torch"):
            ap.error(f"unknown tool {t!r} (valid: numpy, torch)")
    sizes = []
    for s in a.sizes.split(","):
        try:
            N, n, h = (int(x) for x in s.split("x"))
        except ValueError:
            ap.error(f"size {s!r}: want NxnXh, e.g. 1000x16x32")
        sizes.append((N, n, h))

    torch = fn = None
    if "torch" in tools:
        torch, fn, why = load_torch()
        if torch is None:
            print(f"kernels: torch skipped: {why}", file=sys.stderr)
            tools.remove("torch")
        else:
            torch.set_num_threads(a.threads)
            torch.set_default_dtype(torch.float64)
    if a.info:
        info = {"numpy": np.__version__, "blas": blas_info()}
        if torch is not None:
            info["torch"] = torch.__version__
            info["torch_threads"] = torch.get_num_threads()
            info["torch_config"] = torch.__config__.show()
        with open(a.info, "w") as f:
            json.dump(info, f, indent=1)

    if a.header:
        print("tool,kernel,N,n,h,seconds", flush=True)
    for N, n, h in sizes:
        rng = np.random.default_rng([a.seed, N])
        X = rng.standard_normal((N, n))
        y = rng.standard_normal(N)
        npnet = NumpyNet(X, y, h)
        d = npnet.d
        w = rng.standard_normal(d) / np.sqrt(n)
        v = rng.standard_normal(d)
        do_dense = d <= a.dense_max_d
        if not do_dense:
            print(f"kernels: N={N} d={d}: dense D skipped (d > --dense-max-d {a.dense_max_d})", file=sys.stderr)

        def emit(tool, kernel, secs):
            print(f"{tool},{kernel},{N},{n},{h},{secs!r}", flush=True)

        # Cross-checks (untimed), then the timed kernels per tool.
        ref = {}
        if "numpy" in tools:
            G = np.empty((N, d))
            assert np.shares_memory(G[:, : h * n].reshape(N, h, n), G), "W1 block is not a view"
            g = npnet.grad(w, np.empty(d))
            npnet.persample(w, G)
            dvv = npnet.dv(w, v, np.empty(d))
            check(f"numpy N={N}: mean per-sample vs grad", rel(G.mean(axis=0), g))
            ref = {"grad": g, "dv": dvv, "row0": G[0].copy()}
            if do_dense:
                D = npnet.dense(w, G)
                check(f"numpy N={N}: dense D v vs dv", rel(D @ v, dvv))
            out = np.empty(d)
            emit("numpy", "grad", time_kernel(lambda: npnet.grad(w, out), a.reps, a.min_time))
            emit("numpy", "persample", time_kernel(lambda: npnet.persample(w, G), a.reps, a.min_time))
            emit("numpy", "dv", time_kernel(lambda: npnet.dv(w, v, out), a.reps, a.min_time))
            if do_dense:
                emit("numpy", "dense", time_kernel(lambda: npnet.dense(w, G), a.reps, a.min_time))
            del G
        if "torch" in tools:
            tnet = TorchNet(torch, fn, X, y, h)
            p, vp = tnet.params(w), tnet.params(v)
            pg = tnet.leaves(p)
            G = torch.empty((N, d))
            out = torch.empty(d)
            g = tnet.grad(pg, torch.empty(d)).numpy()
            dvv = tnet.dv(p, pg, vp, torch.empty(d)).numpy()
            with torch.no_grad():
                tnet.persample(p, G)
                check(f"torch N={N}: mean per-sample vs grad", rel(G.mean(dim=0).numpy(), g))
                if ref:
                    check(f"torch N={N}: grad vs numpy", rel(g, ref["grad"]))
                    check(f"torch N={N}: dv vs numpy", rel(dvv, ref["dv"]))
                    check(f"torch N={N}: g_0 vs numpy", rel(G[0].numpy(), ref["row0"]))
                if do_dense:
                    D = tnet.dense(p, G)
                    check(f"torch N={N}: dense D v vs dv", rel((D @ torch.from_numpy(v)).numpy(), dvv))
                    del D
            emit("torch", "grad", time_kernel(lambda: tnet.grad(pg, out), a.reps, a.min_time))
            with torch.no_grad():
                emit("torch", "persample", time_kernel(lambda: tnet.persample(p, G), a.reps, a.min_time))
            emit("torch", "dv", time_kernel(lambda: tnet.dv(p, pg, vp, out), a.reps, a.min_time))
            if do_dense:
                with torch.no_grad():
                    emit("torch", "dense", time_kernel(lambda: tnet.dense(p, G), a.reps, a.min_time))
            del G


def check(what, err, tol=1e-10):
    if not err <= tol:
        print(f"kernels: check failed: {what}: relative difference {err:.3g} > {tol:g}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
