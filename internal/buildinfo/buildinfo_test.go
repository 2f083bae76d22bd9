package buildinfo

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		in   Info
		want string
	}{
		{Info{Version: "v1.2.3", GoVersion: "go1.26"}, "v1.2.3, go1.26"},
		{Info{Version: "(devel)", Revision: "0123456789abcdef0123", Time: "2026-01-02T03:04:05Z", GoVersion: "go1.26"},
			"devel 0123456789ab (2026-01-02T03:04:05Z), go1.26"},
		{Info{Version: "(devel)", Revision: "0123456789abcdef", Modified: true, GoVersion: "go1.26"},
			"devel 0123456789ab+modified, go1.26"},
		{Info{Version: "v0.0.0-20261204211800-2481ad7e64b1", Revision: "2481ad7e64b1aaaa", Time: "2026-12-04T21:18:00Z", GoVersion: "go1.26"},
			"v0.0.0-20261204211800-2481ad7e64b1 (2026-12-04T21:18:00Z), go1.26"},
		{Info{Version: "(devel)", GoVersion: "go1.26"}, "devel (no VCS information: built by go run or go test, or with -buildvcs=false), go1.26"},
	} {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRead: under go test there is build information but no VCS stamp.
func TestRead(t *testing.T) {
	in := Read()
	if !strings.HasPrefix(in.GoVersion, "go") {
		t.Errorf("GoVersion = %q, want go…", in.GoVersion)
	}
	if in.Revision != "" {
		t.Logf("revision %q stamped under go test (newer Go?)", in.Revision)
	}
}
