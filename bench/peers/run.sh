#!/usr/bin/env bash
# bench/peers/run.sh — grd against its peers (issue 5, items 1–2).
#
#   integrators: grd (bs3, dopri5, tsit5, dop853) vs Boost.Odeint, GSL odeiv2
#                (odeint_gsl.cpp) and scipy solve_ivp (scipy_ivp.py)
#   kernels:     grd (gokernels) vs numpy and PyTorch (kernels.py)
#   stiff:       grd --stiff (dopri5, rodas4, rock4, auto) vs SUNDIALS CVODE BDF with
#                dense LU and with SPGMR (cvode_stiff.c) and scipy Radau, BDF,
#                LSODA (scipy_ivp.py --stiff) and Boost's rosenbrock4 with analytic
#                Jacobians (odeint_gsl --stiff 1: Robertson, VdP μ = 1000, HIRES)
#                (issue 13)
#
# Every tool times itself inside its own process (start-up excluded) and
# reports the median of REPS repetitions. Runs alternate, grd before every
# peer (per problem: grd, odeint+gsl, grd, scipy; per size: grd, numpy, grd,
# torch), so that the load drift of a shared machine hits both sides of each
# grd/peer ratio alike; a ratio uses the grd run next to its peer.
#
# Outputs in bench/results/: integrators_{grd_1,odeint_gsl,grd_2,scipy}.csv
# (problem,method,tol,error,nfev,steps,rejected,seconds),
# kernels_{grd_1,numpy,grd_2,torch}.csv (tool,kernel,N,n,h,seconds),
# env.txt, numpy_info.json, torch_info.json, then summary.md and
# workprecision.{png,svg} from summarize.py.
#
# Installs what it needs from Debian packages (as root, or through sudo).
# python3-torch is optional: without it torch is skipped and said so.
# Not part of CI. Environment knobs (defaults in brackets):
#   REPS [5]  TOLS [1e-3,…,1e-12]  SIZES [1000x16x32,10000x64x64,60000x64x128]
#   DENSE_MAX_D [5000]  PROBLEMS [lorenz,arenstorf,vanderpol,grdtoy]
#   SKIP_INSTALL [0]  SKIP_KERNELS [0]  SKIP_INTEGRATORS [0]  SKIP_STIFF [0]
#   STIFF_TOLS [1e-3,…,1e-8]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PEERS=bench/peers
OUT=bench/results
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/grd-peers.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
REPS=${REPS:-5}
TOLS=${TOLS:-1e-3,1e-4,1e-5,1e-6,1e-7,1e-8,1e-9,1e-10,1e-11,1e-12}
SIZES=${SIZES:-1000x16x32,10000x64x64,60000x64x128}
DENSE_MAX_D=${DENSE_MAX_D:-5000}
PROBLEMS=${PROBLEMS:-lorenz,arenstorf,vanderpol,grdtoy}
GO=${GO:-go}
PY=/usr/bin/python3 # Debian's interpreter, which sees the Debian packages
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- install
PKGS="g++ libboost-dev libgsl-dev libsundials-dev libopenblas-dev python3-numpy python3-scipy python3-matplotlib python3-threadpoolctl"
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	missing=""
	for p in $PKGS python3-torch; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing:$missing"
		$SUDO apt-get update -qq
		want=""
		for p in $missing; do
			if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
				want="$want $p"
			elif [ "$p" = python3-torch ]; then
				log "python3-torch is not available from this machine's Debian sources: torch will be skipped"
			else
				log "required package $p is not available"; exit 1
			fi
		done
		# shellcheck disable=SC2086
		[ -n "$want" ] && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $want >&2
	fi
fi

# ---------------------------------------------------------------- build
mkdir -p "$OUT"
log "building"
g++ -O2 -std=c++17 -o "$BUILD/odeint_gsl" "$PEERS/odeint_gsl.cpp" -lgsl -lgslcblas -lm
# cvode_stiff.c includes grd's GRD-system reference, generated from bench/stiff.go.
$PY "$PEERS/cvode_refs.py" bench/stiff.go >"$BUILD/cvode_refs.h"
cc -O2 -I"$BUILD" -o "$BUILD/cvode_stiff" "$PEERS/cvode_stiff.c" -lsundials_cvode -lsundials_nvecserial \
	-lsundials_sunlinsoldense -lsundials_sunlinsolspgmr -lsundials_sunmatrixdense -lm
GRDINT=()
if "$GO" build -o "$BUILD/grd" ./cmd/grd 2>/dev/null && "$BUILD/grd" bench integrators --help >/dev/null 2>&1; then
	GRDINT=("$BUILD/grd" bench integrators --format csv)
else
	log "grd bench integrators not available: using $PEERS/gointeg (same library call)"
	"$GO" build -o "$BUILD/gointeg" ./$PEERS/gointeg
	GRDINT=("$BUILD/gointeg")
fi
"$GO" build -o "$BUILD/gokernels" ./$PEERS/gokernels

# ---------------------------------------------------------------- environment
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "go: $("$GO" version | cut -d' ' -f3)"
	echo "g++: $(g++ -dumpfullversion)"
	echo "boost: $(dpkg-query -W -f '${Version}' libboost-dev 2>/dev/null)"
	echo "gsl: $(dpkg-query -W -f '${Version}' libgsl-dev 2>/dev/null)"
	echo "sundials: $(dpkg-query -W -f '${Version}' libsundials-dev 2>/dev/null)"
	echo "python: $($PY -c 'import sys; print(sys.version.split()[0])')"
	echo "numpy: $($PY -c 'import numpy; print(numpy.__version__)')"
	echo "scipy: $($PY -c 'import scipy; print(scipy.__version__)')"
	echo "torch: $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'not installed')"
	echo "grd integrators via: ${GRDINT[*]##*/}"
	echo "OPENBLAS_CORETYPE in this environment: ${OPENBLAS_CORETYPE:-unset}; OPENBLAS_L2_SIZE: ${OPENBLAS_L2_SIZE:-unset} (unset for the numpy run)"
} >"$OUT/env.txt"

# ---------------------------------------------------------------- integrators
if [ "${SKIP_INTEGRATORS:-0}" != 1 ]; then
	# The peers carry copies of grd's reference solutions: stop if they are stale.
	$PY "$PEERS/scipy_ivp.py" --check-refs bench/integrators.go "$PEERS/odeint_gsl.cpp"
	for f in grd_1 odeint_gsl grd_2 scipy; do
		echo "problem,method,tol,error,nfev,steps,rejected,seconds" >"$OUT/integrators_$f.csv"
	done
	for p in ${PROBLEMS//,/ }; do
		log "integrators: $p"
		"${GRDINT[@]}" --problems "$p" --tols "$TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/integrators_grd_1.csv"
		"$BUILD/odeint_gsl" --problems "$p" --tols "$TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/integrators_odeint_gsl.csv"
		"${GRDINT[@]}" --problems "$p" --tols "$TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/integrators_grd_2.csv"
		$PY "$PEERS/scipy_ivp.py" --problems "$p" --tols "$TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/integrators_scipy.csv"
	done
fi

# ---------------------------------------------------------------- stiff
# grd's stiff suite beside CVODE and scipy, alternating per problem as above.
if [ "${SKIP_STIFF:-0}" != 1 ]; then
	STIFF_TOLS=${STIFF_TOLS:-1e-3,1e-4,1e-5,1e-6,1e-7,1e-8}
	H="problem,method,tol,error,nfev,steps,rejected,seconds,njac,njv,linsolves"
	for f in grd_1 cvode boost grd_2 scipy; do echo "$H" >"$OUT/stiff_$f.csv"; done
	for p in robertson vdp1000 hires quad1e6 grdquad1e6; do
		log "stiff: $p"
		"$BUILD/grd" bench integrators --stiff --format csv --problems "$p" --tols "$STIFF_TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/stiff_grd_1.csv"
		"$BUILD/cvode_stiff" --problems "$p" --tols "$STIFF_TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/stiff_cvode.csv"
		case $p in robertson | vdp1000 | hires) # Boost's rosenbrock4, analytic Jacobians
			"$BUILD/odeint_gsl" --stiff 1 --problems "$p" --tols "$STIFF_TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/stiff_boost.csv" ;;
		esac
		"$BUILD/grd" bench integrators --stiff --format csv --problems "$p" --tols "$STIFF_TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/stiff_grd_2.csv"
		$PY "$PEERS/scipy_ivp.py" --stiff bench/stiff.go --problems "$p" --tols "$STIFF_TOLS" --reps "$REPS" | tail -n +2 >>"$OUT/stiff_scipy.csv"
	done
fi

# ---------------------------------------------------------------- kernels
if [ "${SKIP_KERNELS:-0}" != 1 ]; then
	for f in grd_1 numpy grd_2 torch; do
		echo "tool,kernel,N,n,h,seconds" >"$OUT/kernels_$f.csv"
	done
	havetorch=1
	$PY -c 'import torch' 2>/dev/null || { havetorch=0; log "torch not importable: skipped"; }
	log "kernels: cross-check numpy against torch (and each against its own dense D) at a small size"
	$PY "$PEERS/kernels.py" --sizes 300x8x16 --reps 1 --min-time 0 --header 0 >/dev/null
	for s in ${SIZES//,/ }; do
		log "kernels: $s grd"
		"$BUILD/gokernels" --sizes "$s" --reps "$REPS" --workers 2 --dense-max-d "$DENSE_MAX_D" --header=false >>"$OUT/kernels_grd_1.csv"
		log "kernels: $s numpy"
		# A current OpenBLAS is slowed by these two (set on some machines for
		# older builds): unset them for this command alone.
		env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $PY "$PEERS/kernels.py" --tools numpy --sizes "$s" --reps "$REPS" \
			--dense-max-d "$DENSE_MAX_D" --header 0 --info "$OUT/numpy_info.json" >>"$OUT/kernels_numpy.csv"
		if [ $havetorch = 1 ]; then
			log "kernels: $s grd"
			"$BUILD/gokernels" --sizes "$s" --reps "$REPS" --workers 2 --dense-max-d "$DENSE_MAX_D" --header=false >>"$OUT/kernels_grd_2.csv"
			log "kernels: $s torch"
			$PY "$PEERS/kernels.py" --tools torch --threads 2 --sizes "$s" --reps "$REPS" \
				--dense-max-d "$DENSE_MAX_D" --header 0 --info "$OUT/torch_info.json" >>"$OUT/kernels_torch.csv"
		fi
	done
fi

# ---------------------------------------------------------------- summary
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
log "summary"
$PY "$PEERS/summarize.py" "$OUT"
log "done: $OUT/summary.md, $OUT/workprecision.png, $OUT/workprecision.svg"
