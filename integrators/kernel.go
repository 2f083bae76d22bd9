package integrators

//go:generate sh -c "go run ./internal/kerngen > kernels_gen.go.tmp && mv kernels_gen.go.tmp kernels_gen.go"

// kernel is the generic explicit Runge–Kutta kernel: it runs any Tableau on
// caller-owned state, with every stage and scratch vector allocated once.
type kernel struct {
	tb *Tableau
	f  Func
	n  int
	s  int

	// k holds the stage slots (see Tableau). For an FSAL tableau k[s]
	// aliases k[s-1].
	k    [][]float64
	ytmp []float64
	e5   []float64 // error estimate h Σ E_i k_i (generic step only)
	e3   []float64 // second estimate h Σ E3_i k_i (DOP853; generic step only)
	phi  []float64 // Hairer's basis at θ

	// nz[i] lists the j with A[i][j] != 0; nzB, nzE, nzE3 likewise.
	nz             [][]int
	nzB, nzE, nzE3 []int
	nzX            [][]int

	nfev int

	// fast, if non-nil, replaces the generic step (see Method.fast).
	fast stepFunc
	// norm measures the error estimate (set by the driver).
	norm ErrorNorm
	// ros, if non-nil, is the Rosenbrock stepper that fast (stepRos)
	// runs; it also provides the dense output.
	ros *rosenbrock
	// rock, if non-nil, is the ROCK4 stepper that fast (stepRock4) runs.
	rock *rock4
}

// stepFunc is a kernel's step specialised to one tableau: it must do what
// kernel.step does, operation for operation.
type stepFunc func(kr *kernel, t, h, tEnd float64, y, y1 []float64, withErr bool) float64

// newKernel allocates a kernel for tb, F and state size n; fast, if
// non-nil, is the tableau's generated step. All vectors share one backing
// array (one allocation); the nonzero-coefficient lists of the generic step
// are built only when it will run.
func newKernel(tb *Tableau, f Func, n int, fast stepFunc) *kernel {
	s := tb.Stages()
	kr := &kernel{tb: tb, f: f, n: n, s: s, fast: fast}
	nslots := tb.slots()
	deg := 0
	for _, r := range tb.Dense {
		deg = max(deg, len(r))
	}
	nvec := nslots + 1 // slots and ytmp
	if tb.FSAL {
		nvec-- // slot s aliases slot s−1
	}
	if fast == nil && tb.E != nil {
		nvec++
	}
	if fast == nil && tb.E3 != nil {
		nvec++
	}
	back := make([]float64, nvec*n+deg)
	next := func(m int) []float64 {
		v := back[:m:m]
		back = back[m:]
		return v
	}
	kr.k = make([][]float64, nslots)
	for i := range kr.k {
		if tb.FSAL && i == s {
			kr.k[i] = kr.k[s-1]
			continue
		}
		kr.k[i] = next(n)
	}
	kr.ytmp = next(n)
	kr.phi = next(deg)
	if fast == nil && tb.E != nil {
		kr.e5 = next(n)
	}
	if fast == nil && tb.E3 != nil {
		kr.e3 = next(n)
	}
	if len(tb.ExtraA) > 0 {
		kr.nzX = make([][]int, len(tb.ExtraA))
		for m, row := range tb.ExtraA {
			kr.nzX[m] = nonzero(row)
		}
	}
	if fast != nil {
		return kr
	}
	kr.nzE = nonzero(tb.E)
	kr.nzE3 = nonzero(tb.E3)
	kr.nz = make([][]int, s)
	for i, row := range tb.A {
		kr.nz[i] = nonzero(row)
	}
	kr.nzB = nonzero(tb.B)
	return kr
}

// nonzero returns the indices j with x[j] != 0 (nil if there are none).
func nonzero(x []float64) []int {
	c := 0
	for _, v := range x {
		if v != 0 {
			c++
		}
	}
	if c == 0 {
		return nil
	}
	idx := make([]int, 0, c)
	for j, v := range x {
		if v != 0 {
			idx = append(idx, j)
		}
	}
	return idx
}

// combine sets dst = y + h Σ_{j∈idx} c[j] k[j].
func (kr *kernel) combine(dst, y []float64, h float64, c []float64, idx []int) {
	copy(dst, y)
	for _, j := range idx {
		a := h * c[j]
		kj := kr.k[j]
		kj = kj[:len(dst)]
		for m := range dst {
			dst[m] += a * kj[m]
		}
	}
}

// weighted sets dst = h Σ_{j∈idx} c[j] k[j].
func (kr *kernel) weighted(dst []float64, h float64, c []float64, idx []int) {
	clear(dst)
	for _, j := range idx {
		a := h * c[j]
		kj := kr.k[j][:len(dst)]
		for m := range dst {
			dst[m] += a * kj[m]
		}
	}
}

// step takes one step of size h from (t, y), k[0] = F(t, y) being given,
// writing the new state into y1. tEnd is t+h as the driver wants it (exact
// at the end of the interval), used for stages with C = 1. With withErr it
// returns the error measure of the step (kr.norm of the estimate, combined
// with the second estimate for DOP853: see ErrorNorm), else 0.
func (kr *kernel) step(t, h, tEnd float64, y, y1 []float64, withErr bool) float64 {
	if kr.fast != nil {
		return kr.fast(kr, t, h, tEnd, y, y1, withErr)
	}
	tb := kr.tb
	s := kr.s
	last := s
	if tb.FSAL {
		last = s - 1
	}
	for i := 1; i < last; i++ {
		kr.combine(kr.ytmp, y, h, tb.A[i], kr.nz[i])
		ti := t + tb.C[i]*h
		if tb.C[i] == 1 {
			ti = tEnd
		}
		kr.f(ti, kr.ytmp, kr.k[i])
	}
	kr.combine(y1, y, h, tb.B, kr.nzB)
	kr.nfev += last - 1
	if tb.FSAL {
		kr.f(tEnd, y1, kr.k[s-1])
		kr.nfev++
	}
	if !withErr {
		return 0
	}
	kr.weighted(kr.e5, h, tb.E, kr.nzE)
	if kr.e3 == nil {
		return kr.norm.Norm(kr.e5, y, y1)
	}
	kr.weighted(kr.e3, h, tb.E3, kr.nzE3)
	return kr.norm.Combined(kr.e5, kr.e3, y, y1)
}

// extra evaluates the dense-output-only stages for the step (t, h) from y0;
// k[0…s] must be valid.
func (kr *kernel) extra(t, h float64, y0 []float64) {
	tb := kr.tb
	for m, c := range tb.ExtraC {
		kr.combine(kr.ytmp, y0, h, tb.ExtraA[m], kr.nzX[m])
		kr.f(t+c*h, kr.ytmp, kr.k[kr.s+1+m])
		kr.nfev++
	}
}

// interpolate writes y(t0 + θh) = y0 + h Σ P_slot(θ) k_slot into dst; all
// slots used by the dense output must be valid.
func (kr *kernel) interpolate(dst []float64, theta, h float64, y0 []float64) {
	tb := kr.tb
	copy(dst, y0)
	hairerPhi(theta, kr.phi)
	for slot, p := range tb.Dense {
		var w float64
		for j, c := range p {
			w += c * kr.phi[j]
		}
		a := h * w
		if a == 0 {
			continue
		}
		ks := kr.k[slot][:len(dst)]
		for m := range dst {
			dst[m] += a * ks[m]
		}
	}
}
