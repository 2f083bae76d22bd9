// Command gokernels times grd's per-sample-gradient kernels on the two-layer
// tanh network of DESIGN §3 (o = 1, squared loss, mean over N), for the peer
// comparison with numpy and PyTorch (bench/peers/kernels.py). It prints CSV
//
//	tool,kernel,N,n,h,seconds
//
// with tool = grd and kernel one of
//
//	grad       the full-batch gradient ∇f                  (engine.Geometry.Grad)
//	persample  the N×d per-sample gradient matrix           (Evaluator.Grads over chunks, all workers)
//	dv         D·v matrix-free, two passes                  (engine.Geometry.DiffusionVec)
//	dense      the dense d×d diffusion matrix D             (engine.Geometry.Diffusion)
//
// Timing: one warm-up call (sizes scratch), then each of --reps repetitions
// runs the kernel k times, k fixed from the warm-up so that a repetition
// lasts ≥ --min-time (k ≤ 1000); seconds is the median per-call time. The
// same rule is used by kernels.py.
//
// Before timing, it checks that the kernels agree: the mean of the
// per-sample rows equals ∇f, and (where dense D is run) D·v from the dense
// matrix equals DiffusionVec, each to 1e-10 relative. A failed check is an
// error (exit 1).
//
// Usage: go run ./bench/peers/gokernels --sizes 1000x16x32,10000x64x64 [--reps 5] [--workers 2] [--dense-max-d 5000]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

type size struct{ N, In, Hidden int }

func parseSizes(s string) ([]size, error) {
	var out []size
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		p := strings.Split(f, "x")
		if len(p) != 3 {
			return nil, fmt.Errorf("gokernels: size %q: want NxnXh, e.g. 1000x16x32", f)
		}
		var v [3]int
		for i, q := range p {
			k, err := strconv.Atoi(q)
			if err != nil || k < 1 {
				return nil, fmt.Errorf("gokernels: size %q: %q is not a positive integer", f, q)
			}
			v[i] = k
		}
		out = append(out, size{v[0], v[1], v[2]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("gokernels: no sizes given")
	}
	return out, nil
}

func main() {
	sizes := flag.String("sizes", "1000x16x32,10000x64x64,60000x64x128", "comma-separated `NxnXh` sizes")
	reps := flag.Int("reps", 5, "timed repetitions (the median is reported)")
	workers := flag.Int("workers", 2, "worker goroutines")
	minTime := flag.Duration("min-time", 20*time.Millisecond, "least duration of one repetition")
	denseMax := flag.Int("dense-max-d", 5000, "skip dense D when d exceeds this")
	seed := flag.Uint64("seed", 1, "seed of data and weights")
	header := flag.Bool("header", true, "print the CSV header")
	flag.Parse()
	ss, err := parseSizes(*sizes)
	if err == nil && *reps < 1 {
		err = fmt.Errorf("gokernels: --reps = %d, want ≥ 1", *reps)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), *workers))
	if *header {
		fmt.Println("tool,kernel,N,n,h,seconds")
	}
	for _, s := range ss {
		if err := runSize(context.Background(), s, *reps, *workers, *minTime, *denseMax, *seed); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func runSize(ctx context.Context, s size, reps, workers int, minTime time.Duration, denseMax int, seed uint64) error {
	m, w, v, err := sizeProblem(s, seed)
	if err != nil {
		return err
	}
	d := m.Dim()
	g := engine.New(m, &engine.Options{Workers: workers})
	grad := make([]float64, d)
	dv := make([]float64, d)
	G := make([]float64, s.N*d)
	ps := newPerSample(m, workers)
	if err := checkPerSample(ctx, g, ps, G, w, s.N); err != nil {
		return err
	}
	emit := func(kernel string, secs float64) {
		fmt.Printf("grd,%s,%d,%d,%d,%s\n", kernel, s.N, s.In, s.Hidden, strconv.FormatFloat(secs, 'g', -1, 64))
	}
	kernels := []struct {
		name string
		op   func() error
	}{
		{"grad", func() error { return g.Grad(ctx, grad, w) }},
		{"persample", func() error { ps.grads(G, w); return nil }},
		{"dv", func() error { return g.DiffusionVec(ctx, dv, w, v) }},
	}
	for _, k := range kernels {
		secs, err := timeKernel(k.op, reps, minTime)
		if err != nil {
			return err
		}
		emit(k.name, secs)
	}
	G = nil // free N×d before the dense d×d run
	runtime.GC()

	if d > denseMax {
		fmt.Fprintf(os.Stderr, "gokernels: N=%d d=%d: dense D skipped (d > --dense-max-d %d)\n", s.N, d, denseMax)
		return nil
	}
	secs, err := timeDense(ctx, g, w, v, reps, minTime)
	if err != nil {
		return fmt.Errorf("gokernels: N=%d: %w", s.N, err)
	}
	emit("dense", secs)
	return nil
}

// sizeProblem is the two-layer tanh network of size s on seeded Gaussian
// data, with a weight vector w of scale 1/√n and a direction v.
func sizeProblem(s size, seed uint64) (m models.Model, w, v []float64, err error) {
	rng := rand.New(rand.NewPCG(seed, uint64(s.N)))
	data := &models.Data{N: s.N, In: s.In, Out: 1, X: make([]float64, s.N*s.In), Y: make([]float64, s.N)}
	for i := range data.X {
		data.X[i] = rng.NormFloat64()
	}
	for i := range data.Y {
		data.Y[i] = rng.NormFloat64()
	}
	m, err = models.NewTwoLayer(data, s.Hidden, models.Tanh, models.Squared)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("gokernels: %w", err)
	}
	d := m.Dim()
	w, v = make([]float64, d), make([]float64, d)
	scale := 1 / math.Sqrt(float64(s.In))
	for i := range w {
		w[i] = scale * rng.NormFloat64()
		v[i] = rng.NormFloat64()
	}
	return m, w, v, nil
}

// checkPerSample checks that the mean of the per-sample gradient rows (into
// G, N×d) is ∇f.
func checkPerSample(ctx context.Context, g *engine.Geometry, ps *perSample, G, w []float64, n int) error {
	d := g.Dim()
	grad := make([]float64, d)
	if err := g.Grad(ctx, grad, w); err != nil {
		return err
	}
	ps.grads(G, w)
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for k, x := range G[i*d : (i+1)*d] {
			mean[k] += x
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	if e := relDiff(mean, grad); e > 1e-10 {
		return fmt.Errorf("gokernels: N=%d: mean per-sample gradient differs from ∇f by %.3g relative", n, e)
	}
	return nil
}

// timeDense times the dense diffusion matrix and checks its product with v
// against the matrix-free D·v.
func timeDense(ctx context.Context, g *engine.Geometry, w, v []float64, reps int, minTime time.Duration) (float64, error) {
	var D mat.SymDense
	secs, err := timeKernel(func() error { return g.Diffusion(ctx, &D, w) }, reps, minTime)
	if err != nil {
		return 0, err
	}
	d := g.Dim()
	dv := make([]float64, d)
	if err := g.DiffusionVec(ctx, dv, w, v); err != nil {
		return 0, err
	}
	dense := make([]float64, d)
	mat.NewVecDense(d, dense).MulVec(&D, mat.NewVecDense(d, v))
	if e := relDiff(dense, dv); e > 1e-10 {
		return 0, fmt.Errorf("dense D·v differs from DiffusionVec by %.3g relative", e)
	}
	return secs, nil
}

// perSample fills the N×d per-sample gradient matrix with the model's
// batched Grads, chunks claimed by a fixed set of workers, each with its
// own Evaluator (the engine has no exported N×d path).
type perSample struct {
	m     models.Model
	chunk int
	evals []models.Evaluator
}

func newPerSample(m models.Model, workers int) *perSample {
	p := &perSample{m: m, chunk: 256}
	for range workers {
		p.evals = append(p.evals, m.NewEvaluator(p.chunk))
	}
	return p
}

func (p *perSample) grads(G, w []float64) {
	n, d := p.m.Len(), p.m.Dim()
	nchunks := (n + p.chunk - 1) / p.chunk
	var wg sync.WaitGroup
	for i, ev := range p.evals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := i; k < nchunks; k += len(p.evals) {
				lo, hi := k*p.chunk, min((k+1)*p.chunk, n)
				ev.Grads(G[lo*d:hi*d], w, lo, hi)
			}
		}()
	}
	wg.Wait()
}

// timeKernel: warm-up, then reps repetitions of k calls each (k so that a
// repetition lasts ≥ minTime, at most 1000); median per-call seconds.
func timeKernel(op func() error, reps int, minTime time.Duration) (float64, error) {
	start := time.Now()
	if err := op(); err != nil {
		return 0, err
	}
	once := time.Since(start)
	k := 1
	if once < minTime {
		k = min(1000, int(minTime/max(once, time.Microsecond))+1)
	}
	secs := make([]float64, reps)
	for r := range secs {
		start := time.Now()
		for range k {
			if err := op(); err != nil {
				return 0, err
			}
		}
		secs[r] = time.Since(start).Seconds() / float64(k)
	}
	sort.Float64s(secs)
	if reps%2 == 1 {
		return secs[reps/2], nil
	}
	return 0.5 * (secs[reps/2-1] + secs[reps/2]), nil
}

// relDiff is ‖a − b‖∞ / max(‖b‖∞, tiny).
func relDiff(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / math.Max(den, 1e-300)
}
