// Package gemm is grd's pure-Go matrix product for the default
// (non-openblas) build: C = α op(A) op(B) + β C on row-major float64
// matrices, serial, on the calling goroutine.
//
// It is the textbook blocked algorithm (Goto and van de Geijn, "Anatomy of
// high-performance matrix multiplication", 2008): op(B) is packed in
// blocks of kcBlock × ncBlock into panels of nr columns, op(A) in blocks of
// mcBlock × kcBlock into panels of mr rows, with zeros padding the last
// panel of each, and a register-blocked micro-kernel multiplies one A panel
// by one B panel into an mr × nr tile of C. On amd64 CPUs with AVX2 and
// FMA (detected at run time, golang.org/x/sys/cpu) the micro-kernel is
// assembly (kernel_amd64.s); elsewhere it is portable Go.
//
// Determinism: every element of C is summed over p = 0 … k−1 in order,
// in blocks of kcBlock: C ← α·acc₀ + β·C, then C ← α·acc_b + C for the
// following blocks, each acc_b summed in order by one accumulator. The
// order depends only on k, never on the element's position in C, the
// shape of the call or the goroutine: edge tiles run the same micro-kernel
// on zero-padded panels and apply the same update (with the same fused
// multiply-add as the assembly). Results differ between the assembly and
// the portable kernel (FMA rounds once), not between calls.
//
// A Workspace owns the packing buffers; it grows them on first use and
// allocates nothing afterwards for calls no larger than before. One
// Workspace must not be used by two goroutines at once.
package gemm

import (
	"fmt"
	"math"
)

// Register and cache blocking. mr × nr is the micro-kernel's tile of C
// (12 AVX2 accumulators); a kcBlock × nr panel of B (16 KiB) stays in L1
// while the mcBlock × kcBlock block of A (192 KiB) streams from L2, and the
// kcBlock × ncBlock block of B (up to 8 MiB) from L3. A Workspace holds
// at most one block of each, 8.6 MB.
const (
	mr      = 6
	nr      = 8
	kcBlock = 256
	mcBlock = 96 // a multiple of mr
	ncBlock = 4096
)

// Workspace holds the packing buffers of Dgemm. The zero value is ready to
// use.
type Workspace struct {
	a, b []float64
}

// Dgemm sets C = α op(A) op(B) + β C for the row-major m×n matrix C
// (stride ldc), where op(A) is m×k and op(B) is k×n: op(A) = A, stored
// m×k with stride lda, or with tA op(A) = Aᵀ for A stored k×m; likewise
// op(B) = B (k×n, stride ldb) or with tB Bᵀ for B stored n×k. As in BLAS,
// β = 0 sets C without reading it, and α = 0 or k = 0 only scales C by β.
// It panics if a dimension is negative, a stride is smaller than its
// matrix's row length, or a slice is too short.
func (w *Workspace) Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	w.dgemm(useAsm, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (w *Workspace) dgemm(asm, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: Dgemm: m, n, k = %d, %d, %d: need all ≥ 0", m, n, k))
	}
	checkMat("A", a, ar, ac, lda)
	checkMat("B", b, br, bc, ldb)
	checkMat("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(c, m, n, ldc, beta)
		return
	}
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			bp := w.packB(tB, b, ldb, pc, kc, jc, nc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += mcBlock {
				mc := min(mcBlock, m-ic)
				ap := w.packA(tA, a, lda, ic, mc, pc, kc)
				macro(asm, mc, nc, kc, alpha, ap, bp, bet, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// checkMat panics unless x holds a rows×cols row-major matrix with stride
// ld.
func checkMat(name string, x []float64, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: Dgemm: stride of %s is %d, less than its row length %d", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: Dgemm: %s is %d×%d with stride %d, needs %d elements, has %d", name, rows, cols, ld, (rows-1)*ld+cols, len(x)))
	}
}

// scale sets C = β C (β = 0: C = 0 without reading it).
func scale(c []float64, m, n, ldc int, beta float64) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		r := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(r)
			continue
		}
		for j := range r {
			r[j] *= beta
		}
	}
}

// grow returns buf with length at least n, reallocated only if too short.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into
// panels of mr rows: element (i0+ir+r, p0+p) at ir/mr·kc·mr + p·mr + r,
// zero past row mc.
func (w *Workspace) packA(tA bool, a []float64, lda, i0, mc, p0, kc int) []float64 {
	w.a = grow(w.a, (mc+mr-1)/mr*kc*mr)
	// op(A)(i, p) is A[p·lda + i] when transposed: the panel's rows are
	// contiguous in memory.
	packPanels(w.a, mr, a, lda, tA, i0, mc, p0, kc)
	return w.a
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+nc) of op(B) into
// panels of nr columns: element (p0+p, j0+jr+c) at jr/nr·kc·nr + p·nr + c,
// zero past column nc.
func (w *Workspace) packB(tB bool, b []float64, ldb, p0, kc, j0, nc int) []float64 {
	w.b = grow(w.b, (nc+nr-1)/nr*kc*nr)
	// op(B)(p, j) is B[p·ldb + j] when not transposed: the panel's
	// columns are contiguous in memory.
	packPanels(w.b, nr, b, ldb, !tB, j0, nc, p0, kc)
	return w.b
}

// packPanels packs the m×kc block at (i0, p0) of a matrix M into panels
// of width lines: M's line i0+q·width+r, element p0+p, goes to
// dst[q·kc·width + p·width + r], zero past line m. M(i, p) is
// x[p·ld + i] when lineContiguous (a line's elements are adjacent across
// lines: copy rows of width), else x[i·ld + p] (interleave width lines).
// width is mr (A's panels) or nr (B's).
func packPanels(dst []float64, width int, x []float64, ld int, lineContiguous bool, i0, m, p0, kc int) {
	np := (m + width - 1) / width
	for q := 0; q < np; q++ {
		pan := dst[q*kc*width : (q+1)*kc*width]
		lines := min(width, m-q*width)
		i := i0 + q*width
		if lineContiguous {
			for p := 0; p < kc; p++ {
				src := x[(p0+p)*ld+i : (p0+p)*ld+i+lines]
				d := pan[p*width : p*width+width]
				copy(d, src)
				clear(d[lines:])
			}
			continue
		}
		if lines == width {
			if width == mr {
				packRows6(pan, x[i*ld+p0:], ld, kc)
			} else {
				packRows8(pan, x[i*ld+p0:], ld, kc)
			}
			continue
		}
		for r := 0; r < lines; r++ {
			src := x[(i+r)*ld+p0 : (i+r)*ld+p0+kc]
			for p, v := range src {
				pan[p*width+r] = v
			}
		}
		for r := lines; r < width; r++ {
			for p := 0; p < kc; p++ {
				pan[p*width+r] = 0
			}
		}
	}
}

// packRows6 interleaves the first kc elements of the 6 rows of x (stride
// ld) into dst: dst[p·6 + r] = x[r·ld + p].
func packRows6(dst, x []float64, ld, kc int) {
	r0, r1, r2 := x[:kc], x[ld:ld+kc], x[2*ld:2*ld+kc]
	r3, r4, r5 := x[3*ld:3*ld+kc], x[4*ld:4*ld+kc], x[5*ld:5*ld+kc]
	dst = dst[:6*kc]
	for p := range r0 {
		d := (*[6]float64)(dst[6*p:])
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packRows8 interleaves the first kc elements of the 8 rows of x (stride
// ld) into dst: dst[p·8 + r] = x[r·ld + p].
func packRows8(dst, x []float64, ld, kc int) {
	r0, r1, r2, r3 := x[:kc], x[ld:ld+kc], x[2*ld:2*ld+kc], x[3*ld:3*ld+kc]
	r4, r5, r6, r7 := x[4*ld:4*ld+kc], x[5*ld:5*ld+kc], x[6*ld:6*ld+kc], x[7*ld:7*ld+kc]
	dst = dst[:8*kc]
	for p := range r0 {
		d := (*[8]float64)(dst[8*p:])
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]
	}
}

// macro multiplies the packed mc×kc block ap by the packed kc×nc block bp
// into C (the block's top-left corner at c[0], stride ldc): C = α·acc + β·C.
func macro(asm bool, mc, nc, kc int, alpha float64, ap, bp []float64, beta float64, c []float64, ldc int) {
	var tile [mr * nr]float64
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bpan := bp[jr*kc : jr*kc+kc*nr]
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			apan := ap[ir*kc : ir*kc+kc*mr]
			ct := c[ir*ldc+jr:]
			if !asm {
				kernelGo(kc, apan, bpan, &tile)
				update(ct, ldc, &tile, rows, cols, alpha, beta, false)
				continue
			}
			if rows == mr && cols == nr {
				_ = ct[(mr-1)*ldc+nr-1]
				kernelFull(kc, apan, bpan, ct, ldc, alpha, beta)
				continue
			}
			// An edge tile: the same kernel into tile with α = 1 (exact),
			// then the kernel's own update, α·acc rounded, then one FMA.
			kernelFull(kc, apan, bpan, tile[:], nr, 1, 0)
			update(ct, ldc, &tile, rows, cols, alpha, beta, true)
		}
	}
}

// kernelGo is the portable micro-kernel: tile = Σ_p a_p b_pᵀ for the
// packed mr×kc panel a and kc×nr panel b, summed in order of p.
func kernelGo(kc int, a, b []float64, tile *[mr * nr]float64) {
	var acc [mr * nr]float64
	a = a[:kc*mr]
	b = b[:kc*nr]
	for p := 0; p < kc; p++ {
		ap := (*[mr]float64)(a[p*mr:])
		bp := (*[nr]float64)(b[p*nr:])
		for r := 0; r < mr; r++ {
			x := ap[r]
			row := (*[nr]float64)(acc[r*nr:])
			for j := 0; j < nr; j++ {
				row[j] += x * bp[j]
			}
		}
	}
	*tile = acc
}

// update sets the rows×cols corner of C to α·tile + β·C (β = 0: α·tile).
// fused rounds β·C + α·tile as the assembly kernel does, α·tile rounded
// then one FMA (edge tiles of the assembly path); otherwise as two
// rounded products and a sum (the portable path).
func update(c []float64, ldc int, tile *[mr * nr]float64, rows, cols int, alpha, beta float64, fused bool) {
	for r := 0; r < rows; r++ {
		cr := c[r*ldc : r*ldc+cols]
		tr := tile[r*nr : r*nr+cols]
		switch {
		case beta == 0:
			for j, t := range tr {
				cr[j] = alpha * t
			}
		case fused:
			for j, t := range tr {
				cr[j] = math.FMA(beta, cr[j], alpha*t)
			}
		default:
			for j, t := range tr {
				cr[j] = beta*cr[j] + alpha*t
			}
		}
	}
}
