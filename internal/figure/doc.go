// Package figure draws the plots of grd: the run reports (package
// scenarios/report) and the benchmarks (package bench) share its styles,
// axis ticks and rendering.
//
// A Figure is one or more Panels stacked vertically with one legend strip
// on the right (so a legend never covers data). A Panel holds Series
// (curves, optionally with a shaded ± band, split where a value is not
// finite) and extra gonum plotters drawn under (Contours) or over
// (markers) them; its y axis is linear, log10 or chosen from the data
// (AxisMode). Render returns the figure as PNG (150 dpi) or SVG bytes;
// the bytes depend only on the figure, so outputs are reproducible.
//
// A log axis is drawn as log10 of the data on a linear axis marked by
// Log10Ticks (gonum's LogScale misplaces a centred axis label); LogTicks
// marks a gonum LogScale axis the same way; NiceTicks marks linear axes at
// round values. The colours (Blue, Orange, …) are the Okabe–Ito palette,
// distinguishable with the common colour-vision deficiencies.
package figure
