// Package meminfo tells how much memory a run may use by default: the
// machine's available memory as the kernel reports it (MemAvailable, else
// MemTotal, in /proc/meminfo on Linux), or a conservative Fallback where
// that file cannot be read; lowered to the process's address-space limit
// (ulimit -v) when one is set. It also parses the sizes of --max-memory.
package meminfo

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Fallback is the limit where /proc/meminfo cannot be read (not Linux, or
// a restricted sandbox): 4 GiB, which most machines that run grd have.
const Fallback = 4 << 30

// Path is the file Limit reads.
const Path = "/proc/meminfo"

// Limit returns the default memory limit in bytes and where it comes from
// (for messages): MemAvailable of /proc/meminfo, else its MemTotal, else
// Fallback; or the process's address-space limit (ulimit -v) if that is
// lower.
func Limit() (bytes float64, source string) {
	bytes, source = machineLimit()
	if as, ok := addressLimit(); ok && as < bytes {
		return as, "the address-space limit, ulimit -v"
	}
	return bytes, source
}

func machineLimit() (float64, string) {
	f, err := os.Open(Path)
	if err != nil {
		return Fallback, fmt.Sprintf("the default for machines whose %s cannot be read", Path)
	}
	defer f.Close()
	return limitFrom(io.LimitReader(f, 1<<20))
}

// limitFrom is Limit's reading of a /proc/meminfo text.
func limitFrom(r io.Reader) (float64, string) {
	avail, total := parse(r)
	switch {
	case avail > 0:
		return avail, "MemAvailable in " + Path
	case total > 0:
		return total, "MemTotal in " + Path
	}
	return Fallback, fmt.Sprintf("the default for machines whose %s cannot be read", Path)
}

// parse reads MemAvailable and MemTotal (kB) of a /proc/meminfo text, in
// bytes (0 if absent).
func parse(r io.Reader) (avail, total float64) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || v < 0 {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			v *= 1024
		}
		switch key {
		case "MemAvailable":
			avail = v
		case "MemTotal":
			total = v
		}
	}
	return avail, total
}

// ParseSize reads a memory size: a number of bytes with an optional unit
// B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of
// 1024), case-insensitive, e.g. "8GiB", "512MB", "1e9". "0" means no limit.
func ParseSize(s string) (float64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q in %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", t[i:], s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("want a size such as 8GiB or 512MB, got %q", s)
	}
	return v * mult, nil
}
