package integrators

import (
	"fmt"
	"strings"
)

// Method is an explicit Runge–Kutta method: a validated Tableau run by the
// package's generic kernel and driver. The zero Method is invalid; obtain
// one from MethodByName or NewMethod. Methods are immutable values, safe
// for concurrent use.
type Method struct {
	tab *Tableau
	// fast, if non-nil, is a straight-line kernel generated from tab
	// (kernels_gen.go) that the driver uses in place of the generic
	// kernel.step; set only by MethodByName, never for a user tableau.
	fast stepFunc
	// ros, if non-nil, makes the method a Rosenbrock method: tab is then
	// only its name, orders and driver slots, and fast is stepRos.
	ros *rosTableau
	// auto: the method switches between dopri5 (tab, fast) and rodas4
	// (auto.go).
	auto bool
	// rock: the method is ROCK4 (rock4.go); tab holds only its name,
	// orders and driver slots, and fast is stepRock4.
	rock bool
}

// methodNames lists the built-in methods in order of increasing cost, the
// fixed-step ones (numFixed) first.
var methodNames = [...]string{"euler", "heun", "rk4", "bs3", "dopri5", "tsit5", "dop853", "rodas4", "rock4", "auto"}

// numFixed is the number of fixed-step methods at the start of methodNames.
const numFixed = 3

// Methods returns the names of the built-in methods: the fixed-step
// "euler", "heun", "rk4" and the adaptive "bs3", "dopri5", "tsit5",
// "dop853", the stiff "rodas4" (Rosenbrock) and "rock4" (stabilized
// explicit, for spectra near the negative real axis), and "auto" (dopri5
// switching to rodas4 where the problem is stiff).
func Methods() []string {
	out := make([]string, len(methodNames))
	copy(out, methodNames[:])
	return out
}

// FixedStepMethods returns the names of the built-in methods without an
// error estimate, "euler", "heun", "rk4": they need Settings.Dt.
func FixedStepMethods() []string {
	out := make([]string, numFixed)
	copy(out, methodNames[:numFixed])
	return out
}

// AdaptiveMethods returns the names of the built-in methods with step-size
// control, "bs3", "dopri5", "tsit5", "dop853", "rodas4", "rock4", "auto"
// (Method.Adaptive is true).
func AdaptiveMethods() []string {
	out := make([]string, len(methodNames)-numFixed)
	copy(out, methodNames[numFixed:])
	return out
}

// MethodByName returns the built-in method with the given name (see
// Methods); names are case-insensitive.
func MethodByName(name string) (Method, error) {
	var tb *Tableau
	var fast stepFunc
	switch strings.ToLower(name) {
	case "euler":
		tb = tableauEuler()
	case "heun":
		tb = tableauHeun()
	case "rk4":
		tb = tableauRK4()
	case "bs3":
		tb, fast = tableauBS3(), stepbs3
	case "dopri5":
		tb, fast = tableauDopri5(), stepdopri5
	case "tsit5":
		tb, fast = tableauTsit5(), steptsit5
	case "dop853":
		tb, fast = tableauDop853(), stepdop853
	case "rodas4":
		return Method{tab: tableauRodas4(), fast: stepRos, ros: rodas4Tableau()}, nil
	case "rock4":
		return Method{tab: tableauRock4(), fast: stepRock4, rock: true}, nil
	case "auto":
		tb := tableauDopri5()
		tb.Name = "auto"
		return Method{tab: tb, fast: stepdopri5, auto: true}, nil
	default:
		return Method{}, fmt.Errorf("integrators: unknown method %q (valid: %s)", name, strings.Join(methodNames[:], ", "))
	}
	return Method{tab: tb, fast: fast}, nil
}

// NewMethod validates tb (see Tableau.Validate, with tolerance 1e-12) and
// returns a Method running it. A nil tb.Dense is replaced by the cubic
// Hermite interpolant. The tableau must not be modified afterwards.
func NewMethod(tb Tableau) (Method, error) {
	if tb.Dense == nil && len(tb.ExtraC) == 0 && len(tb.B) > 0 {
		tb.Dense = hermiteDense(tb.B, tb.slots())
		tb.DenseOrder = min(3, tb.Order)
	}
	if tb.Adaptive() && tb.ErrOrder <= 0 {
		return Method{}, fmt.Errorf("integrators: tableau %q has error weights but ErrOrder=%d", tb.Name, tb.ErrOrder)
	}
	if err := tb.Validate(1e-12); err != nil {
		return Method{}, err
	}
	return Method{tab: &tb}, nil
}

// Name returns the method's name.
func (m Method) Name() string { return m.tab.Name }

// Order returns the order of the propagated solution.
func (m Method) Order() int { return m.tab.Order }

// DenseOrder returns the order of the method's continuous extension.
func (m Method) DenseOrder() int { return m.tab.DenseOrder }

// Adaptive reports whether the method has an embedded error estimate and
// therefore step-size control.
func (m Method) Adaptive() bool { return m.tab.Adaptive() }

// Tableau returns the method's tableau. Its slices are shared: do not
// modify them. For a Rosenbrock method (Stiff) and for rock4
// (Stabilized) it holds only the name and the orders.
func (m Method) Tableau() Tableau { return *m.tab }

// Stiff reports whether the method is linearly implicit (rodas4): it
// uses the Jacobian of F (Problem.JV, Problem.Jac or finite differences)
// and solves linear systems.
func (m Method) Stiff() bool { return m.ros != nil }

// Stabilized reports whether the method is the stabilized explicit
// rock4: it uses the spectral radius of ∂F/∂y (Settings.SpectralRadius,
// or a power iteration on Problem.JV or finite differences of F) to
// choose its number of stages.
func (m Method) Stabilized() bool { return m.rock }

// Switching reports whether the method switches between a non-stiff and
// a stiff method (auto). Its Tableau, Order and DenseOrder are those of
// the non-stiff method (dopri5), which it uses with fixed steps.
func (m Method) Switching() bool { return m.auto }

// String returns the method's name.
func (m Method) String() string {
	if m.tab == nil {
		return "<invalid method>"
	}
	return m.tab.Name
}
