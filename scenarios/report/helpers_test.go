package report

import (
	"os"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
)

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
