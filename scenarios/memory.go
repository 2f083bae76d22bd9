package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/grd-engine/grd/engine"
)

// ErrTooLarge: a run whose estimated memory exceeds the limit (the
// machine's available memory or --max-memory).
var ErrTooLarge = errors.New("too large for the memory limit")

// BuildOptions are BuildWithin's: the memory limit a scenario's estimated
// memory is checked against, and what the run will do. The zero value
// checks nothing beyond Build.
type BuildOptions struct {
	// MaxMemory is the limit in bytes; 0 means no check.
	MaxMemory float64
	// MemorySource says where the limit comes from, for messages
	// ("--max-memory", "MemAvailable in /proc/meminfo", …).
	MemorySource string
	// Workers is the number of worker goroutines the run will use (at
	// least 1): each has scratch of its own.
	Workers int
	// Flows lists the flows that will run (nil: the scenario's).
	Flows []string
	// Declared lists further flows whose settings are checked against the
	// data (sgd, sde, cd batch ≤ N) although they do not run: grd check
	// runs gd, ngd and grd but validates the scenario's own flows too.
	Declared []string
	// Rows, if not nil, loads only the samples Rows(N) (one rank of a
	// distributed run; see BuildRows).
	Rows RowRange
}

// MemoryPart is one term of a MemoryEstimate.
type MemoryPart struct {
	What  string  // what takes the memory, with its sizes
	Key   string  // the scenario key (or flag) that controls it
	Fix   string  // what to change to need less
	Bytes float64 // estimated bytes
}

// MemoryEstimate is the memory a run of a scenario is estimated to need:
// its terms, the largest first. It counts what grows with the problem
// (data, model storage, output rows, ensembles, per-worker scratch, dense
// matrices) and ignores what is a few d-vectors. Estimates are upper
// bounds of the order of magnitude, not exact: their purpose is to refuse
// a run that cannot fit before it allocates, rather than to crash.
type MemoryEstimate struct {
	Dim, Samples int
	Parts        []MemoryPart
}

// Total is the sum of the parts in bytes.
func (e MemoryEstimate) Total() float64 {
	t := 0.0
	for _, p := range e.Parts {
		t += p.Bytes
	}
	return t
}

// modelDim is d and N for s on the data set ds (nil for a quadratic),
// computed from the description without building the model, and the widths
// of a network's layers (nil for other kinds).
func (s *Scenario) modelDim(ds *Dataset) (d, n float64, widths []float64) {
	m := &s.Model
	in, out := 0.0, 0.0
	if ds != nil && ds.Data != nil {
		n, in, out = float64(ds.Data.N), float64(ds.Data.In), float64(ds.Data.Out)
	}
	switch m.Kind {
	case KindQuadratic:
		if len(m.Samples) > 0 {
			return float64(len(m.Samples[0].C)), float64(len(m.Samples)), nil
		}
		return float64(m.Dim), float64(m.Count), nil
	case KindLinearRegression, KindLogistic:
		d = in * out
		if m.Bias {
			d += out
		}
		return d, n, nil
	case KindTwoLayer:
		widths = []float64{in, float64(m.Hidden), out}
	case KindMLP:
		for _, l := range m.Layers {
			widths = append(widths, float64(l))
		}
	case KindRBM:
		h := float64(m.Hidden)
		return in*h + in + h, n, nil
	}
	for i := 1; i < len(widths); i++ {
		d += widths[i] * (widths[i-1] + 1)
	}
	return d, n, widths
}

// EstimateMemory estimates the memory a run of s on the data set ds (nil
// for a quadratic) needs with the limit's workers and flows. The terms:
//   - the data set: N·(inputs + targets) numbers, twice (as read and as
//     the model's copy);
//   - the model: a quadratic's N matrices of d×d; a network's per-sample
//     activations and their derivatives, 4·N·Σwidths;
//   - the output rows: every flow keeps K = time.outputs rows of d weights
//     (grd also d velocities), an ensemble flow (sgd, sde, cd) its mean and
//     spread and the running sums (4·K·d) plus K·d for each run in flight
//     and a few words per run;
//   - the workers: each per-sample evaluator and row buffer (at most
//     16 MiB), and its goroutine;
//   - dense paths: the exact inverse's Woodbury N×N system when N < d.
func (s *Scenario) EstimateMemory(ds *Dataset, lim BuildOptions) MemoryEstimate {
	d, n, widths := s.modelDim(ds)
	e := MemoryEstimate{Dim: int(min(d, 1<<62)), Samples: int(min(n, 1<<62))}
	s.modelParts(&e, ds, d, n, widths)
	s.flowParts(&e, lim, d)
	s.workerParts(&e, lim, d, n)
	sort.SliceStable(e.Parts, func(i, j int) bool { return e.Parts[i].Bytes > e.Parts[j].Bytes })
	return e
}

// memWord is the size of a float64.
const memWord = 8.0

// add appends p to the estimate unless it is empty.
func (e *MemoryEstimate) add(p MemoryPart) {
	if p.Bytes > 0 {
		e.Parts = append(e.Parts, p)
	}
}

// modelParts adds the data set and the model (a quadratic's matrices, a
// network's activations and weights) to e.
func (s *Scenario) modelParts(e *MemoryEstimate, ds *Dataset, d, n float64, widths []float64) {
	if ds != nil && ds.Data != nil {
		cols := float64(ds.Data.In + ds.Data.Out)
		e.add(MemoryPart{What: fmt.Sprintf("the data set (N = %d rows × %d columns)", ds.Data.N, int(cols)),
			Key: "data.csv", Fix: "use a smaller data set", Bytes: 2 * n * cols * memWord})
	}
	m := &s.Model
	switch {
	case m.Kind == KindQuadratic:
		key, fix := "model.dim", "lower model.dim or model.count"
		if len(m.Samples) > 0 {
			key, fix = "model.samples", "use fewer or smaller samples"
		} else if float64(m.Count) > d {
			key = "model.count"
		}
		e.add(MemoryPart{What: fmt.Sprintf("the quadratic's %.0f matrices of %.0f×%.0f", n, d, d),
			Key: key, Fix: fix, Bytes: n * (d*d + 2*d) * memWord})
	case widths != nil:
		sum := 0.0
		for _, w := range widths {
			sum += w
		}
		key, fix := "model.hidden", "lower model.hidden or use less data"
		if m.Kind == KindMLP {
			key, fix = "model.layers", "use narrower layers or less data"
		}
		e.add(MemoryPart{What: fmt.Sprintf("the network's per-sample activations (N = %.0f samples × %.0f units)", n, sum),
			Key: key, Fix: fix, Bytes: 4 * n * sum * memWord})
		e.add(MemoryPart{What: fmt.Sprintf("the network's weights (d = %.0f)", d),
			Key: key, Fix: fix, Bytes: 8 * d * memWord})
	}
}

// flowParts adds each flow's output rows (and an ensemble's runs) to e.
func (s *Scenario) flowParts(e *MemoryEstimate, lim BuildOptions, d float64) {
	flows := lim.Flows
	if len(flows) == 0 {
		flows = s.Flows
	}
	workers := float64(max(lim.Workers, 1))
	k := float64(s.Time.Outputs)
	// The output rows grow with K·d: blame whichever of the two is larger.
	rowsKey, rowsFix := "time.outputs", "lower time.outputs (each output row holds d weights) or run fewer flows"
	if d > k {
		rowsKey, rowsFix = s.sizeKey(), "make the model smaller (each of the K output rows holds its d weights) or run fewer flows"
	}
	for _, f := range flows {
		switch f {
		case FlowSGD, FlowSDE, FlowCD:
			runs := float64(s.SGD.Runs)
			switch f {
			case FlowSDE:
				runs = float64(s.SDE.Runs)
			case FlowCD:
				runs = float64(s.CD.Runs)
			}
			inFlight := min(runs, workers)
			e.add(MemoryPart{What: fmt.Sprintf("the %s ensemble's output rows and sums (%.0f outputs × d = %.0f, %.0f runs in flight)", f, k, d, inFlight),
				Key: rowsKey, Fix: rowsFix + " or lower --workers",
				Bytes: (4 + inFlight) * k * d * memWord})
			e.add(MemoryPart{What: fmt.Sprintf("the %s ensemble's bookkeeping of %.0f runs", f, runs),
				Key: f + ".runs", Fix: "lower " + f + ".runs", Bytes: 3 * runs * memWord})
		default:
			// The rows of weights (grd: and velocities) are held by the
			// integrator's solution, the flow's row storage and the
			// trajectory's rows while they are handed on, with a few
			// scalars per row (t, loss, step size, …).
			m := d
			if f == FlowGRD {
				m = 2 * d
			}
			e.add(MemoryPart{What: fmt.Sprintf("the %s flow's output rows (%.0f outputs × d = %.0f)", f, k, d),
				Key: rowsKey, Fix: rowsFix,
				Bytes: (3*m + 16) * k * memWord})
		}
	}
}

// workerParts adds the workers' scratch and the exact inverse's Woodbury
// system to e.
func (s *Scenario) workerParts(e *MemoryEstimate, lim BuildOptions, d, n float64) {
	workers := float64(max(lim.Workers, 1))
	// Per worker: an evaluator over one chunk (≤ 256 samples) and a row
	// buffer of at most 16 MiB, counted twice (the set-up geometry and the
	// flows' share), and a goroutine stack.
	chunk := min(max(n, 1), 256)
	perWorker := 64<<10 + min(16<<20, chunk*d*memWord) + 4*d*memWord
	fix := "lower --workers"
	if perWorker > 1<<20 {
		fix = "lower --workers or the model's size d"
	}
	e.add(MemoryPart{What: fmt.Sprintf("the scratch of %.0f workers (%s each, for d = %.0f)", workers, formatBytes(2*perWorker), d),
		Key: "--workers", Fix: fix, Bytes: 2 * workers * perWorker})
	if s.Metric.Inverse == engine.Exact.String() && n < d {
		e.add(MemoryPart{What: fmt.Sprintf("the exact inverse's %.0f×%.0f Woodbury system", n, n),
			Key: "metric.inverse", Fix: "use metric.inverse: weak-field", Bytes: 2 * n * n * memWord})
	}
}

// sizeKey is the scenario key that sets the model's size d.
func (s *Scenario) sizeKey() string {
	switch s.Model.Kind {
	case KindQuadratic:
		if len(s.Model.Samples) > 0 {
			return "model.samples"
		}
		return "model.dim"
	case KindTwoLayer, KindRBM:
		return "model.hidden"
	case KindMLP:
		return "model.layers"
	}
	return "data.csv"
}

// checkMemory refuses a run whose estimate exceeds lim (no check for a
// zero lim.MaxMemory). The error names the estimate, its largest term, the
// limit and what to change, at the key of the largest term.
func (s *Scenario) checkMemory(ds *Dataset, lim BuildOptions) error {
	if lim.MaxMemory <= 0 {
		return nil
	}
	e := s.EstimateMemory(ds, lim)
	total := e.Total()
	if total <= lim.MaxMemory || len(e.Parts) == 0 {
		return nil
	}
	top := e.Parts[0]
	source := lim.MemorySource
	if source == "" {
		source = "the memory limit"
	}
	msg := fmt.Sprintf("the run needs an estimated %s of memory (d = %s, N = %s), more than the %s allowed (%s); its largest part is %s: %s. To run it, %s, or raise the limit with --max-memory",
		formatBytes(total), formatCount(float64(e.Dim)), formatCount(float64(e.Samples)), formatBytes(lim.MaxMemory), source, top.What, formatBytes(top.Bytes), top.Fix)
	if strings.HasPrefix(top.Key, "--") {
		return &Error{File: s.Source(), Msg: msg, Err: ErrTooLarge}
	}
	return s.errAt(top.Key, msg, ErrTooLarge)
}

// formatCount prints a count exactly up to 10⁹, then in e-notation.
func formatCount(x float64) string {
	if x < 1e9 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}
