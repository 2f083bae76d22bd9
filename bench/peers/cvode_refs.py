#!/usr/bin/env python3
"""Print cvode_refs.h for cvode_stiff.c: grd's GRD-system reference
(refGRDQuad in bench/stiff.go, the file given as the argument) as a C array."""
import re
import sys

t = open(sys.argv[1]).read()
m = re.search(r"refGRDQuad\s*=\s*\[\]float64\{([^}]*)\}", t)
if m is None:
    sys.exit("cvode_refs.py: no refGRDQuad in " + sys.argv[1])
v = re.findall(r"[-+]?\d[\d.]*(?:e[-+]?\d+)?", m.group(1))
print("static const double ref_grdquad[] = {" + ", ".join(v) + "};")
