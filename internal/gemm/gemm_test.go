package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// kernels names the micro-kernels this machine can run.
func kernels() []bool {
	if useAsm {
		return []bool{false, true}
	}
	return []bool{false}
}

func kname(asm bool) string {
	if asm {
		return "asm"
	}
	return "go"
}

type problem struct {
	tA, tB        bool
	m, n, k       int
	lda, ldb, ldc int
	alpha, beta   float64
	a, b, c       []float64
}

// newProblem draws a random problem; pad > 0 makes every stride larger
// than its row length.
func newProblem(rng *rand.Rand, tA, tB bool, m, n, k, pad int, alpha, beta float64) *problem {
	p := &problem{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	p.lda, p.ldb, p.ldc = max(ac, 1)+pad, max(bc, 1)+pad, max(n, 1)+pad
	fill := func(rows, ld int) []float64 {
		x := make([]float64, rows*ld)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	p.a, p.b, p.c = fill(ar, p.lda), fill(br, p.ldb), fill(m, p.ldc)
	return p
}

func (p *problem) at(i, l int) float64 {
	if p.tA {
		return p.a[l*p.lda+i]
	}
	return p.a[i*p.lda+l]
}

func (p *problem) bt(l, j int) float64 {
	if p.tB {
		return p.b[j*p.ldb+l]
	}
	return p.b[l*p.ldb+j]
}

// check runs Dgemm with the given kernel on a copy of C and compares every
// element with a naive triple loop. Both compute the same sum in floating
// point, each within γ_{k+2}·(|α| Σ|a||b| + |β||c|) of the exact value
// (Higham, Accuracy and Stability, §3.5), γ_n = n·u/(1−n·u), so they may
// differ by twice that. Padding outside the m×n corner must be untouched.
func (p *problem) check(t *testing.T, asm bool) []float64 {
	t.Helper()
	c := append([]float64(nil), p.c...)
	var w Workspace
	w.dgemm(asm, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	const u = 0x1p-53
	g := float64(p.k+2) * u / (1 - float64(p.k+2)*u)
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc; j++ {
			idx := i*p.ldc + j
			if j >= p.n {
				if c[idx] != p.c[idx] {
					t.Fatalf("%s %+v: padding C[%d,%d] changed from %v to %v", kname(asm), p.shape(), i, j, p.c[idx], c[idx])
				}
				continue
			}
			var s, sa float64
			for l := 0; l < p.k; l++ {
				x := p.at(i, l) * p.bt(l, j)
				s += x
				sa += math.Abs(x)
			}
			want := p.alpha * s
			bound := math.Abs(p.alpha) * sa
			if p.beta != 0 {
				want += p.beta * p.c[idx]
				bound += math.Abs(p.beta * p.c[idx])
			}
			tol := 2*g*bound + 0x1p-1000
			if err := math.Abs(c[idx] - want); !(err <= tol) {
				t.Fatalf("%s %+v: C[%d,%d] = %v, naive %v: |diff| %.3g > bound %.3g", kname(asm), p.shape(), i, j, c[idx], want, err, tol)
			}
		}
	}
	return c
}

func (p *problem) shape() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d α=%g β=%g", p.tA, p.tB, p.m, p.n, p.k, p.lda, p.ldb, p.ldc, p.alpha, p.beta)
}

// TestDgemmNaive compares both kernels with the naive product over every
// transpose combination, sizes around the blocking (1, primes, mr, nr, kc
// and one past them, k = 1, k > kcBlock, m > mcBlock), strides larger
// than the rows and the special α, β.
func TestDgemmNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dims := []int{1, 2, 5, 6, 7, 8, 9, 13, 31, 97, 101}
	ks := []int{1, 3, 17, 255, 256, 257, 523}
	scalars := [][2]float64{{1, 0}, {1, 1}, {-0.75, 2.5}, {0.5, 0}}
	for _, asm := range kernels() {
		for trans := 0; trans < 4; trans++ {
			tA, tB := trans&1 != 0, trans&2 != 0
			for i := 0; i < 60; i++ {
				m, n, k := dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))], ks[rng.IntN(len(ks))]
				s := scalars[rng.IntN(len(scalars))]
				newProblem(rng, tA, tB, m, n, k, rng.IntN(3)*3, s[0], s[1]).check(t, asm)
			}
			// One shape past every cache block.
			newProblem(rng, tA, tB, mcBlock+mr+1, 2*nr+3, kcBlock+5, 2, 1.25, -1).check(t, asm)
		}
	}
	if testing.Short() {
		return
	}
	// n past ncBlock.
	for _, asm := range kernels() {
		newProblem(rng, false, true, 7, ncBlock+11, 9, 1, 1, 1).check(t, asm)
	}
}

// TestDgemmSpecial covers k = 0 and α = 0 (C = β C, A and B not read) and
// β = 0 with NaN in C (C is not read).
func TestDgemmSpecial(t *testing.T) {
	for _, asm := range kernels() {
		var w Workspace
		nan := math.NaN()
		c := []float64{1, 2, 3, 4}
		w.dgemm(asm, false, false, 2, 2, 0, 1, nil, 1, nil, 2, 3, c, 2)
		if c[0] != 3 || c[3] != 12 {
			t.Fatalf("%s: k = 0: C = %v, want 3·C", kname(asm), c)
		}
		a := []float64{nan, nan, nan, nan}
		w.dgemm(asm, false, false, 2, 2, 2, 0, a, 2, a, 2, 0, c, 2)
		for _, x := range c {
			if x != 0 {
				t.Fatalf("%s: α = β = 0: C = %v, want 0", kname(asm), c)
			}
		}
		for _, m := range []int{2, mr} { // an edge tile and a full one
			a := make([]float64, m*3)
			b := make([]float64, 3*nr)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 2
			}
			c := make([]float64, m*nr)
			for i := range c {
				c[i] = nan
			}
			w.dgemm(asm, false, false, m, nr, 3, 1, a, 3, b, nr, 0, c, nr)
			for _, x := range c {
				if x != 6 {
					t.Fatalf("%s: β = 0 with NaN in C (m = %d): C = %v, want 6", kname(asm), m, c)
				}
			}
		}
	}
}

// TestDgemmDeterministic checks that an element of C does not depend on
// where it falls in the call: the product of a row block and a column
// block of a larger problem, computed alone into a fresh C, is bit for bit
// the corresponding block of the whole product (edge tiles vs full
// tiles, other cache blocks), for both kernels.
func TestDgemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, asm := range kernels() {
		for trans := 0; trans < 4; trans++ {
			tA, tB := trans&1 != 0, trans&2 != 0
			const m, n, k = 203, 45, 300
			p := newProblem(rng, tA, tB, m, n, k, 0, 1.3, 0.3) // β·c inexact
			var w Workspace
			whole := append([]float64(nil), p.c...)
			w.dgemm(asm, tA, tB, m, n, k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, whole, p.ldc)
			for _, blk := range [][4]int{{1, 4, 3, 9}, {97, 203, 0, 45}, {200, 203, 40, 45}, {7, 8, 13, 14}} {
				i0, i1, j0, j1 := blk[0], blk[1], blk[2], blk[3]
				mi, nj := i1-i0, j1-j0
				var a, b []float64
				if tA {
					a = p.a[i0:]
				} else {
					a = p.a[i0*p.lda:]
				}
				if tB {
					b = p.b[j0*p.ldb:]
				} else {
					b = p.b[j0:]
				}
				c := make([]float64, mi*nj)
				for i := 0; i < mi; i++ {
					copy(c[i*nj:(i+1)*nj], p.c[(i0+i)*p.ldc+j0:])
				}
				w.dgemm(asm, tA, tB, mi, nj, k, p.alpha, a, p.lda, b, p.ldb, p.beta, c, nj)
				for i := 0; i < mi; i++ {
					for j := 0; j < nj; j++ {
						if got, want := c[i*nj+j], whole[(i0+i)*p.ldc+j0+j]; got != want {
							t.Fatalf("%s tA=%v tB=%v: C[%d,%d] alone = %v, in the whole product %v", kname(asm), tA, tB, i0+i, j0+j, got, want)
						}
					}
				}
			}
		}
	}
}

// TestDgemmNoAlloc checks that a Workspace that has seen a shape allocates
// nothing for it again.
func TestDgemmNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := newProblem(rng, true, false, 130, 70, 300, 0, 1, 1)
	var w Workspace
	w.Dgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	if n := testing.AllocsPerRun(5, func() {
		w.Dgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	}); n != 0 {
		t.Fatalf("Dgemm allocated %v times per call after warm-up", n)
	}
}

// TestDgemmPanics checks the argument checks.
func TestDgemmPanics(t *testing.T) {
	var w Workspace
	x := make([]float64, 12)
	for i, f := range []func(){
		func() { w.Dgemm(false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) },
		func() { w.Dgemm(false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) },     // lda < k
		func() { w.Dgemm(true, false, 3, 2, 2, 1, x, 2, x, 2, 0, x, 2) },      // tA: lda < m
		func() { w.Dgemm(false, false, 2, 2, 2, 1, x[:3], 2, x, 2, 0, x, 2) }, // A short
		func() { w.Dgemm(false, true, 2, 2, 2, 1, x, 2, x[:3], 2, 0, x, 2) },  // B short
		func() { w.Dgemm(false, false, 5, 3, 2, 1, x, 2, x, 3, 0, x, 3) },     // C short
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: no panic", i)
				}
			}()
			f()
		}()
	}
}

// FuzzDgemm compares both kernels with the naive product on fuzzed shapes.
func FuzzDgemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint16(1), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(7), uint8(9), uint16(257), uint8(3), uint8(2), uint64(2))
	f.Add(uint8(97), uint8(17), uint16(13), uint8(1), uint8(1), uint64(3))
	f.Fuzz(func(t *testing.T, m, n uint8, k uint16, trans, pad uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		mm, nn, kk := int(m%120)+1, int(n%40)+1, int(k%600)
		p := newProblem(rng, trans&1 != 0, trans&2 != 0, mm, nn, kk, int(pad%5), rng.NormFloat64(), float64(int(trans>>2)%3)-1)
		for _, asm := range kernels() {
			p.check(t, asm)
		}
	})
}
