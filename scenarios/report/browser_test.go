package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// TestReportInBrowser opens the report.html of a real run in Debian's
// chromium, headless, driven over the DevTools protocol on a pipe (no
// network port): the page must load from file:// with no console error, no
// exception and no request other than the page itself; every figure must be
// present and rendered (its screenshot is not blank); the verdict, the
// summary table and the sweep must be in the DOM. A full-page screenshot is
// written to $GRD_REPORT_SCREENSHOT when set (else into the test's temporary
// directory). Skipped, with a message, when chromium is not installed
// (`make test` installs it: scripts/debdeps.sh chromium), and under -short.
func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser: skipped under -short (the race run); make test runs it in its full pass")
	}
	bin := chromium()
	if bin == "" {
		t.Skip("chromium not found (set GRD_CHROMIUM, or install Debian's chromium: bash scripts/debdeps.sh chromium); the report is not checked in a browser")
	}
	dir := filepath.Join(t.TempDir(), "out")
	sc, err := scenarios.Builtin("quadratic-2d")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cr, err := experiment.Check(ctx, sc, experiment.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOutputs(dir, cr.Report); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteCheckFiles(dir, cr); err != nil {
		t.Fatal(err)
	}
	sw, err := experiment.Sweep(ctx, sc, []float64{0.1, 0.2, 0.4}, experiment.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSweepPlots(dir, sw); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSweepFiles(dir, sw); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLReport(dir); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, ReportFile)

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	b, err := startBrowser(ctx, t, bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	target, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		t.Fatal(err)
	}
	att, err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target["targetId"], "flatten": true})
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := att["sessionId"].(string)
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if _, err := b.call(ctx, sid, m, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.call(ctx, sid, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.call(ctx, sid, "Page.navigate", map[string]any{"url": page}); err != nil {
		t.Fatal(err)
	}
	if err := b.waitEvent(ctx, "Page.loadEventFired"); err != nil {
		t.Fatal(err)
	}
	eval := func(expr string) any {
		t.Helper()
		r, err := b.call(ctx, sid, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
		if err != nil {
			t.Fatal(err)
		}
		if ex, ok := r["exceptionDetails"]; ok {
			t.Fatalf("evaluating %s: %v", expr, ex)
		}
		res, _ := r["result"].(map[string]any)
		return res["value"]
	}
	// Every image decoded (await decode(), so the check is not racing the
	// decoder), then the DOM content.
	eval(`Promise.allSettled([...document.images].map(i => i.decode()))`)
	var figs []struct {
		ID             string
		NW, X, Y, W, H float64
		Complete       bool
	}
	js := eval(`JSON.stringify([...document.querySelectorAll("figure")].map(f => { const i = f.querySelector("img"); const r = i.getBoundingClientRect();
		return {ID: f.id, NW: i.naturalWidth, Complete: i.complete, X: r.x + scrollX, Y: r.y + scrollY, W: r.width, H: r.height}; }))`)
	if err := json.Unmarshal([]byte(js.(string)), &figs); err != nil {
		t.Fatal(err)
	}
	want := []string{"fig-loss", "fig-gap", "fig-residuals", "fig-contours", "fig-sweep"}
	var ids []string
	for _, f := range figs {
		ids = append(ids, f.ID)
	}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("figures %v, want %v", ids, want)
	}
	for _, f := range figs {
		if !f.Complete || f.NW == 0 || f.W < 300 || f.H < 100 {
			t.Errorf("%s: not rendered: complete %v natural width %v, box %v×%v", f.ID, f.Complete, f.NW, f.W, f.H)
			continue
		}
		shot, err := b.call(ctx, sid, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
			"clip": map[string]any{"x": f.X + 3, "y": f.Y + 3, "width": f.W - 6, "height": f.H - 6, "scale": 1}}) // inside the border
		if err != nil {
			t.Fatal(err)
		}
		frac := inked(t, shot["data"].(string))
		if frac < 0.01 {
			t.Errorf("%s: looks blank: %.4f of its pixels are not near-white", f.ID, frac)
		}
		t.Logf("%s: %.0f×%.0f, %.3f of its pixels inked", f.ID, f.W, f.H, frac)
	}
	verdict, _ := eval(`document.getElementById("verdict-text").textContent`).(string)
	if !strings.Contains(verdict, cr.Verdict) {
		t.Errorf("verdict in the DOM %q, want %q", verdict, cr.Verdict)
	}
	table, _ := eval(`document.getElementById("summary-table").innerText`).(string)
	for _, s := range []string{"max ‖wgrd − wngd‖", fmtG(cr.Comparisons.MaxGapGRDNGD), pct(cr.Comparisons.RelativeGap), fmtG(cr.Comparisons.MaxR2OverR1)} {
		if !strings.Contains(table, s) {
			t.Errorf("summary table lacks %q:\n%s", s, table)
		}
	}
	flows, _ := eval(`document.getElementById("flow-table").innerText`).(string)
	for _, f := range cr.Flows {
		if !strings.Contains(flows, strings.ToUpper(string(f.Flow))) {
			t.Errorf("flow table lacks %s:\n%s", f.Flow, flows)
		}
	}
	files, _ := eval(`document.getElementById("files").innerText`).(string)
	for _, f := range []string{ReportFile, SummaryFile, CheckDir + "/" + CheckJSONFile, CheckDir + "/" + SweepCSVFile, CheckDir + "/" + SweepJSONFile} {
		if !strings.Contains(files, f) {
			t.Errorf("the file list lacks %s:\n%s", f, files)
		}
	}
	sweep, _ := eval(`document.getElementById("sweep-verdict").textContent`).(string)
	if sweep != sw.Verdict {
		t.Errorf("sweep verdict in the DOM %q, want %q", sweep, sw.Verdict)
	}
	shot, err := b.call(ctx, sid, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err != nil {
		t.Fatal(err)
	}
	png, _ := base64.StdEncoding.DecodeString(shot["data"].(string))
	out := os.Getenv("GRD_REPORT_SCREENSHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "report.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))

	// What the page did while loading: nothing but itself.
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ev := range b.events {
		p := ev.Params
		switch ev.Method {
		case "Runtime.exceptionThrown":
			t.Errorf("exception: %s", p)
		case "Runtime.consoleAPICalled":
			var c struct{ Type string }
			json.Unmarshal(p, &c)
			if c.Type == "error" || c.Type == "warning" || c.Type == "assert" {
				t.Errorf("console %s: %s", c.Type, p)
			}
		case "Log.entryAdded":
			var e struct {
				Entry struct{ Level, Text, URL string }
			}
			json.Unmarshal(p, &e)
			if e.Entry.Level == "error" || e.Entry.Level == "warning" {
				t.Errorf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL)
			}
		case "Network.requestWillBeSent":
			var r struct{ Request struct{ URL string } }
			json.Unmarshal(p, &r)
			if u := r.Request.URL; u != page && !strings.HasPrefix(u, "data:") {
				t.Errorf("the page requested %s", u)
			}
		}
	}
}

// chromium returns the chromium binary ($GRD_CHROMIUM, else chromium or
// chromium-browser on PATH), "" if none.
func chromium() string {
	if p := os.Getenv("GRD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// inked decodes a base64 PNG and returns the fraction of its pixels that
// are not near-white.
func inked(t *testing.T, b64 string) float64 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	var n, ink int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			n++
			if cr < 0xe000 || cg < 0xe000 || cb < 0xe000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(max(1, n))
}

// browser is a headless chromium driven over --remote-debugging-pipe: it
// reads NUL-terminated JSON commands on its fd 3 and writes responses and
// events on its fd 4.
type browser struct {
	cmd    *exec.Cmd
	in     *os.File // our end of its fd 3
	nextID int
	mu     sync.Mutex
	waits  map[int]chan cdpMessage
	events []cdpMessage
	evc    chan string // methods of events, as they arrive
	stderr bytes.Buffer
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId,omitempty"`
}

func startBrowser(ctx context.Context, t *testing.T, bin string) (*browser, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	b := &browser{in: cmdW, waits: map[int]chan cdpMessage{}, evc: make(chan string, 1024)}
	b.cmd = exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW} // fds 3 and 4
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	cmdR.Close()
	outW.Close()
	go b.read(outR)
	return b, nil
}

// read dispatches the browser's messages: responses to their waiters,
// events to the log.
func (b *browser) read(r *os.File) {
	defer r.Close()
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, c := range b.waits {
				close(c)
				delete(b.waits, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if c, ok := b.waits[m.ID]; ok {
				c <- m
				delete(b.waits, m.ID)
			}
		} else {
			b.events = append(b.events, m)
			select {
			case b.evc <- m.Method:
			default:
			}
		}
		b.mu.Unlock()
	}
}

// call sends a command (to a session when sid is set) and waits for its result.
func (b *browser) call(ctx context.Context, sid, method string, params any) (map[string]any, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	c := make(chan cdpMessage, 1)
	b.waits[id] = c
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if sid != "" {
		msg["sessionId"] = sid
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return nil, fmt.Errorf("%s: writing to the browser: %w (stderr: %s)", method, err, b.stderr.String())
	}
	select {
	case m, ok := <-c:
		if !ok {
			return nil, fmt.Errorf("%s: the browser closed the pipe (stderr: %s)", method, b.stderr.String())
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		var res map[string]any
		if err := json.Unmarshal(m.Result, &res); err != nil {
			return nil, fmt.Errorf("%s: result: %w", method, err)
		}
		return res, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// waitEvent waits for an event named method.
func (b *browser) waitEvent(ctx context.Context, method string) error {
	for {
		select {
		case m := <-b.evc:
			if m == method {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", method, ctx.Err())
		}
	}
}

func (b *browser) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.call(ctx, "", "Browser.close", nil)
	b.in.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}
