# The prediction table of bench/RESULTS.md, "Issue 12": a 300-RHS GRD trajectory
# on P nodes (cost model + communication term). Usage: python3 bench/predict_mpi.py F_MEAS
import math
import sys

f_meas = float(sys.argv[1])          # measured comm+wait fraction of a GRD RHS call (2 ranks, loopback)
c_rhs = 2.28e-10                     # s per N·d per GRD RHS, OpenBLAS, 2 cores (RESULTS, quiet)
speed = 32.0                         # a 64-core node vs the 2 measured cores (ideal)
alpha = 2e-6                         # s per message (InfiniBand MPI latency)
beta = 100e9 / 8                     # bytes/s per direction (100 Gb/s)
nrhs = 300
def comm(P, N, d):
    if P == 1:
        return 0.0, 0.0
    # combine of a d-vector: reduce-scatter (Alltoallv) + all-gather for P >= 3, one all-gather for P = 2
    if P >= 3:
        comb_b = 2 * (P - 1) / P * 8 * d
        comb_t = 2 * (P - 1) * alpha + comb_b / beta
    else:
        comb_b = 8 * d
        comb_t = alpha + comb_b / beta
    gath_b = (P - 1) / P * 8 * N     # per-sample q_n all-gathered
    gath_t = (P - 1) * alpha + gath_b / beta
    agree_t = 3 * 3 * math.ceil(math.log2(P)) * alpha   # 3 passes, 3 small collectives each
    b = 2 * comb_b + gath_b          # bytes received per rank per RHS (∇f + a)
    t = 2 * comb_t + gath_t + agree_t
    return b, t
def fmt(s):
    if s < 120: return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"
    if s < 7200: return f"{s/60:.0f} min"
    return f"{s/3600:.1f} h"
print("| d | N | MiB received / RHS / rank (P = 8) | P = 1 | P = 8 | P = 64 | P = 512 | communication share at P = 8 / 64 / 512 |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for N in (60_000, 600_000):
    for d in (1_000_000, 1_700_000, 11_000_000, 27_200_000):
        row, shares = [], []
        for P in (1, 8, 64, 512):
            nc = -(-N // 256)                  # chunks of 256 samples; a rank computes whole chunks
            comp = c_rhs * min(N, -(-nc // P) * 256) * d / speed
            b, t = comm(P, N, d)
            tot = nrhs * (comp * (1 + (f_meas if P > 1 else 0)) + t)
            row.append(tot)
            if P == 8: b8 = b
            if P > 1: shares.append(nrhs * (t + comp * f_meas) / tot)
        print(f"| {d/1e6:g}M | {N//1000}K | {b8/2**20:.1f} | " + " | ".join(fmt(x) for x in row) + " | " + " / ".join(f"{100*x:.0f}%" for x in shares) + " |")
