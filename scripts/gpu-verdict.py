#!/usr/bin/env python3
"""One-screen verdict of scripts/gpu-check.sh: tests per suite from the JUnit XML reports in OUTDIR/junit, and
test loss and samples/s per workload and backend from OUTDIR/<model>-<backend>.json (train --json results)."""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

out = sys.argv[1] if len(sys.argv) > 1 else "gpu-check-out"
suites = {}
for path in glob.glob(os.path.join(out, "junit", "*.xml")):
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("classname", "?").replace("dev.bottleneck.", "")
        s = suites.setdefault(name, [0, 0, 0])
        if case.find("failure") is not None or case.find("error") is not None:
            s[1] += 1
        elif case.find("skipped") is not None:
            s[2] += 1
        else:
            s[0] += 1
print("%-44s %7s %7s %8s" % ("suite", "passed", "failed", "skipped"))
total = [0, 0, 0]
for name in sorted(suites):
    p, f, k = suites[name]
    total = [total[0] + p, total[1] + f, total[2] + k]
    print("%-44s %7d %7d %8d%s" % (name, p, f, k, "   <-- FAILED" if f else ""))
print("%-44s %7d %7d %8d" % ("all", total[0], total[1], total[2]))
if not suites:
    print("(no JUnit reports in %s/junit: the test step did not run or crashed)" % out)

print()
print("%-9s %14s %14s %14s %14s" % ("workload", "cpu test loss", "cuda test loss", "cpu samples/s", "cuda samples/s"))
for model in ("w1", "w2", "w3"):
    row = {}
    for be in ("cpu", "cuda"):
        try:
            with open(os.path.join(out, "%s-%s.json" % (model, be))) as fh:
                r = json.loads(fh.read().strip() or "{}")
        except (OSError, ValueError):
            r = {}
        row[be] = r
    def fmt(r, key, spec):
        v = r.get(key)
        return spec % v if isinstance(v, (int, float)) else "failed"
    print("%-9s %14s %14s %14s %14s" % (model.upper(), fmt(row["cpu"], "test_loss", "%.5f"), fmt(row["cuda"], "test_loss", "%.5f"),
                                        fmt(row["cpu"], "samples_per_s", "%.0f"), fmt(row["cuda"], "samples_per_s", "%.0f")))

try:
    with open(os.path.join(out, "w1-nccl.json")) as fh:
        r = json.loads(fh.read().strip() or "{}")
except (OSError, ValueError):
    r = {}
d = r.get("distributed") or {}
print("%-9s %14s %14s %14s %14s   (%s)" % ("W1 job", "", "%.5f" % r["test_loss"] if isinstance(r.get("test_loss"), (int, float)) else "failed",
                                          "", "%.0f" % r["samples_per_s"] if isinstance(r.get("samples_per_s"), (int, float)) else "failed",
                                          d.get("collective", "no collective reported")))
