package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadme checks what a new user reads first: an install line that
// works (grd is not a published module, so not go install …@latest), the
// paper cited with approximation (8) written out, and every cost column
// defined.
func TestReadme(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if regexp.MustCompile(`(?m)^\s*go install \S+@latest`).MatchString(s) {
		t.Error("README installs with go install …@latest, which fails: the module is not published")
	}
	if !strings.Contains(s, "go install ./cmd/grd") {
		t.Error("README gives no install from a clone (go install ./cmd/grd)")
	}
	if _, err := os.Stat("../../cmd/grd/main.go"); err != nil {
		t.Errorf("the install path ./cmd/grd does not exist: %v", err)
	}
	for _, want := range []string{"Fioresi", "Chaudhari", "Soatto", "arXiv:1910.12194", "d²/dt² ∂_k f̂_α(w(t)) = 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("README lacks %q (the paper and its approximation (8))", want)
		}
	}
	for _, col := range []string{"`nfev` —", "`steps` —", "`rejected` —", "`seconds` —"} {
		if !strings.Contains(s, col) {
			t.Errorf("README does not define the cost column %s", col)
		}
	}
}
