package integrators

import (
	"fmt"
	"math"
)

// Tableau is an explicit Runge–Kutta method as data: its Butcher tableau,
// embedded error weights and continuous extension. One generic kernel runs
// any Tableau (see the package documentation for the formulas).
//
// Stage vectors are addressed by "slots": slots 0…S−1 are the S main stages
// k_i = F(t + C_i h, y + h Σ_j A_ij k_j); slot S is F(t+h, y1), the derivative
// at the end of the step (for an FSAL tableau this is the last main stage
// itself); slots S+1… are the extra stages used only by the dense output.
type Tableau struct {
	// Name is the method's short name, e.g. "dopri5".
	Name string
	// C are the nodes, len S.
	C []float64
	// A is the strictly lower-triangular stage matrix: A[i] has length i.
	A [][]float64
	// B are the weights of the propagated solution, len S.
	B []float64
	// E are the error weights (B − B̂, len S): the local error estimate is
	// h Σ E_i k_i. Nil for a fixed-step method.
	E []float64
	// E3, if non-nil, is a second error estimate of lower order (len S),
	// combined with E as in Hairer's DOP853:
	//
	//	err = err5² / sqrt(err5² + 0.01·err3²)
	//
	// where err5 and err3 are the RMS norms of h Σ E_i k_i and h Σ E3_i k_i.
	E3 []float64
	// Order is the order of the propagated solution.
	Order int
	// ErrOrder is the exponent q with err ∝ h^q used by the step-size
	// controller (embedded order + 1 for a classical pair; 8 for DOP853).
	ErrOrder int
	// FSAL reports that the last stage is evaluated at (t+h, y1), so that
	// C[S−1] = 1, A[S−1] = B and that stage is reused as the first stage of
	// the next step.
	FSAL bool
	// ExtraC and ExtraA define the dense-output-only stages: stage S+1+m is
	// evaluated at t + ExtraC[m] h from weights ExtraA[m] over slots
	// 0…S+m (len S+1+m).
	ExtraC []float64
	ExtraA [][]float64
	// Dense gives the continuous extension
	//
	//	y(t + θh) = y0 + h Σ_slot P_slot(θ) k_slot,   P_slot(θ) = Σ_j Dense[slot][j] φ_(j+1)(θ)
	//
	// in Hairer's basis φ_1 = θ, φ_2 = θ(1−θ), φ_3 = θ²(1−θ),
	// φ_4 = θ²(1−θ)², φ_5 = θ³(1−θ)², … (|φ_j| ≤ 1 on [0, 1], which keeps
	// the evaluation free of the cancellation that monomial coefficients of
	// size 10²–10³ would cause). One row per slot (S+1+len(ExtraC) rows); a
	// nil row is a zero polynomial.
	Dense [][]float64
	// DenseOrder is the order of the continuous extension.
	DenseOrder int

	// stiff, if non-zero, enables Hairer's stiffness test (stiffness.go).
	stiff stiffTest
}

// Stages returns the number of main stages S.
func (tb *Tableau) Stages() int { return len(tb.B) }

// Adaptive reports whether the tableau carries an error estimate.
func (tb *Tableau) Adaptive() bool { return tb.E != nil }

// slots returns the number of stage slots (main + end derivative + extra).
func (tb *Tableau) slots() int { return len(tb.B) + 1 + len(tb.ExtraC) }

// Validate checks the tableau's shapes and the consistency conditions
// Σ_j A_ij = C_i, Σ B_i = 1, Σ E_i = 0, P_slot(1) = B_slot and
// Σ_slot P'_slot(0) = 1 up to tol (a loose 1e-12 suits 16-digit coefficients).
func (tb *Tableau) Validate(tol float64) error {
	s := len(tb.B)
	if s == 0 {
		return fmt.Errorf("integrators: tableau %q has no stages", tb.Name)
	}
	if len(tb.C) != s || len(tb.A) != s {
		return fmt.Errorf("integrators: tableau %q: len(C)=%d, len(A)=%d, want %d", tb.Name, len(tb.C), len(tb.A), s)
	}
	for i, row := range tb.A {
		if len(row) != i {
			return fmt.Errorf("integrators: tableau %q: len(A[%d])=%d, want %d", tb.Name, i, len(row), i)
		}
		if d := sum(row) - tb.C[i]; math.Abs(d) > tol {
			return fmt.Errorf("integrators: tableau %q: row %d of A sums to C+%g", tb.Name, i, d)
		}
	}
	if d := sum(tb.B) - 1; math.Abs(d) > tol {
		return fmt.Errorf("integrators: tableau %q: weights sum to 1%+g", tb.Name, d)
	}
	for _, e := range [][]float64{tb.E, tb.E3} {
		if e == nil {
			continue
		}
		if len(e) != s {
			return fmt.Errorf("integrators: tableau %q: error weights have length %d, want %d", tb.Name, len(e), s)
		}
		if d := sum(e); math.Abs(d) > tol {
			return fmt.Errorf("integrators: tableau %q: error weights sum to %g, want 0", tb.Name, d)
		}
	}
	if tb.FSAL {
		if tb.C[s-1] != 1 {
			return fmt.Errorf("integrators: tableau %q is FSAL but C[S-1]=%g", tb.Name, tb.C[s-1])
		}
		for j, a := range tb.A[s-1] {
			if math.Abs(a-tb.B[j]) > tol {
				return fmt.Errorf("integrators: tableau %q is FSAL but A[S-1][%d] != B[%d]", tb.Name, j, j)
			}
		}
	}
	if len(tb.ExtraA) != len(tb.ExtraC) {
		return fmt.Errorf("integrators: tableau %q: %d extra rows for %d extra nodes", tb.Name, len(tb.ExtraA), len(tb.ExtraC))
	}
	for m, row := range tb.ExtraA {
		if len(row) != s+1+m {
			return fmt.Errorf("integrators: tableau %q: extra stage %d has %d weights, want %d", tb.Name, m, len(row), s+1+m)
		}
		if d := sum(row) - tb.ExtraC[m]; math.Abs(d) > tol {
			return fmt.Errorf("integrators: tableau %q: extra stage %d sums to C%+g", tb.Name, m, d)
		}
	}
	if len(tb.Dense) != tb.slots() {
		return fmt.Errorf("integrators: tableau %q: %d dense rows, want %d", tb.Name, len(tb.Dense), tb.slots())
	}
	// P(1) must reproduce y1; for an FSAL method slot S and slot S−1 hold
	// the same vector, so compare their combined weight.
	var d0 float64
	for slot, p := range tb.Dense {
		d0 += polyDeriv0(p)
		want := 0.0
		if slot < s {
			want = tb.B[slot]
		}
		got := polyAt(p, 1)
		if tb.FSAL && slot == s-1 {
			got += polyAt(tb.Dense[s], 1)
		}
		if tb.FSAL && slot == s {
			continue
		}
		if math.Abs(got-want) > tol {
			return fmt.Errorf("integrators: tableau %q: dense weight of slot %d at θ=1 is %g, want %g", tb.Name, slot, got, want)
		}
	}
	if math.Abs(d0-1) > tol {
		return fmt.Errorf("integrators: tableau %q: dense output has slope %g at θ=0, want 1", tb.Name, d0)
	}
	return nil
}

// hairerPhi writes φ_1(θ) … φ_len(dst)(θ) of Hairer's basis into dst.
func hairerPhi(theta float64, dst []float64) {
	v := theta
	for j := range dst {
		dst[j] = v
		if j%2 == 0 {
			v *= 1 - theta
		} else {
			v *= theta
		}
	}
}

// polyAt evaluates Σ_j c[j] φ_(j+1)(θ).
func polyAt(c []float64, theta float64) float64 {
	var v float64
	phi := theta
	for j, cj := range c {
		v += cj * phi
		if j%2 == 0 {
			phi *= 1 - theta
		} else {
			phi *= theta
		}
	}
	return v
}

// polyDeriv0 is the derivative of Σ_j c[j] φ_(j+1)(θ) at θ = 0: only φ_1
// and φ_2 have a linear term (θ).
func polyDeriv0(c []float64) float64 {
	var d float64
	if len(c) > 0 {
		d += c[0]
	}
	if len(c) > 1 {
		d += c[1]
	}
	return d
}

// toHairer converts a polynomial Σ_p m[p] θ^(p+1) (no constant term) to
// coefficients in Hairer's basis.
func toHairer(m []float64) []float64 {
	n := len(m)
	phi := hairerBasis(n)
	rest := make(poly, n+1)
	copy(rest[1:], m)
	out := make([]float64, n)
	for j := n - 1; j >= 0; j-- {
		lead := phi[j][j+1] // φ_(j+1) has degree j+1
		c := rest[j+1] / lead
		out[j] = c
		for p, v := range phi[j] {
			rest[p] -= c * v
		}
	}
	return out
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// poly is a polynomial with ascending coefficients (index = power).
type poly []float64

func (p poly) mul(q poly) poly {
	r := make(poly, len(p)+len(q)-1)
	for i, a := range p {
		for j, b := range q {
			r[i+j] += a * b
		}
	}
	return r
}

// hairerBasis returns φ_1…φ_n of the nested form used by Hairer's dense
// output, y(θ) = r1 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ)(r5 + …)))):
// φ = θ, θ(1−θ), θ²(1−θ), θ²(1−θ)², θ³(1−θ)², …
func hairerBasis(n int) []poly {
	theta := poly{0, 1}
	one := poly{1, -1}
	out := make([]poly, n)
	cur := theta
	for i := 0; i < n; i++ {
		out[i] = cur
		if i%2 == 0 {
			cur = cur.mul(one)
		} else {
			cur = cur.mul(theta)
		}
	}
	return out
}

// denseFromBasis returns Dense rows over nslots slots for the continuous
// extension y0 + h Σ_j (Σ_slot R[j][slot] k_slot) phi_j(θ).
func denseFromBasis(nslots int, R [][]float64, phi []poly) [][]float64 {
	deg := 0
	for _, p := range phi {
		deg = max(deg, len(p)-1)
	}
	out := make([][]float64, nslots)
	for slot := range out {
		row := make([]float64, deg) // coefficients of θ^1 … θ^deg
		for j, r := range R {
			if slot >= len(r) || r[slot] == 0 {
				continue
			}
			for pw := 1; pw < len(phi[j]); pw++ {
				row[pw-1] += r[slot] * phi[j][pw]
			}
		}
		out[slot] = toHairer(row)
	}
	return out
}

// hermiteDense is the cubic Hermite interpolant through y0, y1 = y0 + hΣB k,
// f0 = k_0 and f1 = k_S (slot S):
//
//	y(θ) = y0 + θ(y1−y0) + θ(θ−1)[(1−2θ)(y1−y0) + (θ−1)h f0 + θ h f1].
func hermiteDense(b []float64, nslots int) [][]float64 {
	s := len(b)
	e0 := make([]float64, nslots)
	e0[0] = 1
	eS := make([]float64, nslots)
	eS[s] = 1
	bb := make([]float64, nslots)
	copy(bb, b)
	th := poly{0, 1}
	thm1 := poly{-1, 1}
	phi := []poly{
		th,                            // (y1−y0)
		th.mul(thm1).mul(poly{1, -2}), // θ(θ−1)(1−2θ)(y1−y0)
		th.mul(thm1).mul(thm1),        // θ(θ−1)² h f0
		th.mul(th).mul(thm1),          // θ²(θ−1) h f1
	}
	return denseFromBasis(nslots, [][]float64{bb, bb, e0, eS}, phi)
}

func lowerTri(rows ...[]float64) [][]float64 { return rows }

// --- fixed-step methods -----------------------------------------------------

func tableauEuler() *Tableau {
	tb := &Tableau{
		Name: "euler", C: []float64{0}, A: lowerTri([]float64{}),
		B: []float64{1}, Order: 1, DenseOrder: 1,
	}
	tb.Dense = hermiteDense(tb.B, tb.slots())
	return tb
}

func tableauHeun() *Tableau {
	tb := &Tableau{
		Name: "heun", C: []float64{0, 1}, A: lowerTri([]float64{}, []float64{1}),
		B: []float64{0.5, 0.5}, Order: 2, DenseOrder: 2,
	}
	tb.Dense = hermiteDense(tb.B, tb.slots())
	return tb
}

func tableauRK4() *Tableau {
	tb := &Tableau{
		Name: "rk4", C: []float64{0, 0.5, 0.5, 1},
		A:     lowerTri([]float64{}, []float64{0.5}, []float64{0, 0.5}, []float64{0, 0, 1}),
		B:     []float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6},
		Order: 4, DenseOrder: 3,
	}
	tb.Dense = hermiteDense(tb.B, tb.slots())
	return tb
}

// --- Bogacki–Shampine 3(2) ----------------------------------------------------

func tableauBS3() *Tableau {
	b := []float64{2.0 / 9, 1.0 / 3, 4.0 / 9, 0}
	bhat := []float64{7.0 / 24, 1.0 / 4, 1.0 / 3, 1.0 / 8}
	tb := &Tableau{
		Name: "bs3", C: []float64{0, 0.5, 0.75, 1},
		A:     lowerTri([]float64{}, []float64{0.5}, []float64{0, 0.75}, []float64{2.0 / 9, 1.0 / 3, 4.0 / 9}),
		B:     b,
		E:     subVec(b, bhat),
		Order: 3, ErrOrder: 3, FSAL: true, DenseOrder: 3,
	}
	// BS3's continuous extension is the cubic Hermite interpolant on
	// (y0, f0, y1, f1), f1 being the FSAL stage.
	tb.Dense = hermiteDense(tb.B, tb.slots())
	return tb
}

// --- Dormand–Prince 5(4) -----------------------------------------------------

func tableauDopri5() *Tableau {
	b := []float64{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0}
	tb := &Tableau{
		Name: "dopri5",
		C:    []float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1},
		A: lowerTri(
			[]float64{},
			[]float64{1.0 / 5},
			[]float64{3.0 / 40, 9.0 / 40},
			[]float64{44.0 / 45, -56.0 / 15, 32.0 / 9},
			[]float64{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
			[]float64{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
			[]float64{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
		),
		B:     b,
		E:     []float64{71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40},
		Order: 5, ErrOrder: 5, FSAL: true, DenseOrder: 4,
	}
	// Shampine's (1986) 4th-order continuous extension in Hairer's form
	// y = r1 + θ(r2 + (1−θ)(r3 + θ(r4 + (1−θ) r5))) with r2 = y1−y0,
	// r3 = h f0 − r2, r4 = r2 − h f1 − r3, r5 = h Σ d_i k_i.
	n := tb.slots()
	d := []float64{-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799, -10690763975.0 / 1880347072,
		701980252875.0 / 199316789632, -1453857185.0 / 822651844, 69997945.0 / 29380423}
	tb.Dense = denseFromBasis(n, hairerR(b, n, d), hairerBasis(4))
	tb.stiff = stiffTest{slot: 5, bound: 3.25}
	return tb
}

// hairerR returns the coefficient rows (over slots) of r2, r3, r4 and the
// given higher rows: r2 = Σ b k, r3 = k_0 − r2, r4 = r2 − k_S − r3.
func hairerR(b []float64, nslots int, higher ...[]float64) [][]float64 {
	s := len(b)
	r2 := make([]float64, nslots)
	copy(r2, b)
	r3 := make([]float64, nslots)
	r4 := make([]float64, nslots)
	for i := range r3 {
		r3[i] = -r2[i]
	}
	r3[0]++
	for i := range r4 {
		r4[i] = r2[i] - r3[i]
	}
	r4[s]--
	R := [][]float64{r2, r3, r4}
	for _, h := range higher {
		row := make([]float64, nslots)
		copy(row, h)
		R = append(R, row)
	}
	return R
}

// --- Tsitouras 5(4), 2011 ----------------------------------------------------

func tableauTsit5() *Tableau {
	b := []float64{
		0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742,
		-3.290069515436081, 2.324710524099774, 0,
	}
	// Error weights b − b̂ from Tsitouras (2011), with the sign of the last
	// one as corrected in later implementations (b̂_7 = −1/66 in the paper's
	// convention gives e_7 = +1/66 here up to the overall sign, which the
	// error norm ignores).
	e := []float64{
		-0.001780011052225771443378550607539534775944678804333659557637450799792588061629796,
		-0.0008164344596567469032236360633546862401862537590159047610940604670770447527463931,
		0.007880878010261996010314727672526304238628733777103128603258129604952959142646516,
		-0.1447110071732629075371651479726351167209227123431676776195142338967608196495150,
		0.5823571654525552250199376106520421794260781239567387797673045438803694038950012,
		-0.4580821059291869466616365188325542974428047279788398179474684434732070620889539,
		1.0 / 66,
	}
	tb := &Tableau{
		Name: "tsit5",
		C:    []float64{0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1},
		A: lowerTri(
			[]float64{},
			[]float64{0.161},
			[]float64{-0.008480655492356988544426874250230774675121177393430391537369234245294192976164141156943, 0.3354806554923569885444268742502307746751211773934303915373692342452941929761641411569},
			[]float64{2.897153057105493432130432594192938764924887287701866490314866693455023795137503079289, -6.359448489975074843148159912383825625952700647415626703305928850207288721235210244366, 4.362295432869581411017727318190886861027813359713760212991062156752264926097707165077},
			[]float64{5.325864828439256604428877920840511317836476253097040101202360397727981648835607691791, -11.74888356406282787774717033978577296188744178259862899288666928009020615663593781589, 7.495539342889836208304604784564358155658679161518186721010132816213648793440552049753, -0.09249506636175524925650207933207191611349983406029535244034750452930469056411389539635},
			[]float64{5.861455442946420028659251486982647890394337666164814434818157239052507339770711679748, -12.92096931784710929170611868178335939541780751955743459166312250439928519268343184452, 8.159367898576158643180400794539253485181918321135053305748355423955009222648673734986, -0.07158497328140099722453054252582973869127213147363544882721139659546372402303777878835, -0.02826905039406838290900305721271224146717633626879770007617876201276764571291579142206},
			b[:6],
		),
		B:     b,
		E:     e,
		Order: 5, ErrOrder: 5, FSAL: true, DenseOrder: 4,
	}
	// Tsitouras' interpolant: b_i(θ) = Σ_p r_ip θ^p (4th order).
	n := tb.slots()
	mono := make([][]float64, n)
	mono[0] = []float64{1, -2.763706197274825911336735930481400260916070804192, 2.91325546182191274375068099306808, -1.0530884977290216}
	mono[1] = []float64{0, 0.13169999999999999727, -0.22339999999999999818, 0.1017}
	mono[2] = []float64{0, 3.93029623689475152850687446709813398, -5.94103387213150473470249202589458001, 2.490627285651252793}
	mono[3] = []float64{0, -12.411077166933676983734381540685453484102414134010752, 30.3381886302823215981729903691836576, -16.54810288924490272}
	mono[4] = []float64{0, 37.50931341651103919496903965334519631242339792120440212, -88.1789048947664011014276693541209817, 47.37952196281928122}
	mono[5] = []float64{0, -27.896526289197287805948263144598643896, 65.09189467479367152629021928716553658, -34.87065786149660974}
	mono[6] = []float64{0, 1.5, -4, 2.5}
	tb.Dense = make([][]float64, n)
	for slot, m := range mono {
		if m != nil {
			tb.Dense[slot] = toHairer(m)
		}
	}
	return tb
}

func subVec(a, b []float64) []float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] - b[i]
	}
	return r
}
