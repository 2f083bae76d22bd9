package scenarios

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/grd-engine/grd/models"
)

// maxClasses bounds the number of classes (max label + 1) a data file may
// declare; it guards against a stray huge label allocating N×label bytes.
const maxClasses = 1 << 16

// Dataset is a loaded data section: the model-ready Data and a record of
// what was done to the file's columns.
type Dataset struct {
	// Data holds X (N×In, standardised if asked), Y (N×Out) and, for
	// classes, Labels.
	Data *models.Data
	// File is the file name used in messages.
	File string
	// Columns is the header row.
	Columns []string
	// Inputs and Targets name the columns of X and of the targets, in order.
	Inputs, Targets []string
	// Mean and Scale give, per input column, the standardisation applied:
	// x ↦ (x − Mean)/Scale. Mean 0 and Scale 1 when not standardised;
	// Scale 1 for a constant column (only centred).
	Mean, Scale []float64
	// Rows is the number of data rows in the file (N ≤ Rows with a limit).
	Rows int
	// Files lists the files read, in order (for IDX: images, then labels),
	// with their shapes: the data's provenance.
	Files []DataFile
	// Offset and Total: a sharded Dataset (Sharded, loaded for a rank of a
	// distributed run) holds in Data the samples [Offset, Offset+Data.N)
	// of a data set of Total samples, standardised with the whole data
	// set's Mean and Scale. Both are 0 for a Dataset holding every sample.
	Offset, Total int

	lines []int       // file line of each sample held (CSV)
	shard *shardState // nil unless sharded
}

// ReadData reads a CSV table (a header row, then numbers only) from r and
// prepares it as spec says: picks the target and input columns, keeps the
// first spec.Limit rows, z-scores the inputs with the population standard
// deviation (a constant column is only centred) unless spec.Standardize is
// false, and turns class labels into one-hot targets when spec.Classes.
// name is used in messages, which have the form name:line:column.
// spec.CSV is not read (the caller opened the file).
func ReadData(r io.Reader, name string, spec DataSpec) (*Dataset, error) {
	var x, y []float64
	var lines []int
	ds, rows, err := csvRows(r, name, spec, func(_ int, xr, yr []float64, line int) error {
		lines = append(lines, line)
		x = append(x, xr...)
		y = append(y, yr...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	header := ds.Columns
	nIn, nOut := len(ds.Inputs), len(ds.Targets)
	n := len(lines)
	ds.Rows = rows
	ds.lines = lines
	ds.Files = []DataFile{{Path: name, Shape: fmt.Sprintf("%d rows × %d columns", rows, len(header))}}
	ds.Mean = make([]float64, nIn)
	ds.Scale = make([]float64, nIn)
	for j := range ds.Scale {
		ds.Scale[j] = 1
	}
	if spec.StandardizeOn() {
		standardize(x, n, nIn, ds.Mean, ds.Scale)
	}
	data := &models.Data{N: n, In: nIn, Out: nOut, X: x, Y: y}
	if spec.Classes {
		k := 0
		labels := make([]int, n)
		for i, v := range y {
			labels[i] = int(v)
			k = max(k, labels[i]+1)
		}
		data.Out = k
		data.Labels = labels
		data.Y = make([]float64, n*k)
		for i, l := range labels {
			data.Y[i*k+l] = 1
		}
	}
	ds.Data = data
	if err := data.Validate(); err != nil {
		panic(fmt.Sprintf("scenarios: internal error: ReadData produced invalid data: %v", err))
	}
	return ds, nil
}

// pickColumns resolves the target and input columns by name.
func pickColumns(ds *Dataset, index map[string]int, spec DataSpec) (targets, inputs []int, err error) {
	header := ds.Columns
	missing := func(key, col string) error {
		return &Error{File: ds.File, Line: 1, Key: key,
			Msg: fmt.Sprintf("no column %q (columns: %s)", col, oneOf(header)), Err: ErrData}
	}
	isTarget := make([]bool, len(header))
	if len(spec.Target) == 0 {
		targets = []int{len(header) - 1}
	}
	for _, t := range spec.Target {
		j, ok := index[t]
		if !ok {
			return nil, nil, missing("data.target", t)
		}
		targets = append(targets, j)
	}
	for _, j := range targets {
		isTarget[j] = true
	}
	if spec.Inputs == nil {
		for j := range header {
			if !isTarget[j] {
				inputs = append(inputs, j)
			}
		}
	}
	for _, in := range spec.Inputs {
		j, ok := index[in]
		if !ok {
			return nil, nil, missing("data.inputs", in)
		}
		if isTarget[j] {
			return nil, nil, &Error{File: ds.File, Line: 1, Key: "data.inputs",
				Msg: fmt.Sprintf("column %q is a target; a column is either an input or a target", in), Err: ErrConflict}
		}
		inputs = append(inputs, j)
	}
	if len(inputs) == 0 {
		return nil, nil, &Error{File: ds.File, Line: 1, Key: "data.inputs",
			Msg: fmt.Sprintf("no input columns (columns: %s; targets: %s)", oneOf(header), oneOf(names(header, targets))), Err: ErrData}
	}
	ds.Inputs = names(header, inputs)
	ds.Targets = names(header, targets)
	return targets, inputs, nil
}

func names(header []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = header[j]
	}
	return out
}

// MaxMagnitude bounds every number read from a data, pattern or weight
// file and init.normal: the losses, their derivatives and the
// standardisation square values, and 1e150² = 1e300 is still finite where
// 1e155² overflows float64. Larger values are refused where they are
// written, not discovered as a non-finite loss later.
const MaxMagnitude = 1e150

// decimalNumber is the syntax of the numbers data, pattern and weight files
// hold: a decimal floating-point literal, optionally signed, with an
// optional exponent (what strconv.ParseFloat reads, less its hexadecimal
// form, its '_' digit separators and its words Inf and NaN).
var decimalNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// parseCell reads one number; msg is "" or what is wrong with the cell.
func parseCell(cell string) (v float64, msg string) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return 0, "empty cell, want a number"
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Sprintf("cannot read %s as a number", strconv.Quote(clip(s)))
	case !math.IsNaN(v) && !math.IsInf(v, 0) && !decimalNumber.MatchString(s):
		return 0, fmt.Sprintf("cannot read %s as a number: want a decimal number such as 2, -0.5 or 1.5e-3 (hexadecimal floats and digit separators '_' are not accepted)", strconv.Quote(clip(s)))
	case math.IsNaN(v):
		return 0, fmt.Sprintf("%s is not a number (NaN is not allowed)", strconv.Quote(clip(s)))
	case math.IsInf(v, 0):
		return 0, fmt.Sprintf("%s is infinite or out of range (want a finite number)", strconv.Quote(clip(s)))
	case math.Abs(v) > MaxMagnitude:
		return 0, fmt.Sprintf("%s is too large in magnitude: want |value| ≤ %g (the losses and the standardisation square it, and its square must be finite)", strconv.Quote(clip(s)), MaxMagnitude)
	}
	return v, "" // a finite value; ErrRange here means an underflow to (sub)normal or zero
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkLabel checks a class label: an integer in 0..maxClasses−1.
func checkLabel(v float64) string {
	switch {
	case v != math.Trunc(v):
		return fmt.Sprintf("class label %g is not an integer (classes: true wants labels 0..K−1; use classes: false for regression)", v)
	case v < 0:
		return fmt.Sprintf("class label %g is negative (want 0..K−1)", v)
	case v >= maxClasses:
		return fmt.Sprintf("class label %g is too large (at most %d classes)", v, maxClasses)
	}
	return ""
}

// standardize z-scores the columns of the n×m row-major x in place with
// the population standard deviation, recording mean and scale per column.
// A constant column (all values equal) is only centred (scale 1). The
// loops run row by row (cache-friendly for 60000×784 images); each
// column's sums still accumulate in row order.
func standardize(x []float64, n, m int, mean, scale []float64) {
	st := newColStats(m)
	for i := range n {
		st.add(x[i*m : (i+1)*m])
	}
	st.centre()
	for i := range n {
		st.addSquares(x[i*m : (i+1)*m])
	}
	st.finish(mean, scale)
	for i := range n {
		st.apply(x[i*m:(i+1)*m], mean, scale)
	}
}

// colStats computes standardize's statistics from rows streamed twice
// (add over every row, centre, addSquares over every row, finish), so
// that a process holding only some rows of a file (a rank of a
// distributed run, shard.go) gets the same bits as one holding them all:
// the arithmetic is the same, in the same row order.
type colStats struct {
	n        int
	sum, ss  []float64
	first    []float64
	constant []bool
	mu       []float64
}

func newColStats(m int) *colStats {
	st := &colStats{sum: make([]float64, m), ss: make([]float64, m), first: make([]float64, m),
		constant: make([]bool, m), mu: make([]float64, m)}
	for j := range st.constant {
		st.constant[j] = true
	}
	return st
}

// add accumulates a row's values (pass 1).
func (st *colStats) add(row []float64) {
	if st.n == 0 {
		copy(st.first, row)
	}
	st.n++
	for j, v := range row {
		st.sum[j] += v
		st.constant[j] = st.constant[j] && v == st.first[j]
	}
}

// centre fixes the column means after pass 1.
func (st *colStats) centre() {
	for j := range st.mu {
		st.mu[j] = st.sum[j] / float64(st.n)
		if st.constant[j] {
			st.mu[j] = st.first[j]
		}
	}
}

// addSquares accumulates a row's squares about the mean (pass 2).
func (st *colStats) addSquares(row []float64) {
	for j, v := range row {
		d := v - st.mu[j]
		st.ss[j] += d * d
	}
}

// finish sets the mean and scale of every column after pass 2.
func (st *colStats) finish(mean, scale []float64) {
	for j := range mean {
		if st.constant[j] {
			mean[j], scale[j] = st.mu[j], 1
			continue
		}
		sd := math.Sqrt(st.ss[j] / float64(st.n))
		if !(sd > 0) || math.IsInf(sd, 0) {
			sd = 1 // a spread below the float resolution, or overflowing: centre only
		}
		mean[j], scale[j] = st.mu[j], sd
	}
}

// apply standardises one row in place with finish's mean and scale.
func (st *colStats) apply(row, mean, scale []float64) {
	for j, v := range row {
		if st.constant[j] {
			row[j] = 0
		} else {
			row[j] = (v - mean[j]) / scale[j]
		}
	}
}

// csvRows reads a CSV table as ReadData does and calls row, in file
// order, for each row used (the first spec.Limit, or all) with its index
// i, its input and target values (views, valid during the call) and its
// file line. It returns a Dataset with the header, the input and target
// names filled, and the number of data rows in the file (all checked,
// used or not). An error from row is returned as it is.
func csvRows(r io.Reader, name string, spec DataSpec, row func(i int, x, y []float64, line int) error) (*Dataset, int, error) {
	t := openCSV(r, name)
	if err := t.header("empty file: want a header row of column names, then rows of numbers"); err != nil {
		return nil, 0, err
	}
	header := t.cols
	ds := &Dataset{File: name, Columns: header}
	targets, inputs, err := pickColumns(ds, t.index, spec)
	if err != nil {
		return nil, 0, err
	}
	vals := make([]float64, len(header))
	xr, yr := make([]float64, len(inputs)), make([]float64, len(targets))
	var check func(i int, cell string, v float64) string
	if spec.Classes {
		label := targets[0]
		check = func(i int, _ string, v float64) string {
			if i == label {
				return checkLabel(v)
			}
			return ""
		}
	}
	used := 0
	for t.next(vals, check) {
		if spec.Limit > 0 && t.rows > spec.Limit {
			continue // checked, not used
		}
		for k, j := range inputs {
			xr[k] = vals[j]
		}
		for k, j := range targets {
			yr[k] = vals[j]
		}
		if err := row(used, xr, yr, t.line()); err != nil {
			return nil, 0, err
		}
		used++
	}
	if err := t.failed(); err != nil {
		return nil, 0, err
	}
	if t.rows == 0 {
		return nil, 0, t.fail(1, 0, "header only: no data rows")
	}
	return ds, t.rows, nil
}
