// Package report writes what a run of package scenarios/experiment
// produced (DESIGN §5, §9): the per-flow CSV files (CSVHeader, WriteCSV), the
// plots (PNG and SVG, drawn with internal/figure), summary.json (Summary,
// NewSummary, WriteSummaryJSON, with its Provenance), the tables `grd run`
// and `grd check` print (WriteTable, WriteCheckTable, WriteSweepTable), the
// machine-readable check results in DIR/check/ (WriteCheckFiles: check.json;
// WriteSweepFiles: sweep.csv, sweep.json) and the HTML report.
//
// WriteOutputs writes a run's files into its directory, each atomically,
// summary.json after the data and plots so that its presence means the set
// is complete, then report.html; the bytes depend only on the report (wall
// times and provenance aside), so they are identical for any worker count.
// WriteSweepPlots writes the ε sweep's plot. CheckOutDir refuses an
// unusable output directory before a long run; DefaultOutDir is out/<name>.
//
// The HTML report (WriteHTMLReport, RenderHTMLReport; `grd report DIR`) is
// built from the files of a run directory alone — summary.json, the SVG
// plots, check/check.json and check/sweep.json — never from a run in
// memory, so any finished directory can be re-rendered. It is one
// self-contained page: html/template escapes every text read from the
// files; the plots are SVG images inlined as data: URLs (so their ids and
// styles cannot clash with the page's, and no script in a file could run);
// the style sheet is inline with a print variant; there is no script and
// nothing to fetch. TestReportInBrowser checks it in a headless chromium.
package report
