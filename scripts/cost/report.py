#!/usr/bin/env python3
"""make kernel-cost report: per-frame figures from vk_cost plugin reports.

usage: report.py RUNDIR OUT.json

RUNDIR (scripts/cost.sh run) holds sides.tsv, runs.tsv and one directory per
boot with report.tsv (the plugin's vk_cost/1 report), results.log (the
guest's output, with 'vk-cost workload=W frames=N' and 'vk-cost json {..}'
lines) and wall (seconds). Writes OUT.json (schema vnetkit-cost/1, README
"make kernel-cost"), RUNDIR/<workload>.dat and a gnuplot chart
<OUT without .json>-<workload>.svg, and prints the tables.

Per frame = counts inside the guest's window / frames the workload finished
inside it. vCPU 0 is the driver (sender), vCPU 1 the vhost worker
(receiver): the workloads pin them so.
"""
import json
import os
import statistics
import subprocess
import sys

# upg: store hits that invalidated another vCPU's copy (a shared line made
# exclusive); reports written before that column read it as 0.
COLS = ["insns", "loads", "stores", "l1d_miss", "llc_miss", "cold", "capconf", "coh", "upg"]
SIDE_NAMES = {"0": "driver", "1": "worker"}
TOP = 12
INSN_BOUND = 0.01   # repeatability bounds (issue 13)
MISS_BOUND = 0.03
# A miss figure is judged against MISS_BOUND only when the window holds at
# least this many of those misses: boots of one kernel differ in where the
# host lets a timer interrupt land, and each landing moves a handful of
# capacity misses (tap-xdp-drop's driver side: 191 and 212 L1D misses in
# 11M instructions, 10 % apart). Below it the spread is printed, not judged.
MIN_EVENTS = 1000


def read_report(path):
    """Rows of a vk_cost/1 report: header dict, {(kind, vcpu, name): counts}.
    The columns are named by the report's '#kind' line."""
    hdr, rows, names = {}, {}, COLS[:8]
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# vk_cost/"):
                for tok in line.split()[2:]:
                    k, _, v = tok.partition("=")
                    hdr[k] = v
                continue
            if line.startswith("#kind\t"):
                names = line.split("\t")[3:]
                continue
            if not line or line.startswith("#"):
                continue
            p = line.split("\t")
            if len(p) != 3 + len(names):
                continue
            c = dict.fromkeys(COLS, 0)
            c.update((n, int(x)) for n, x in zip(names, p[3:]) if n in c)
            rows[(p[0], p[1], p[2])] = c
    return hdr, rows


def read_guest(path):
    frames, js = None, None
    try:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if line.startswith("vk-cost workload="):
                    for tok in line.split():
                        if tok.startswith("frames="):
                            frames = int(tok[7:])
                elif line.startswith("vk-cost json "):
                    try:
                        js = json.loads(line[len("vk-cost json "):])
                    except ValueError:
                        js = None
    except OSError:
        pass
    return frames, js


def med(v):
    return statistics.median(v) if v else None


def spread(v):
    """(max - min) / median of the runs, 0 for one run."""
    if len(v) < 2:
        return 0.0
    m = statistics.median(v)
    return (max(v) - min(v)) / m if m else 0.0


def ratio(a, b):
    """B / A; None when either side is missing (a run failed) or A is 0."""
    return b / a if a and b is not None else None


def fmt(v, w=10, p=1):
    """v right-aligned in w columns with p decimals, fewer if it would not
    leave a space before it (a ratio over a near-zero A: 9002.0)."""
    if v is None:
        return "-".rjust(w)
    for q in range(p, -1, -1):
        s = f"{v:.{q}f}"
        if len(s) < w:
            return s.rjust(w)
    return " " + f"{v:.3g}"


def virtual_time(js):
    """Virtual-time figures of the workload's own report (-icount: 1 ns of
    guest time per instruction), whole run incl. warm-up."""
    if not js:
        return {}
    out = {}
    if "ns_per_frame" in js:
        out["ns_per_frame"] = js["ns_per_frame"]
    lat = js.get("latency_ns")
    if lat:
        out["rtt_p50_ns"] = lat.get("p50")
        out["rtt_p99_ns"] = lat.get("p99")
    # the frames inside the cost window (after the warm-up) only
    lat = js.get("latency_after_warmup_ns")
    if lat:
        out["rtt_window_p50_ns"] = lat.get("p50")
        out["rtt_window_p99_ns"] = lat.get("p99")
    for q in ("tx", "rx"):
        if q in js and isinstance(js[q], dict):
            out[q + "_kicks_per_frame"] = js[q].get("kicks_per_frame")
            out[q + "_irqs_per_frame"] = js[q].get("interrupts_per_frame")
    return out


def main():
    rundir, out_json = sys.argv[1], sys.argv[2]
    sides = {}
    with open(os.path.join(rundir, "sides.tsv")) as f:
        next(f)
        for line in f:
            s, label, image, sysmap = line.rstrip("\n").split("\t")
            sides[s] = {"label": label, "image": image, "system_map": sysmap}
    runs = []
    with open(os.path.join(rundir, "runs.tsv")) as f:
        for line in f:
            w, s, r, frames, d = line.rstrip("\n").split("\t")
            runs.append((w, s, int(r), int(frames), os.path.join(rundir, d)))
    workloads = []
    for w, *_ in runs:
        if w not in workloads:
            workloads.append(w)

    doc = {"schema": "vnetkit-cost/1",
           "machine": {"qemu": "-accel tcg,thread=single -icount shift=0,sleep=off -smp 2",
                       "cmdline": "nokaslr kunit.enable=0",
                       "vcpu": {"0": "driver / sender", "1": "vhost worker / receiver"}},
           "sides": sides, "rundir": os.path.abspath(rundir), "workloads": []}
    problems = 0
    for w in workloads:
        entry = {"workload": w, "runs": {"A": [], "B": []}}
        per = {"A": [], "B": []}     # per run: {(kind, vcpu, name): per-frame counts}
        for (ww, s, r, frames_req, d) in runs:
            if ww != w:
                continue
            hdr, rows = read_report(os.path.join(d, "report.tsv"))
            frames, js = read_guest(os.path.join(d, "results.log"))
            try:
                wall = float(open(os.path.join(d, "wall")).read())
            except (OSError, ValueError):
                wall = None
            run = {"run": r, "frames_requested": frames_req, "window_frames": frames,
                   "windows": int(hdr.get("windows", 0)), "wall_s": wall,
                   "plugin": hdr, "virtual_time": virtual_time(js),
                   "report": os.path.relpath(os.path.join(d, "report.tsv"), rundir)}
            entry["runs"][s].append(run)
            if not frames or run["windows"] < 1:
                print(f"vnetkit: kernel-cost: {w} kernel {s} run {r}: no window or no "
                      f"frames inside it (windows={run['windows']}, frames={frames}); "
                      f"skipped", file=sys.stderr)
                problems += 1
                continue
            per[s].append({k: {c: v / frames for c, v in cnt.items()} for k, cnt in rows.items()})

        def agg(s, key, col):
            return med([p.get(key, {}).get(col, 0) for p in per[s]]) if per[s] else None

        def spr(s, key, col):
            return spread([p.get(key, {}).get(col, 0) for p in per[s]])

        totals = {}
        for s in ("A", "B"):
            totals[s] = {}
            for vc in ("0", "1"):
                key = ("total", vc, "-")
                totals[s][vc] = {c: agg(s, key, c) for c in COLS}
                totals[s][vc]["spread"] = {c: spr(s, key, c) for c in COLS}
        entry["per_frame"] = {s: {SIDE_NAMES[vc]: totals[s][vc] for vc in totals[s]} for s in totals}
        entry["ratio_b_a"] = {SIDE_NAMES[vc]: {c: ratio(totals["A"][vc][c], totals["B"][vc][c])
                                               for c in COLS} for vc in ("0", "1")}
        # functions: by (vCPU, name), the largest per frame in A or B
        keys = set()
        for s in per:
            for p in per[s]:
                keys.update(k for k in p if k[0] == "func")
        funcs = []
        for k in keys:
            a, b = agg("A", k, "insns") or 0, agg("B", k, "insns") or 0
            funcs.append((max(a, b), k))
        funcs.sort(reverse=True)
        entry["functions"] = []
        for _, k in funcs:
            entry["functions"].append({
                "vcpu": int(k[1]), "side": SIDE_NAMES.get(k[1], k[1]), "name": k[2],
                "A": {c: agg("A", k, c) for c in COLS}, "B": {c: agg("B", k, c) for c in COLS},
                "spread": {s: {c: spr(s, k, c) for c in ("insns", "l1d_miss")} for s in ("A", "B")}})
        rkeys = sorted({k for s in per for p in per[s] for k in p if k[0] == "region"},
                       key=lambda k: (k[1], k[2]))
        entry["regions"] = [{"vcpu": int(k[1]), "side": SIDE_NAMES.get(k[1], k[1]), "name": k[2],
                             "A": {c: agg("A", k, c) for c in COLS[1:]},
                             "B": {c: agg("B", k, c) for c in COLS[1:]}} for k in rkeys]
        vt = {}
        for s in ("A", "B"):
            vals = {}
            for run in entry["runs"][s]:
                for k, v in run["virtual_time"].items():
                    if v is not None:
                        vals.setdefault(k, []).append(v)
            vt[s] = {k: med(v) for k, v in vals.items()}
        entry["virtual_time"] = vt
        # repeatability, per kernel: instructions within 1 %, misses within 3 %
        rep = {}
        for s in ("A", "B"):
            if len(per[s]) < 2:
                continue
            worst, judged = {}, []
            frames_min = min(r["window_frames"] for r in entry["runs"][s] if r["window_frames"])
            for vc in ("0", "1"):
                for c in ("insns", "l1d_miss", "llc_miss", "coh"):
                    k = f"{SIDE_NAMES[vc]}.{c}"
                    worst[k] = totals[s][vc]["spread"][c]
                    if c == "insns" or (totals[s][vc][c] or 0) * frames_min >= MIN_EVENTS:
                        judged.append(k)
            rep[s] = {"runs": len(per[s]), "spread": worst, "judged": judged,
                      "within_bounds": all(worst[k] <= (INSN_BOUND if k.endswith("insns") else MISS_BOUND)
                                           for k in judged)}
        entry["repeatability"] = rep
        doc["workloads"].append(entry)
        print_workload(entry, sides)
        plot(entry, rundir, out_json)

    with open(out_json, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"cost: JSON {os.path.relpath(out_json)} (vnetkit-cost/1)")
    return 1 if problems else 0


def print_workload(e, sides):
    w = e["workload"]
    na = len([r for r in e["runs"]["A"] if r["window_frames"]])
    nb = len([r for r in e["runs"]["B"] if r["window_frames"]])
    fr = [r["window_frames"] for s in "AB" for r in e["runs"][s] if r["window_frames"]]
    print(f"\n== {w}: {fr[0] if fr else 0} frames in the window, runs A {na} / B {nb} "
          f"(median of runs); A = {sides['A']['label']}, B = {sides['B']['label']}")
    print("   exact counts per frame (instructions, accesses; misses of the plugin's cache model)")
    print(f"   {'per frame':<22}{'A':>12}{'B':>12}{'B/A':>8}")
    for vc, name in SIDE_NAMES.items():
        for c in ("insns", "loads", "stores", "l1d_miss", "llc_miss", "coh", "upg"):
            a, b = e["per_frame"]["A"][name][c], e["per_frame"]["B"][name][c]
            r = e["ratio_b_a"][name][c]
            print(f"   {name + ' ' + c:<22}{fmt(a, 12, 2)}{fmt(b, 12, 2)}{fmt(r, 8, 3)}")
    vt = e["virtual_time"]
    for k in ("ns_per_frame", "rtt_p50_ns", "rtt_p99_ns", "rtt_window_p50_ns", "rtt_window_p99_ns"):
        a, b = vt["A"].get(k), vt["B"].get(k)
        if a is not None or b is not None:
            print(f"   {k + ' (virtual)':<22}{fmt(a, 12, 0)}{fmt(b, 12, 0)}"
                  f"{fmt(ratio(a, b), 8, 3)}")
    print(f"   top functions per frame{'':<13}{'insns A':>10}{'insns B':>10}{'B/A':>7}"
          f"{'l1d A':>8}{'l1d B':>8}")
    for f in e["functions"][:TOP]:
        a, b = f["A"], f["B"]
        print(f"   {f['side'][0]} {f['name'][:33]:<34}{fmt(a['insns'], 10, 1)}{fmt(b['insns'], 10, 1)}"
              f"{fmt(ratio(a['insns'], b['insns']), 7, 3)}"
              f"{fmt(a['l1d_miss'], 8, 3)}{fmt(b['l1d_miss'], 8, 3)}")
    if e["regions"]:
        print(f"   ring regions per frame{'':<6}{'loads A':>9}{'loads B':>9}{'l1d A':>8}{'l1d B':>8}"
              f"{'coh A':>8}{'coh B':>8}{'upg A':>8}{'upg B':>8}")
        for r in e["regions"]:
            a, b = r["A"], r["B"]
            print(f"   {r['side']:<7}{r['name']:<22}{fmt(a['loads'], 9, 3)}{fmt(b['loads'], 9, 3)}"
                  f"{fmt(a['l1d_miss'], 8, 3)}{fmt(b['l1d_miss'], 8, 3)}"
                  f"{fmt(a['coh'], 8, 3)}{fmt(b['coh'], 8, 3)}"
                  f"{fmt(a['upg'], 8, 3)}{fmt(b['upg'], 8, 3)}")
    for s, rep in e["repeatability"].items():
        judged = rep.get("judged", list(rep["spread"]))
        worst = max(((k, rep["spread"][k]) for k in judged), key=lambda kv: kv[1])
        few = sorted(k for k in rep["spread"] if k not in judged and rep["spread"][k] > 0)
        print(f"   repeatability {s}: {rep['runs']} runs, "
              f"{'within' if rep['within_bounds'] else 'OUTSIDE'} 1 % insns / 3 % misses "
              f"(largest spread {worst[0]} {worst[1] * 100:.2f} %"
              + (f"; too few misses to judge: {', '.join(few)}" if few else "") + ")")
    walls = [r["wall_s"] for s in "AB" for r in e["runs"][s] if r["wall_s"]]
    if walls:
        print(f"   wall time per boot with the plugin: {min(walls):.0f}..{max(walls):.0f} s")


def plot(e, rundir, out_json):
    """Top functions A vs B, instructions per frame (gnuplot, SVG)."""
    if not e["functions"]:
        return
    w = e["workload"].replace(":", "_").replace("=", "")
    dat = os.path.join(rundir, f"{w}.dat")
    with open(dat, "w") as f:
        for fn in e["functions"][:TOP]:
            f.write(f"\"{fn['side'][0]}:{fn['name']}\" {fn['A']['insns'] or 0} {fn['B']['insns'] or 0}\n")
    svg = f"{out_json[:-5]}-{w}.svg"
    script = f"""set terminal svg size 1000,520 dynamic
set output '{svg}'
set title "{e['workload']}: top functions, instructions per frame (exact, TCG plugin)" noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -40 noenhanced
set ylabel 'instructions per frame'
set key top right
set grid ytics
plot '{dat}' using 2:xtic(1) title 'A', '' using 3 title 'B'
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print(f"vnetkit: kernel-cost: gnuplot failed: {r.stderr.strip()[:200]}", file=sys.stderr)
    else:
        print(f"cost: chart {os.path.relpath(svg)}")


if __name__ == "__main__":
    sys.exit(main())
