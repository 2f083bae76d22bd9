#!/usr/bin/env bash
# scripts/test-peers.sh — a smoke test of the stiff peers that `make
# bench-peers` times (bench/peers/run.sh): SUNDIALS CVODE (cvode_stiff.c),
# Boost.Odeint's rosenbrock4 and GSL (odeint_gsl.cpp) and scipy solve_ivp
# (scipy_ivp.py) are installed from Debian packages, built, and run on
# Robertson and HIRES at rtol = atol = 1e-6; every method must report its
# row with an error against grd's references of at most 1e-4 (measured:
# 1e-8 … 5e-5) and a positive evaluation count. Also checks that the peers'
# copies of grd's reference solutions are current. Part of make test: a
# peer that no longer builds or answers wrongly fails CI, not the next
# benchmark run. No timing is asserted.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PEERS=bench/peers
PY=/usr/bin/python3 # Debian's interpreter, which sees the Debian packages
bash scripts/debdeps.sh g++ libboost-dev libgsl-dev libsundials-dev python3-numpy python3-scipy
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/grd-peers-test.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT

g++ -O2 -std=c++17 -o "$BUILD/odeint_gsl" "$PEERS/odeint_gsl.cpp" -lgsl -lgslcblas -lm
$PY "$PEERS/cvode_refs.py" bench/stiff.go >"$BUILD/cvode_refs.h"
cc -O2 -I"$BUILD" -o "$BUILD/cvode_stiff" "$PEERS/cvode_stiff.c" -lsundials_cvode -lsundials_nvecserial \
	-lsundials_sunlinsoldense -lsundials_sunlinsolspgmr -lsundials_sunmatrixdense -lm
$PY "$PEERS/scipy_ivp.py" --check-refs bench/integrators.go "$PEERS/odeint_gsl.cpp"

args=(--problems robertson,hires --tols 1e-6 --reps 1)
{
	"$BUILD/cvode_stiff" "${args[@]}"
	"$BUILD/odeint_gsl" --stiff 1 "${args[@]}" | tail -n +2
	$PY "$PEERS/scipy_ivp.py" --stiff bench/stiff.go "${args[@]}" | tail -n +2
} >"$BUILD/rows.csv"
cat "$BUILD/rows.csv"
# problem,method,tol,error,nfev,…: 2 problems × (2 CVODE + 1 Boost + 3 scipy) rows.
awk -F, 'NR > 1 {
	n++
	num = $4 ~ /^[0-9.]+([eE][-+]?[0-9]+)?$/ # no NaN, Inf or sign
	if (!num || !($4 + 0 <= 1e-4) || !($5 + 0 > 0)) { bad++; print "test-peers: " $1 " " $2 ": error " $4 ", nfev " $5 " (want error ≤ 1e-4, nfev > 0)" > "/dev/stderr" }
} END {
	if (n != 12) { print "test-peers: " n " result rows, want 12" > "/dev/stderr"; exit 1 }
	if (bad) exit 1
	print "test-peers: 12 peer solves within 1e-4 of grd'\''s references"
}' "$BUILD/rows.csv"
