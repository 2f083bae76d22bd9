package integrators

// initOutputs sets up the output times and, unless Settings.Output streams
// them, the Result rows that store them (one backing array).
func (d *driver) initOutputs(times []float64) {
	n := len(d.y)
	if len(times) == 0 {
		times = []float64{d.p.T0, d.p.T1}
		d.defaultTimes = true
	}
	d.times = times
	res := &Result{YEnd: make([]float64, n)}
	if d.set.Output != nil {
		d.yout = make([]float64, n)
	} else {
		res.T = make([]float64, 0, len(times))
		res.Y = make([][]float64, len(times))
		back := make([]float64, n*len(times))
		for i := range res.Y {
			res.Y[i] = back[i*n : (i+1)*n : (i+1)*n]
		}
	}
	d.res = res
}

// interp writes the dense output of the last accepted step at time tt:
// the step's end (or start) state itself at its end (or start).
func (d *driver) interp(tt float64, dst []float64) {
	if tt == d.t {
		copy(dst, d.y)
		return
	}
	if tt == d.tPrev {
		copy(dst, d.y1)
		return
	}
	if r := d.kr.ros; r != nil {
		if !d.dense {
			r.prepareDense()
			d.dense = true
		}
		r.interpolate(dst, (tt-d.tPrev)/d.h, d.y1, d.y)
		return
	}
	d.ensureKS()
	if d.kr.rock != nil {
		rock4Interpolate(dst, (tt-d.tPrev)/d.h, d.h, d.y1, d.y, d.kr.k[0], d.kr.k[d.kr.s])
		return
	}
	if !d.dense && len(d.tb.ExtraC) > 0 {
		d.kr.extra(d.tPrev, d.h, d.y1)
	}
	d.dense = true
	theta := (tt - d.tPrev) / d.h
	d.kr.interpolate(dst, theta, d.h, d.y1)
}

// outputs delivers the output times up to upto that are still due (those
// in (tPrev, upto] after a step, or T0 before the first one): into the
// Result rows, or to Settings.Output. It returns the first error of
// Settings.Output, with the output time it failed at.
func (d *driver) outputs(upto float64) (tFailed float64, err error) {
	for d.next < len(d.times) {
		tt := d.times[d.next]
		if (tt-upto)*d.dir > 0 {
			return 0, nil
		}
		if out := d.set.Output; out != nil {
			d.interp(tt, d.yout)
			if err := out(tt, d.yout); err != nil {
				return tt, err
			}
		} else {
			i := len(d.res.T)
			d.interp(tt, d.res.Y[i])
			d.res.T = append(d.res.T, tt)
		}
		d.next++
	}
	return 0, nil
}

// record calls the Recorder on the last accepted step.
func (d *driver) record() error {
	if d.set.Recorder == nil {
		return nil
	}
	d.syncStats()
	return d.set.Recorder.Record(StepInfo{T0: d.tPrev, T1: d.t, Y: d.y, Stats: d.res.Stats, d: d})
}
