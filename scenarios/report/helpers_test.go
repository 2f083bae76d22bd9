package report

import (
	"os"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
)

// tinyYAML is a fast scenario: 6 generated 2-D quadratics, every flow,
// 11 output times on [0, 2], 4 ensemble runs.
const tinyYAML = `name: tiny
seed: 7
model: {kind: quadratic, dim: 2, count: 6, condition: 5}
init: {normal: 1.5}
flows: [gd, ngd, grd, sgd, sde]
sgd: {lr: 0.05, batch: 2, runs: 4}
sde: {lr: 0.05, batch: 2, runs: 4, dt: 0.05}
integrator: {method: dopri5, rtol: 1.0e-8, atol: 1.0e-10}
time: {t0: 0, t1: 2, outputs: 11}
`

// runTiny parses tinyYAML with the replacements old→new applied.
func parseTiny(t *testing.T, repl ...string) *scenarios.Scenario {
	t.Helper()
	text := strings.NewReplacer(repl...).Replace(tinyYAML)
	sc, err := scenarios.Parse([]byte(text), "")
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	return sc
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func mustParse(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }
