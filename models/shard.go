package models

import "fmt"

// Shard returns the model of n samples of which m holds the samples
// [lo, lo+m.Len()): its Len is n, and its Evaluators evaluate sample i
// as m's sample i−lo. Evaluating a sample outside the held range panics
// (a programmer error: a rank of a distributed run asked for samples it
// was not given). A rank of a distributed run holds such a model
// (scenarios.Scenario.BuildRows): its passes read only its samples.
func Shard(m Model, n, lo int) Model {
	if lo < 0 || lo+m.Len() > n {
		panic(fmt.Sprintf("models: Shard: samples [%d, %d) of a model of N = %d", lo, lo+m.Len(), n))
	}
	return &shard{m: m, n: n, lo: lo}
}

type shard struct {
	m     Model
	n, lo int
}

func (s *shard) Name() string {
	return fmt.Sprintf("%s, samples [%d, %d) of N = %d", s.m.Name(), s.lo, s.lo+s.m.Len(), s.n)
}
func (s *shard) Dim() int      { return s.m.Dim() }
func (s *shard) Len() int      { return s.n }
func (s *shard) MaxOrder() int { return s.m.MaxOrder() }
func (s *shard) NewEvaluator(maxChunk int) Evaluator {
	e := &shardEval{ev: s.m.NewEvaluator(maxChunk), lo: s.lo, hi: s.lo + s.m.Len()}
	if la, ok := e.ev.(LossAccumulator); ok {
		// Keep the one-sweep loss row of the network models on a rank.
		return &shardLossEval{shardEval: e, la: la}
	}
	return e
}

type shardEval struct {
	ev     Evaluator
	lo, hi int
}

// at maps the samples [lo, hi) to the inner model's.
func (e *shardEval) at(lo, hi int) (int, int) {
	if lo < e.lo || hi > e.hi {
		panic(fmt.Sprintf("models: shard holding samples [%d, %d) asked for [%d, %d)", e.lo, e.hi, lo, hi))
	}
	return lo - e.lo, hi - e.lo
}

func (e *shardEval) Losses(loss, w []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.ev.Losses(loss, w, lo, hi)
}

func (e *shardEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.ev.Directional(loss, s, q, w, v, lo, hi)
}

func (e *shardEval) Accumulate(dst []float64, c, f []float64, w, v []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.ev.Accumulate(dst, c, f, w, v, lo, hi)
}

func (e *shardEval) Grads(dst []float64, w []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.ev.Grads(dst, w, lo, hi)
}

func (e *shardEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.ev.HessVecs(dst, w, v, lo, hi)
}

func (e *shardEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.ev.ThirdVecs(dst, w, u, lo, hi)
}

// shardLossEval is a shardEval whose inner Evaluator is a LossAccumulator.
type shardLossEval struct {
	*shardEval
	la LossAccumulator
}

func (e *shardLossEval) AccumulateLosses(loss, dst, c, w []float64, lo, hi int) {
	lo, hi = e.at(lo, hi)
	e.la.AccumulateLosses(loss, dst, c, w, lo, hi)
}
