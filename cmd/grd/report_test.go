package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportCommand: grd run writes report.html; grd report DIR rebuilds it
// from the files alone; a directory without a run is an error naming what
// is missing.
func TestReportCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "q")
	if _, errs, code := grd(t, "--quiet", "run", "quadratic-2d", "--out", dir); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	page := filepath.Join(dir, "report.html")
	first, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(page)
	out, errs, code := grd(t, "report", dir)
	if code != exitOK || out != "report: "+page+"\n" {
		t.Fatalf("report: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	again, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(first) {
		t.Errorf("grd report rebuilt a different report.html")
	}
	_, errs, code = grd(t, "report", t.TempDir())
	if code != exitError || !strings.Contains(errs, "summary.json") {
		t.Errorf("empty directory: exit %d, stderr %q", code, errs)
	}
	if _, _, code = grd(t, "report"); code != exitUsage {
		t.Errorf("no argument: exit %d, want %d", code, exitUsage)
	}
}

// TestVersionFromGitBuild: a binary built by `go build` in a git checkout
// prints its commit in --version, not "devel" alone (go test binaries carry
// no VCS stamp, so this builds one). Skipped under -short and outside a git
// checkout.
func TestVersionFromGitBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grd: skipped under -short")
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v)", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v)", err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("a git worktree (.git is a file): go build does not stamp VCS information there")
	}
	bin := filepath.Join(t.TempDir(), "grd")
	if b, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(rev))[:12]; !strings.Contains(string(out), want) || !strings.Contains(string(out), "go1.") {
		t.Errorf("--version = %q, want the commit %s and the Go version", out, want)
	}
}
