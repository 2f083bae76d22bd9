package integrators

import "math"

// Event is a termination or detection event: a zero crossing of G(t, y)
// along the solution. Crossings are detected by a sign change of G between
// the ends of an accepted step and located by root finding on the method's
// dense output (Illinois regula falsi safeguarded by bisection) to
// Settings.EventTol in t. A crossing is rising when G goes from < 0 to ≥ 0
// and falling when it goes from > 0 to ≤ 0; a zero of G at the start of a
// step is not a crossing, so an event at T0 is not reported and a root that
// lands exactly on a step end is reported once. Two crossings of the same
// event inside one step cancel and are missed, as in every step-end
// detector.
type Event struct {
	// Name identifies the event in records and messages (optional).
	Name string
	// G is the event function. It must not retain or modify y.
	G func(t float64, y []float64) float64
	// Direction selects crossings: +1 rising only, −1 falling only, 0 both.
	Direction int
	// Terminal events stop the integration at the crossing.
	Terminal bool
}

// EventRecord is a located event.
type EventRecord struct {
	Index int       // index into Settings.Events
	Name  string    // the event's Name
	T     float64   // time of the crossing
	Y     []float64 // state at T (from the dense output)
	// Rising reports the direction of the crossing.
	Rising bool
}

type eventHit struct {
	idx    int
	t      float64
	rising bool
}

// events evaluates the event functions at the end of the accepted step,
// locates the crossings in it and records them in time order. It returns
// the time at which the integration must stop (d.t if no terminal event
// fired) and whether a terminal event fired.
func (d *driver) events() (float64, bool) {
	d.hits = d.hits[:0]
	for i, e := range d.set.Events {
		g0 := d.gPrev[i]
		g1 := e.G(d.t, d.y)
		d.gNew[i] = g1
		rising := g0 < 0 && g1 >= 0
		falling := g0 > 0 && g1 <= 0
		if !(rising && e.Direction >= 0) && !(falling && e.Direction <= 0) {
			continue
		}
		tr := d.locate(e.G, g0, g1)
		// Insert in time order (few events: insertion sort).
		h := eventHit{idx: i, t: tr, rising: rising}
		d.hits = append(d.hits, h)
		for j := len(d.hits) - 1; j > 0 && (d.hits[j].t-d.hits[j-1].t)*d.dir < 0; j-- {
			d.hits[j], d.hits[j-1] = d.hits[j-1], d.hits[j]
		}
	}
	d.gPrev, d.gNew = d.gNew, d.gPrev
	stop, terminal := d.t, false
	for _, h := range d.hits {
		e := d.set.Events[h.idx]
		y := make([]float64, len(d.y))
		d.interp(h.t, y)
		d.res.Events = append(d.res.Events, EventRecord{Index: h.idx, Name: e.Name, T: h.t, Y: y, Rising: h.rising})
		if e.Terminal {
			stop, terminal = h.t, true
			break
		}
	}
	return stop, terminal
}

// locate finds the crossing of g on the dense output of the last accepted
// step, [tPrev, t], given g(tPrev) = g0 and g(t) = g1 of opposite signs (or
// g1 = 0). It returns the end of the final bracket on the far side of the
// crossing, so that g there has the post-crossing sign.
func (d *driver) locate(g func(float64, []float64) float64, g0, g1 float64) float64 {
	a, b := d.tPrev, d.t // a before the crossing, b after (in time order of integration)
	ga, gb := g0, g1
	if gb == 0 {
		return b
	}
	side := 0
	width := math.Abs(b - a)
	bisect := false
	for iter := 0; iter < 200; iter++ {
		tol := math.Max(d.set.EventTol, 4*epsilon*math.Max(math.Abs(a), math.Abs(b)))
		if math.Abs(b-a) <= tol {
			break
		}
		var c float64
		if !bisect {
			c = (a*gb - b*ga) / (gb - ga)
		}
		if bisect || !((c-a)*d.dir > 0 && (b-c)*d.dir > 0) {
			c = a + 0.5*(b-a)
		}
		d.interp(c, d.yev)
		gc := g(c, d.yev)
		switch {
		case gc == 0:
			return c
		case (gc > 0) == (gb > 0):
			b, gb = c, gc
			if side == -1 {
				ga *= 0.5 // Illinois: halve the stale end
			}
			side = -1
		default:
			a, ga = c, gc
			if side == 1 {
				gb *= 0.5
			}
			side = 1
		}
		// Bisect next time if the bracket did not at least halve.
		w := math.Abs(b - a)
		bisect = w > 0.5*width
		width = w
	}
	return b
}
