package scenarios

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Random streams: NewSource(seed, stream) gives each use of the scenario
// seed its own independent PCG stream, so that adding, say, SGD runs does
// not change w0.
const (
	StreamInit      uint64 = 1 // init: normal
	StreamQuadratic uint64 = 2 // generated quadratic samples
	StreamSGD       uint64 = 3 // SGD batches; run r uses NewSource(seed, StreamSGD+16·r)
	StreamSDE       uint64 = 4 // SDE noise; run r uses NewSource(seed, StreamSDE+16·r)
)

// NewSource returns the deterministic PCG source for a scenario seed and a
// stream (math/rand/v2).
func NewSource(seed, stream uint64) *rand.PCG {
	return rand.NewPCG(seed, 0x9e3779b97f4a7c15^stream)
}

// LoadData reads the scenario's data section (nil, nil for a quadratic):
// the CSV at data.csv, resolved against the scenario's directory, prepared
// by ReadData, or the IDX files of data.idx or data.fashion-mnist, read by
// ReadIDX. Errors cite the file, line and column (CSV) or byte offset (IDX).
func (s *Scenario) LoadData() (*Dataset, error) {
	if s.Data == nil {
		return nil, nil
	}
	if s.Model.Kind == KindRBM {
		return s.loadRBMData() // rbm.go
	}
	if s.Data.IsIDX() {
		return s.loadIDX() // idxdata.go
	}
	f, name, err := s.openFile("data.csv", s.Data.CSV, ErrData)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ds, err := ReadData(f, name, *s.Data)
	if err == nil && strings.HasPrefix(s.Data.CSV, BuiltinDataPrefix) {
		ds.Files[0].Embedded = true
	}
	return ds, err
}

// InitialWeights returns w0 for a model with d weights as init says:
// normal (w_i ~ N(0, σ²) from NewSource(seed, StreamInit)), w (its length
// must be d) or file (one value per line, exactly d of them).
func (s *Scenario) InitialWeights(d int) ([]float64, error) {
	in := &s.Init
	switch {
	case in.Normal != nil:
		r := rand.New(NewSource(s.Seed, StreamInit))
		w := make([]float64, d)
		for i := range w {
			w[i] = *in.Normal * r.NormFloat64()
		}
		return w, nil
	case in.W != nil:
		if len(in.W) != d {
			return nil, s.errAt("init.w", fmt.Sprintf("has %d values, the model has d = %d weights", len(in.W), d), ErrShape)
		}
		return append([]float64(nil), in.W...), nil
	case in.File != "":
		f, name, err := s.openFile("init.file", in.File, ErrWeights)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadWeights(f, name, d)
	}
	panic("scenarios: InitialWeights on a scenario without init (call SetDefaults and Validate first)")
}
