// Package buildinfo says which grd is running: module version, VCS revision
// and Go version, read from the binary's build information
// (runtime/debug.ReadBuildInfo). `grd --version` prints it and
// summary.json's provenance records it.
//
// What is available depends on how the binary was built:
//
//   - `go build` or `make build` in a git clone: the vcs.revision,
//     vcs.time and vcs.modified settings are stamped in (unless
//     -buildvcs=false, which `make build` overrides with -buildvcs=auto), so
//     Revision names the commit and Modified says whether the work tree had
//     uncommitted changes. Go ≥ 1.24 also derives a pseudo-version
//     (v0.0.0-<time>-<revision>, +dirty when modified) for Version. Go does
//     not stamp from a `git worktree` checkout, whose .git is a file.
//   - `go install module@version`: Version is the module version; no VCS
//     settings.
//   - `go run` and `go test`: Go does not stamp VCS information for these,
//     so Revision is "" and String reports "devel (no VCS information: built
//     by go run or go test)".
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what the build information says about the running binary.
type Info struct {
	// Version is the main module's version ("(devel)" for a local build,
	// "" when there is no build information).
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from ("" when not
	// stamped: go run, go test, -buildvcs=false, no checkout).
	Revision string `json:"vcs_revision"`
	// Time is the commit time (RFC 3339, "" when not stamped).
	Time string `json:"vcs_time"`
	// Modified is true when the work tree had uncommitted changes at build time.
	Modified bool `json:"vcs_modified"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"go_version"`
}

// Read returns the build information of the running binary.
func Read() Info {
	in := Info{GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	in.Version = bi.Main.Version
	in.GoVersion = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the one-line version: the module version when it has one,
// else the revision (shortened to 12 hex digits, "+modified" when the work
// tree was dirty) and its commit time, else a "devel" line saying why there
// is nothing better.
func (in Info) String() string {
	v := in.Version
	if v == "" || v == "(devel)" {
		v = ""
	}
	if in.Revision != "" {
		rev := in.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if in.Modified {
			rev += "+modified"
		}
		switch {
		case v == "":
			v = "devel " + rev
		case !strings.Contains(v, rev[:min(len(rev), 12)]): // Go ≥ 1.24 puts the revision into a pseudo-version
			v += " " + rev
		}
		if in.Time != "" {
			v += " (" + in.Time + ")"
		}
	}
	if v == "" {
		v = "devel (no VCS information: built by go run or go test, or with -buildvcs=false)"
	}
	return v + ", " + in.GoVersion
}
