package flow

// sumOf returns Σx summed in index order.
func sumOf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// meanOf returns the mean of x by the corrected two-pass formula
// m = Σx/N, m += Σ(x − m)/N, summing in index order (the arithmetic of
// the geometry's means, so that an ensemble's noise is centred exactly as
// before the flows left package engine).
func meanOf(x []float64) float64 {
	m := sumOf(x) / float64(len(x))
	var c float64
	for _, v := range x {
		c += v - m
	}
	return m + c/float64(len(x))
}
