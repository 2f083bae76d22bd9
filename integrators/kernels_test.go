package integrators

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

// sameBits reports whether the generated kernels must agree with the
// generic one bit for bit: they perform the same operations in the same
// order, so they do wherever the compiler does not fuse a·b + c into one
// rounding (Go fuses on arm64, ppc64, s390x, riscv64; on amd64 only with
// GOAMD64=v3, where both kernels' expressions fuse alike). Elsewhere the
// test allows a few ulps per step.
var sameBits = runtime.GOARCH == "amd64" || runtime.GOARCH == "386"

// coupled is a nonlinear, non-autonomous system of odd size (so that no
// loop length is special) used to compare kernels.
func coupled(t float64, y, dy []float64) {
	n := len(y)
	for i := range y {
		dy[i] = math.Sin(y[(i+1)%n]) - 0.5*y[i]*math.Cos(t) + 0.1*y[(i+n-1)%n]
	}
}

func closeRel(a, b float64) bool {
	if sameBits {
		return math.Float64bits(a) == math.Float64bits(b)
	}
	return math.Abs(a-b) <= 1e-13*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestSpecialisedKernelsMatchGeneric checks each generated straight-line
// kernel (kernels_gen.go) against the generic tableau kernel step for
// step: from the same state, stages, new state and error measure (the
// generated kernels fuse the estimate with ErrorNorm) must agree (bit for bit on amd64), along a chain of 50 steps of varying size.
func TestSpecialisedKernelsMatchGeneric(t *testing.T) {
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		for _, n := range []int{1, 3, 7} {
			m, err := MethodByName(name)
			if err != nil {
				t.Fatal(err)
			}
			if m.fast == nil {
				t.Fatalf("%s has no specialised kernel", name)
			}
			gen := newKernel(m.tab, coupled, n, nil)
			fast := newKernel(m.tab, coupled, n, m.fast)
			gen.norm = ErrorNorm{RTol: 1e-3, ATol: 1e-4}
			fast.norm = gen.norm
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			y := make([]float64, n)
			for i := range y {
				y[i] = rng.NormFloat64()
			}
			y1g, y1f := make([]float64, n), make([]float64, n)
			tt := 0.3
			for step := 0; step < 50; step++ {
				h := 0.05 + 0.4*rng.Float64()
				if step%2 == 1 {
					h = -h
				}
				coupled(tt, y, gen.k[0])
				coupled(tt, y, fast.k[0])
				errg := gen.step(tt, h, tt+h, y, y1g, true)
				errf := fast.step(tt, h, tt+h, y, y1f, true)
				if gen.nfev != fast.nfev {
					t.Fatalf("%s n=%d step %d: nfev %d (fast) vs %d (generic)", name, n, step, fast.nfev, gen.nfev)
				}
				check := func(what string, a, b []float64) {
					t.Helper()
					for i := range a {
						if !closeRel(a[i], b[i]) {
							t.Fatalf("%s n=%d step %d: %s[%d] = %v (fast) vs %v (generic)", name, n, step, what, i, b[i], a[i])
						}
					}
				}
				check("y1", y1g, y1f)
				check("error measure", []float64{errg}, []float64{errf})
				if !(errg > 0) {
					t.Fatalf("%s n=%d step %d: error measure %v, want > 0", name, n, step, errg)
				}
				for j := 0; j < gen.s; j++ {
					check("k", gen.k[j], fast.k[j])
				}
				copy(y, y1f)
				tt += h
			}
		}
	}
}

// TestSpecialisedSolveMatchesGeneric runs whole solves — step-size
// control, dense output at many times, an event — with the generated and
// the generic kernel: same steps, same counts, same outputs.
func TestSpecialisedSolveMatchesGeneric(t *testing.T) {
	p := odetest.Arenstorf()
	times := make([]float64, 41)
	for i := range times {
		times[i] = p.T0 + (p.T1-p.T0)*float64(i)/40
	}
	ev := Event{G: func(_ float64, y []float64) float64 { return y[1] }}
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		m, err := MethodByName(name)
		if err != nil {
			t.Fatal(err)
		}
		generic := Method{tab: m.tab}
		s := &Settings{RTol: 1e-9, ATol: 1e-9, Events: []Event{ev}}
		pr := Problem{F: p.F, Y0: p.Y0, T0: p.T0, T1: p.T1}
		rf, err := Solve(context.Background(), pr, m, times, s)
		if err != nil {
			t.Fatal(err)
		}
		rg, err := Solve(context.Background(), pr, generic, times, s)
		if err != nil {
			t.Fatal(err)
		}
		if sameBits && rf.Stats != rg.Stats {
			t.Errorf("%s: stats %+v (fast) vs %+v (generic)", name, rf.Stats, rg.Stats)
		}
		if len(rf.T) != len(rg.T) || len(rf.Events) != len(rg.Events) {
			t.Fatalf("%s: %d outputs, %d events (fast) vs %d, %d (generic)", name, len(rf.T), len(rf.Events), len(rg.T), len(rg.Events))
		}
		for i := range rf.Y {
			for j := range rf.Y[i] {
				a, b := rf.Y[i][j], rg.Y[i][j]
				if sameBits && a != b || !sameBits && math.Abs(a-b) > 1e-6 {
					t.Fatalf("%s: Y[%d][%d] = %v (fast) vs %v (generic)", name, i, j, a, b)
				}
			}
		}
		for i := range rf.Events {
			if a, b := rf.Events[i].T, rg.Events[i].T; sameBits && a != b || !sameBits && math.Abs(a-b) > 1e-6 {
				t.Errorf("%s: event %d at %v (fast) vs %v (generic)", name, i, a, b)
			}
		}
		t.Logf("%s: %d evaluations, %d events, identical", name, rf.Stats.NFev, len(rf.Events))
	}
}

// TestUserTableauIsGeneric: a tableau passed through NewMethod, even a
// copy of a built-in one, runs on the generic kernel.
func TestUserTableauIsGeneric(t *testing.T) {
	m, _ := MethodByName("dopri5")
	u, err := NewMethod(m.Tableau())
	if err != nil {
		t.Fatal(err)
	}
	if u.fast != nil {
		t.Error("NewMethod kept a specialised kernel")
	}
}
