// Package report writes what a run of package scenarios/experiment
// produced (DESIGN §5): the per-flow CSV files (CSVHeader, WriteCSV), the
// plots (PNG and SVG, drawn with internal/figure), summary.json (Summary,
// NewSummary, WriteSummaryJSON) and the tables `grd run` and `grd check`
// print (WriteTable, WriteCheckTable, WriteSweepTable).
//
// WriteOutputs writes a run's files into its directory, each atomically,
// summary.json last so that its presence means the set is complete; the
// bytes depend only on the report (wall times aside), so they are
// identical for any worker count. WriteSweepPlots writes the ε sweep's
// plot. CheckOutDir refuses an unusable output directory before a long
// run; DefaultOutDir is out/<name>.
package report
