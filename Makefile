# grd — see README.md. Every target builds what it needs from scratch.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
SCENARIO    ?=
OUT         ?=

.PHONY: all build build-mpi test-mpi build-openblas run data test test-race test-openblas test-peers test-slurm bench bench-kernels bench-memory bench-peers lint fmt clean fuzz

all: build

# -buildvcs=auto: stamp the git commit into the binary (grd --version,
# summary.json's provenance) even where GOFLAGS says -buildvcs=false.
build:
	$(GO) build -buildvcs=auto -o bin/grd ./cmd/grd

# grd-mpi: the MPI build (cgo against Debian's Open MPI; DESIGN §7).
build-mpi:
	bash scripts/debdeps.sh libopenmpi-dev openmpi-bin
	$(GO) build -tags mpi -o bin/grd-mpi ./cmd/grd

# mpirun -np 1, 2, 3 on loopback against the single-process outputs.
test-mpi: build-mpi
	GRD_MPI_BIN=$(CURDIR)/bin/grd-mpi $(GO) test -tags mpi -count=1 -run 'TestMPI' ./cmd/grd

# OpenBLAS backend for the models' BLAS (cgo; Debian: libopenblas-dev). Not needed by make test.
build-openblas:
	$(GO) build -tags openblas -o bin/grd ./cmd/grd

# The main job: run the default built-in scenario, outputs in out/<name>/.
run: build
	./bin/grd run $(SCENARIO) $(if $(OUT),--out $(OUT))

# Real data: Debian's Fashion-MNIST (30 MB, /usr/share/datasets/fashion-mnist),
# used by the built-ins two-layer-fashion and paper-resnet-size. grd never
# downloads; elsewhere put the four files in $GRD_DATA_DIR/fashion-mnist/.
data:
	bash scripts/debdeps.sh dataset-fashion-mnist

# What CI runs (.ci/run). Keep it well under 10 minutes on 2 cores. The race
# detector runs on every library package (where the concurrency is: the pass
# scheduler, the flows, the ensembles, the run's worker budget); cmd/grd's
# end-to-end runs are the slowest under it and test no concurrency of their
# own, so they run once, without it (make test-race runs everything).
# Installs what it needs (Debian packages, through scripts/debdeps.sh):
# chromium for the report's browser test (scenarios/report TestReportInBrowser);
# the stiff peers' toolchains for test-peers.
test: data test-openblas test-mpi test-peers
	bash scripts/debdeps.sh chromium
	$(GO) vet ./...
	bash scripts/depgraph.sh --check
	$(GO) test -count=1 ./...
	$(GO) test -race -short -count=1 $$($(GO) list ./... | grep -v '/cmd/grd$$')

test-race:
	$(GO) test -race -count=1 ./...

# The stiff peers of make bench-peers (SUNDIALS CVODE, Boost's rosenbrock4,
# scipy) built from Debian's packages and run once on Robertson and HIRES,
# their errors checked against grd's references (seconds; no timing).
test-peers:
	bash scripts/test-peers.sh

# The packages with BLAS paths under the OpenBLAS build, and both builds
# compared quantity by quantity (engine's TestBLASBackendsAgree: the pure-Go
# build writes its results, the openblas build checks its own against them).
BLASREF := $(or $(TMPDIR),/tmp)/grd-blas-reference.json
test-openblas:
	bash scripts/debdeps.sh libopenblas-dev
	GRD_BLAS_REFERENCE=$(BLASREF) $(GO) test -count=1 -run '^TestBLASBackendsAgree$$' ./engine/
	GRD_BLAS_REFERENCE=$(BLASREF) $(GO) test -tags openblas -count=1 ./models/... ./engine/...
	rm -f $(BLASREF)

# A one-node Slurm cluster on this machine (loopback only; root; Debian's
# slurm-wlm and munge), the deploy/slurm scripts submitted to it and their
# outputs compared with single-process runs. Bounded (TIMEOUT seconds for
# the jobs); not part of make test. Result: deploy/slurm/README.md.
test-slurm:
	bash scripts/debdeps.sh slurm-wlm munge
	bash scripts/test-slurm.sh

# Two-layer kernels (gradient, D·v, per-sample gradients, dense D) with both BLAS backends.
bench-kernels:
	cd models && $(GO) test -run '^$$' -bench TwoLayerKernels -cpu 1,2 -benchtime 5x .
	cd models && $(GO) test -tags openblas -run '^$$' -bench TwoLayerKernels -cpu 1,2 -benchtime 5x .

# Package benchmarks plus the grd bench tables, including the geometry scale point
# (one Γ(v,v) at d ≈ 1.66M: minutes, < 2 GiB); see bench/RESULTS.md. Not run by CI.
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	./bin/grd bench integrators --format table
	./bin/grd bench geometry
	./bin/grd bench geometry --scale

# The memory claims at scale, asserted: one Γ(v,v) at d ≈ 1.66M, N = 60000
# must stay under 2 GiB peak RSS (bench's TestGeometryScale). Minutes; not
# run by CI; the result is recorded in bench/RESULTS.md.
bench-memory:
	$(GO) test -count=1 -timeout 30m -run '^TestGeometryScale$$' -v ./bench/ -geometry.scale

# grd against Boost.Odeint, GSL, scipy, numpy and PyTorch (bench/peers/run.sh):
# installs Debian packages, takes tens of minutes; writes bench/results/. Not run by CI.
bench-peers:
	bash bench/peers/run.sh

# Fuzz every input decoder for FUZZTIME each, one after the other (go test
# -fuzz takes one target at a time): scenario files, CSV data, weight files,
# checkpoint files, IDX files; and internal/gemm's product against the naive
# one on fuzzed shapes. Seed corpora: scenarios/testdata/fuzz and the f.Add calls.
FUZZTIME    ?= 60s
FUZZ_TARGETS = FuzzParse FuzzLoadCSV FuzzReadWeights FuzzDecodeCheckpoint
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "== $$t ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) ./scenarios || exit 1; \
	done
	@echo "== FuzzDecodeIDX ($(FUZZTIME))"
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeIDX$$' -fuzztime=$(FUZZTIME) ./scenarios/idx
	@echo "== FuzzDgemm ($(FUZZTIME))"
	$(GO) test -run='^$$' -fuzz='^FuzzDgemm$$' -fuzztime=$(FUZZTIME) ./internal/gemm

lint:
	$(GO) vet ./...
	bash scripts/depgraph.sh --check
	$(GO) run $(STATICCHECK) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin out
