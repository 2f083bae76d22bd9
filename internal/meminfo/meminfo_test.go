package meminfo

import (
	"strings"
	"testing"
)

func TestLimitFrom(t *testing.T) {
	for _, c := range []struct {
		text, source string
		want         float64
	}{
		{"MemTotal:       24683748 kB\nMemFree:        20182284 kB\nMemAvailable:   23049944 kB\n", "MemAvailable in /proc/meminfo", 23049944 * 1024},
		{"MemTotal:       1000 kB\n", "MemTotal in /proc/meminfo", 1000 * 1024},
		{"garbage\n", "the default for machines whose /proc/meminfo cannot be read", Fallback},
	} {
		got, src := limitFrom(strings.NewReader(c.text))
		if got != c.want || src != c.source {
			t.Errorf("limitFrom(%q) = %g, %q; want %g, %q", c.text, got, src, c.want, c.source)
		}
	}
	if b, src := Limit(); !(b > 0) || src == "" {
		t.Errorf("Limit() = %g, %q", b, src)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]float64{"8GiB": 8 << 30, "512MB": 512e6, "1e9": 1e9, "100": 100, "0": 0, "1.5 gib": 1.5 * (1 << 30), "2G": 2 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "8 parsecs", "-1GB", "NaNGB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
