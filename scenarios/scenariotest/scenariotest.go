// Package scenariotest holds scenario fixtures shared by the tests of the
// packages that run and report scenarios (scenarios/experiment,
// scenarios/report), as net/http/httptest does for net/http. It is for
// tests only.
package scenariotest

import (
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
)

// TinyYAML is a fast scenario: 6 generated 2-D quadratics, every flow,
// 11 output times on [0, 2], 4 ensemble runs.
const TinyYAML = `name: tiny
seed: 7
model: {kind: quadratic, dim: 2, count: 6, condition: 5}
init: {normal: 1.5}
flows: [gd, ngd, grd, sgd, sde]
sgd: {lr: 0.05, batch: 2, runs: 4}
sde: {lr: 0.05, batch: 2, runs: 4, dt: 0.05}
integrator: {method: dopri5, rtol: 1.0e-8, atol: 1.0e-10}
time: {t0: 0, t1: 2, outputs: 11}
`

// Tiny parses TinyYAML with the replacements old→new applied (pairs, as
// strings.NewReplacer takes them), failing the test if it does not parse.
func Tiny(t testing.TB, repl ...string) *scenarios.Scenario {
	t.Helper()
	text := strings.NewReplacer(repl...).Replace(TinyYAML)
	sc, err := scenarios.Parse([]byte(text), "")
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	return sc
}
