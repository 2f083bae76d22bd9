package experiment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/grd-engine/grd/scenarios"
)

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

// SummaryFile stands in for package report's summary.json in the tests of
// this package (report imports this package, so its writers cannot be
// used here; its own tests compare the real files).
const SummaryFile = "summary.json"

// writeOutputs writes what the tests of this package compare between
// runs: per flow that recorded a row, every recorded number (the rows of a
// checkpoint, printed exactly by %v), and SummaryFile with the statuses,
// errors, counters and wall times, the set-up and the comparisons; then,
// for a complete report, it removes the checkpoint (RemoveCheckpoint), as
// grd run does.
func writeOutputs(dir string, r *Report, _ bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	type flowDump struct {
		Status, Error         string
		Rows                  int
		NFev, Steps, Rejected int
		Seconds               float64 `json:"seconds"`
	}
	sum := struct {
		Scenario           *scenarios.Scenario
		Dim, Samples       int
		LambdaMax, Epsilon string
		Comparisons        string
		Flows              map[string]flowDump
		Warnings           []string
	}{Scenario: r.Scenario, Dim: r.Dim, Samples: r.Samples, LambdaMax: fmt.Sprint(r.LambdaMax), Epsilon: fmt.Sprint(r.Epsilon),
		Comparisons: fmt.Sprintf("%+v", r.Comparisons), Flows: map[string]flowDump{}, Warnings: r.Warnings}
	for _, tr := range r.Flows {
		f := flowDump{Status: string(tr.Status), Rows: tr.Len(), NFev: tr.NFev, Steps: tr.Steps, Rejected: tr.Rejected, Seconds: tr.Seconds}
		if tr.Err != nil {
			f.Error = tr.Err.Error()
		}
		sum.Flows[string(tr.Flow)] = f
		if tr.Len() == 0 {
			continue
		}
		name := string(tr.Flow) + ".rows"
		if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "%v\n", *rowsOf(tr)), 0o644); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return files, err
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), b, 0o644); err != nil {
		return files, err
	}
	// As grd run does: a complete set's checkpoint goes once it is written.
	if !r.Interrupted() {
		if err := RemoveCheckpoint(dir); err != nil {
			return files, err
		}
	}
	return append(files, SummaryFile), nil
}

var secondsRe = regexp.MustCompile(`"seconds": [-+0-9.eE]+`)

// zeroSeconds sets the wall times of a summary to 0.
func zeroSeconds(t *testing.T, b []byte) []byte {
	t.Helper()
	if !secondsRe.Match(b) {
		t.Fatal("summary has no seconds")
	}
	return secondsRe.ReplaceAll(b, []byte(`"seconds": 0`))
}
