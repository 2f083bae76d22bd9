// Package textfmt formats numbers for the text grd shows to people
// (tables, verdicts, warnings, plot labels), the same way everywhere.
// Machine-readable outputs (CSV, JSON) keep full precision instead.
package textfmt

import (
	"fmt"
	"math"
	"strconv"
)

// G formats x compactly: 4 significant digits (%.4g).
func G(x float64) string { return fmt.Sprintf("%.4g", x) }

// Pct formats a ratio as a percentage with 3 significant digits ("n/a"
// when x is NaN or infinite).
func Pct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(100*x, 'g', 3, 64) + "%"
}
