package scenarios

// This file loads a shard of a data file: the rows one rank of a
// distributed run computes on (DESIGN §7: each rank loads only its rows).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/grd-engine/grd/models"
)

// RowRange chooses, from the number n of samples of a data set, the rows
// [lo, hi) a process keeps (0 ≤ lo < hi ≤ n): a rank of a distributed run
// keeps those its passes read (engine.ShardRows).
type RowRange func(n int) (lo, hi int)

// rowStream calls fn, in file order, for every row used of a data file
// (the first data.limit, or all): its index, its raw inputs and its raw
// targets (a class label as one value), views valid during the call, and
// its file line (0 for IDX). It reads the file afresh on every call.
type rowStream func(fn func(i int, x, y []float64, line int) error) error

// shardState is what a sharded Dataset keeps to reproduce the bits of the
// whole data set (WriteBits) without holding it.
type shardState struct {
	stream  rowStream
	st      *colStats
	std     bool // the inputs are standardised
	classes int  // K > 0: targets are one-hot labels 0..K−1
	out     int  // target width (K for classes)
	n       int  // samples in the whole data set
}

// Sharded reports whether ds holds only some rows of its data set (loaded
// with a RowRange): Data then holds rows [Offset, Offset+Data.N) of Total.
func (ds *Dataset) Sharded() bool { return ds.shard != nil }

// WriteBits writes the whole data set's model-ready X and Y as exact bits
// to w: "x", len(X) (uint64, little-endian), each value's IEEE-754 bits,
// then the same for "y". A sharded Dataset re-reads its file to do so, so
// the bytes do not depend on the rows held (checkpoints hash them).
func (ds *Dataset) WriteBits(w io.Writer) error {
	var buf [8]byte
	put := func(x float64) {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
		w.Write(buf[:])
	}
	head := func(label string, n int) {
		io.WriteString(w, label)
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		w.Write(buf[:])
	}
	d := ds.Data
	sh := ds.shard
	if sh == nil {
		head("x", len(d.X))
		for _, x := range d.X {
			put(x)
		}
		head("y", len(d.Y))
		for _, y := range d.Y {
			put(y)
		}
		return nil
	}
	head("x", sh.n*d.In)
	row := make([]float64, d.In)
	err := sh.stream(func(_ int, x, _ []float64, _ int) error {
		copy(row, x)
		if sh.std {
			sh.st.apply(row, ds.Mean, ds.Scale)
		}
		for _, v := range row {
			put(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	head("y", sh.n*sh.out)
	return sh.stream(func(_ int, _, y []float64, _ int) error {
		if sh.classes == 0 {
			for _, v := range y {
				put(v)
			}
			return nil
		}
		for k := range sh.classes {
			put(oneHot(k, int(y[0])))
		}
		return nil
	})
}

func oneHot(k, label int) float64 {
	if k == label {
		return 1
	}
	return 0
}

// loadShard reads the rows rows(n) of the scenario's CSV or IDX data with
// the statistics of the whole data set: it streams the file twice (column
// sums, then sums of squares about the mean, as standardize does, in the
// same row order, so mean and scale are bit-identical to an unsharded
// load) and keeps only the rows asked for. The class count K is that of
// the whole data set too. An RBM's data is read whole (LoadData).
func (s *Scenario) loadShard(rows RowRange) (*Dataset, error) {
	var stream rowStream
	var ds *Dataset
	classes := true
	if s.Data.IsIDX() {
		var err error
		if ds, stream, err = s.idxStream(); err != nil {
			return nil, err
		}
	} else {
		ds, stream = s.csvStream()
		classes = s.Data.Classes
	}
	var st *colStats
	in, out, maxLabel, n := 0, 0, -1, 0
	err := stream(func(i int, x, y []float64, _ int) error {
		if st == nil {
			in, st = len(x), newColStats(len(x))
		}
		st.add(x)
		out = len(y)
		if classes {
			maxLabel = max(maxLabel, int(y[0]))
		}
		n = i + 1
		return nil
	})
	if err != nil {
		return nil, err
	}
	identity(ds, in)
	lo, hi := rows(n)
	if lo < 0 || hi > n || lo >= hi {
		panic(fmt.Sprintf("scenarios: RowRange(%d) = [%d, %d), want 0 ≤ lo < hi ≤ N", n, lo, hi))
	}
	std := s.Data.StandardizeOn()
	st.centre()
	var x, y []float64
	var lines []int
	err = stream(func(i int, xr, yr []float64, line int) error {
		if std {
			st.addSquares(xr)
		}
		if lo <= i && i < hi {
			x = append(x, xr...)
			y = append(y, yr...)
			if line > 0 {
				lines = append(lines, line)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if std {
		st.finish(ds.Mean, ds.Scale)
		for i := range hi - lo {
			st.apply(x[i*in:(i+1)*in], ds.Mean, ds.Scale)
		}
	}
	m := hi - lo
	data := &models.Data{N: m, In: in, Out: out, X: x, Y: y}
	sh := &shardState{stream: stream, st: st, std: std, out: out, n: n}
	if classes {
		k := maxLabel + 1
		data.Out, data.Labels, data.Y = k, make([]int, m), make([]float64, m*k)
		for i, v := range y {
			data.Labels[i] = int(v)
			data.Y[i*k+int(v)] = 1
		}
		sh.classes, sh.out = k, k
	}
	if err := data.Validate(); err != nil {
		panic(fmt.Sprintf("scenarios: internal error: loadShard produced invalid data: %v", err))
	}
	ds.Data, ds.Offset, ds.Total, ds.shard = data, lo, n, sh
	ds.lines = lines
	return ds, nil
}

// csvStream is the rowStream of the scenario's CSV and the Dataset its
// first complete read fills (header, column names, file record).
func (s *Scenario) csvStream() (*Dataset, rowStream) {
	spec := *s.Data
	ds := &Dataset{}
	stream := func(fn func(i int, x, y []float64, line int) error) error {
		f, name, err := s.openFile("data.csv", spec.CSV, ErrData)
		if err != nil {
			return err
		}
		defer f.Close()
		d, rows, err := csvRows(f, name, spec, fn)
		if err != nil {
			return err
		}
		if ds.Columns == nil {
			*ds = *d
			ds.Rows = rows
			ds.Files = []DataFile{{Path: name, Shape: fmt.Sprintf("%d rows × %d columns", rows, len(d.Columns)),
				Embedded: strings.HasPrefix(spec.CSV, BuiltinDataPrefix)}}
		}
		return nil
	}
	return ds, stream
}

// identity sets ds's standardisation to none for in inputs.
func identity(ds *Dataset, in int) {
	ds.Mean, ds.Scale = make([]float64, in), make([]float64, in)
	for j := range ds.Scale {
		ds.Scale[j] = 1
	}
}

// idxBlock is the number of IDX rows a stream reads at a time.
const idxBlock = 1024

// idxStream is the rowStream of the scenario's IDX pair and a Dataset
// with its file records and identity standardisation.
func (s *Scenario) idxStream() (*Dataset, rowStream, error) {
	p, _, err := s.openIDX()
	if err != nil {
		return nil, nil, err
	}
	n, in := p.N(), p.Inputs()
	if s.Data.Limit > 0 {
		n = min(n, s.Data.Limit)
	}
	ds := &Dataset{File: p.Images.Name(), Rows: p.N(), Files: []DataFile{
		{Path: p.Images.Name(), Shape: p.Images.Shape()},
		{Path: p.Labels.Name(), Shape: p.Labels.Shape()},
	}}
	p.Close()
	stream := func(fn func(i int, x, y []float64, line int) error) error {
		p, key, err := s.openIDX()
		if err != nil {
			return err
		}
		defer p.Close()
		x, labels, y := make([]float64, idxBlock*in), make([]int, idxBlock), make([]float64, 1)
		for a := 0; a < n; a += idxBlock {
			b := min(n, a+idxBlock)
			if err := p.Read(x[:(b-a)*in], labels[:b-a], a, b); err != nil {
				return s.errAt(key, err.Error(), errors.Join(ErrData, err))
			}
			for i := range b - a {
				y[0] = float64(labels[i])
				if err := fn(a+i, x[i*in:(i+1)*in], y, 0); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return ds, stream, nil
}
