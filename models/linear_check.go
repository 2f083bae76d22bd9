package models

import "fmt"

// Shape checks shared by the built-in Quadratic, LinearRegression and
// Logistic evaluators. A failed check is a programmer error and panics with
// a message naming the model, the method and what would be valid.

// chkChunk panics unless 0 ≤ lo ≤ hi ≤ n, hi−lo ≤ maxChunk and len(w) = d.
func chkChunk(model, op string, n, d, maxChunk int, w []float64, lo, hi int) {
	if lo < 0 || hi < lo || hi > n || hi-lo > maxChunk {
		panic(fmt.Sprintf("models: %s: %s: chunk [%d, %d) invalid, want 0 ≤ lo ≤ hi ≤ N = %d and hi−lo ≤ maxChunk = %d",
			model, op, lo, hi, n, maxChunk))
	}
	if len(w) != d {
		panic(fmt.Sprintf("models: %s: %s: len(w) = %d, want d = %d", model, op, len(w), d))
	}
}

// chkLen panics unless x is nil (when optional) or has length want.
func chkLen(model, op, what string, x []float64, want int, optional bool) {
	if (optional && x == nil) || len(x) == want {
		return
	}
	panic(fmt.Sprintf("models: %s: %s: len(%s) = %d, want %d", model, op, what, len(x), want))
}
