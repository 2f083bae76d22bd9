package integrators

import (
	"context"
	"testing"
)

// lorenz is the Lorenz system with σ = 10, ρ = 28, β = 8/3.
func lorenz(_ float64, y, dy []float64) {
	dy[0] = 10 * (y[1] - y[0])
	dy[1] = y[0]*(28-y[2]) - y[1]
	dy[2] = y[0]*y[1] - 8.0/3*y[2]
}

// benchmarkLorenz solves Lorenz from (1, 1, 1) over [0, 20]: adaptive
// methods at rtol = atol = 1e-8, fixed-step ones with the given dt. It
// reports NFev per solve and the time per evaluation of F (driver and
// kernel overhead included).
func benchmarkLorenz(b *testing.B, name string, dt float64) {
	m, err := MethodByName(name)
	if err != nil {
		b.Fatal(err)
	}
	p := Problem{F: lorenz, Y0: []float64{1, 1, 1}, T0: 0, T1: 20}
	s := &Settings{RTol: 1e-8, ATol: 1e-8, Dt: dt, MaxSteps: 1e7}
	times := []float64{20}
	var nfev int
	b.ReportAllocs()
	for b.Loop() {
		res, err := Solve(context.Background(), p, m, times, s)
		if err != nil {
			b.Fatal(err)
		}
		nfev = res.Stats.NFev
	}
	b.ReportMetric(float64(nfev), "nfev/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nfev), "ns/fev")
}

func BenchmarkLorenzEuler(b *testing.B)  { benchmarkLorenz(b, "euler", 1e-4) }
func BenchmarkLorenzHeun(b *testing.B)   { benchmarkLorenz(b, "heun", 1e-3) }
func BenchmarkLorenzRK4(b *testing.B)    { benchmarkLorenz(b, "rk4", 1e-3) }
func BenchmarkLorenzBS3(b *testing.B)    { benchmarkLorenz(b, "bs3", 0) }
func BenchmarkLorenzDopri5(b *testing.B) { benchmarkLorenz(b, "dopri5", 0) }
func BenchmarkLorenzTsit5(b *testing.B)  { benchmarkLorenz(b, "tsit5", 0) }
func BenchmarkLorenzDop853(b *testing.B) { benchmarkLorenz(b, "dop853", 0) }
