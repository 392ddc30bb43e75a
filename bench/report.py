#!/usr/bin/env python3
"""The report of one bench/run-bench.sh run: medians, ratios, CPU and memory
of the daemons, the issue 10 targets, the image checks.

    report.py RUN_DIR OUT_PREFIX

RUN_DIR holds raw.jsonl (one record per measured phase), checks.jsonl and
meta.json.  Writes OUT_PREFIX.md, OUT_PREFIX.json and OUT_PREFIX.png (when
matplotlib is there; else it says so), and prints the Markdown to stdout.
Re-running it on a kept scratch directory (--keep) rebuilds the report.
"""
import json
import os
import statistics
import sys

BASE = "xfsfuse"              # the default mount: the targets are about it
CACHE_SIZE_MIB = 256          # xfsfuse's default -o cache_size
RSS_SLACK_MIB = 64            # target: peak RSS <= cache_size + 64 MiB
SHORT = {"passthrough_hp": "pt_hp", "passthrough_ll": "pt_ll"}

# (workload, phase, label); {x} are filled from meta["sizes"]
ROWS = [
    ("seqwrite", "write", "sequential write {seq_mb} MiB"),
    ("seqread", "read", "sequential read {seq_mb} MiB, cold"),
    ("randwrite", "1job", "random write 4 KiB, 1 job"),
    ("randwrite", "4jobs", "random write 4 KiB, 4 jobs"),
    ("randread", "read", "random read 4 KiB, cold"),
    ("fsync", "append", "4 KiB append + fsync each"),
    ("meta", "create", "create {meta_n} files"),
    ("meta", "stat1", "stat {meta_n}, 1st pass, cold"),
    ("meta", "stat2", "stat {meta_n}, 2nd pass"),
    ("meta", "unlink", "unlink {meta_n} files"),
    ("readdir", "list", "readdir {readdir_n} entries, cold"),
    ("untar", "extract", "untar {untar_src} ({untar_entries} entries)"),
    ("scale", "empty", "create {meta_n} in an empty dir, cold"),
    ("scale", "full", "create {meta_n} in a dir of {scale_n}, cold"),
    ("extents", "one", "random read, 1-extent file, cold"),
    ("extents", "many", "random read, {extents}-extent file, cold"),
]

# The targets, as (kind, rows, other system, minimum ratio)
TARGETS = [
    ("ratio", [("meta", "create"), ("meta", "stat1"), ("meta", "stat2"), ("meta", "unlink"),
               ("untar", "extract")], "passthrough_hp", 1.0),
    ("ratio", [("seqwrite", "write"), ("seqread", "read"), ("randwrite", "1job"),
               ("randwrite", "4jobs")], "passthrough_hp", 0.8),
    ("ratio", [("randwrite", "1job"), ("randwrite", "4jobs")], "passthrough_ll", 1.0),
    ("ratio", "all", "fuse2fs", 3.0),
]
SCALING = [  # (label, workload, small phase, large phase, minimum large/small)
    ("create: dir of {scale_n} vs empty", "scale", "empty", "full", 0.5),
    ("random read: {extents} extents vs 1", "extents", "one", "many", 0.5),
]


def fmt(v):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_ratio(r):
    if r is None:
        return "–"
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×"


def load(run_dir):
    recs = [json.loads(l) for l in open(os.path.join(run_dir, "raw.jsonl")) if l.strip()]
    checks = []
    p = os.path.join(run_dir, "checks.jsonl")
    if os.path.exists(p):
        checks = [json.loads(l) for l in open(p) if l.strip()]
    meta = json.load(open(os.path.join(run_dir, "meta.json")))
    return recs, checks, meta


def summarise(recs, meta):
    tck = meta.get("clk_tck", 100)
    out = {}
    for r in recs:
        key = f"{r['workload']}.{r['phase']}"
        s = out.setdefault(key, {}).setdefault(r["system"], {"values": [], "errors": [],
                                                            "cpu_s": [], "bytes": [], "ops": [],
                                                            "hwm_kib": [], "rss_kib": [], "load1": []})
        if r["value"] is None:
            s["errors"].append(r.get("error") or "failed")
            continue
        s["values"].append(r["value"])
        s["unit"] = r["unit"]
        for k in ("bytes", "ops", "hwm_kib", "rss_kib", "load1"):
            if r.get(k) is not None:
                s[k].append(r[k])
        if r.get("cpu_ticks") is not None:
            s["cpu_s"].append(r["cpu_ticks"] / tck)
    for key, systems in out.items():
        for name, s in systems.items():
            v = s["values"]
            s["median"] = statistics.median(v) if v else None
            s["min"] = min(v) if v else None
            s["max"] = max(v) if v else None
            s["spread"] = ((s["max"] - s["min"]) / s["median"]) if v and s["median"] else None
            cpu = sum(s["cpu_s"]) if s["cpu_s"] else None
            nbytes = sum(s["bytes"]) if s["bytes"] else 0
            ops = sum(s["ops"]) if s["ops"] else 0
            s["cpu_s_per_gib"] = cpu / (nbytes / 2**30) if cpu is not None and nbytes else None
            s["cpu_us_per_op"] = cpu / ops * 1e6 if cpu is not None and ops else None
            s["peak_rss_mib"] = max(s["hwm_kib"]) / 1024 if s["hwm_kib"] else None
            s["rss_after_mib"] = s["rss_kib"][-1] / 1024 if s["rss_kib"] else None
    return out


def label(row, meta):
    sizes = dict(meta["sizes"])
    sizes.setdefault("untar_src", "")
    return row[2].format(**{k: (f"{v:,}" if isinstance(v, int) and v >= 10000 else v)
                            for k, v in sizes.items()})


def ratio(summary, key, a, b):
    sa = summary.get(key, {}).get(a, {})
    sb = summary.get(key, {}).get(b, {})
    if sa.get("median") and sb.get("median"):
        return sa["median"] / sb["median"]
    return None


def modes_table(w, summary, rows, meta, base, have):
    """The other xfsfuse modes (cache=none, io_uring, writeback_cache, ...)
    against the default mount and against passthrough_hp, the FUSE ceiling."""
    modes = [s for s in have if s.startswith("xfsfuse") and s != base]
    refs = [o for o in (base, "passthrough_hp") if o in have]
    if not base or not modes:
        return
    w("## The other xfsfuse modes")
    w("")
    w("Each mode's median divided by the default mount's and by passthrough_hp's "
      "(the issue's targets are about the default mount).")
    w("")
    cols = [f"{m} ÷ {SHORT.get(o, o)}" for m in modes for o in refs]
    w("| workload | " + " | ".join(cols) + " |")
    w("|---|" + "---:|" * len(cols))
    for r in rows:
        key = f"{r[0]}.{r[1]}"
        w(f"| {label(r, meta)} | "
          + " | ".join(fmt_ratio(ratio(summary, key, m, o)) for m in modes for o in refs) + " |")
    w("")


def main():
    run_dir, prefix = sys.argv[1], sys.argv[2]
    recs, checks, meta = load(run_dir)
    summary = summarise(recs, meta)
    systems = [s["name"] for s in meta["systems"]]
    have = [s for s in systems if any(s in v and v[s]["values"] for v in summary.values())]
    base = BASE if BASE in have else next((s for s in have if s.startswith("xfsfuse")), None)
    others = [s for s in have if not s.startswith("xfsfuse")]
    rows = [r for r in ROWS if f"{r[0]}.{r[1]}" in summary]
    L = []
    w = L.append

    start = meta["start"]
    import time
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(start))
    loads = [r["load1"] for r in recs if r.get("load1") is not None]
    w(f"# xfsfuse benchmark, {when}{' (--quick)' if meta['quick'] else ''}")
    w("")
    h = meta["host"]
    w(f"Machine: {h['cpus']} × {h['cpu'].strip()}, {h['mem_gib']} GiB, Linux {h['kernel']}, "
      f"Debian {h['debian']}, {h['fio']}, images on {h['work_fs']}.  "
      f"Run: {meta['seconds'] // 60} min {meta['seconds'] % 60} s, {meta['reps']} run(s) of each workload "
      f"per system, medians shown.")
    if loads:
        w(f"Load (1-min average, shared machine): {meta['load_start'].split()[0]} at the start, "
          f"{meta['load_end'].split()[0]} at the end; during the measured phases "
          f"median {statistics.median(loads):.2f}, max {max(loads):.2f}.")
    w(f"xfsfuse: {meta['xfsfuse']['git']} ({meta['xfsfuse']['binary']}).  "
      + "; ".join(f"{s['name']}: {s['desc']}" + (f" [{s['version']}]" if s['version'] else "")
                  for s in meta["systems"]) + ".")
    sz = meta["sizes"]
    w(f"Sizes: images {sz['image']} (preallocated), sequential file {sz['seq_mb']} MiB, "
      f"random-write files {sz['rand_mb']} MiB, timed fio jobs {sz['runtime_s']} s.")
    for note in meta.get("notes", []):
        w(f"Note: {note}")
    if meta.get("seed_extents"):
        w("Seeded extent counts (filefrag): " + "; ".join(meta["seed_extents"]) + ".")
    w("")

    # The main table
    w("## Medians and ratios")
    w("")
    cols = [SHORT.get(s, s) for s in have]
    rcols = [f"{SHORT.get(base, base)} ÷ {SHORT.get(o, o)}" for o in others] if base else []
    w("| workload | unit | " + " | ".join(cols) + (" | " + " | ".join(rcols) if rcols else "") + " |")
    w("|---|---|" + "---:|" * (len(cols) + len(rcols)))
    ratios = {}
    for r in rows:
        key = f"{r[0]}.{r[1]}"
        unit = next((summary[key][s].get("unit") for s in have
                     if s in summary[key] and summary[key][s].get("unit")), "")
        cells = []
        for s in have:
            e = summary[key].get(s)
            if not e or e["median"] is None:
                cells.append("fail" if e and e["errors"] else "–")
            else:
                cells.append(fmt(e["median"]) + ("~" if e["spread"] and e["spread"] > 0.25 else ""))
        rc = []
        for o in (others if base else []):
            x = ratio(summary, key, base, o) if base else None
            ratios.setdefault(key, {})[o] = x
            rc.append(fmt_ratio(x))
        w(f"| {label(r, meta)} | {unit} | " + " | ".join(cells) + (" | " + " | ".join(rc) if rc else "") + " |")
    w("")
    w("Higher is better everywhere.  `~`: the runs of that cell spread by more than 25 % "
      "of the median.  `–`: not measured; `fail`: the workload failed (see the JSON).")
    w("")

    modes_table(w, summary, rows, meta, base, have)

    # CPU and memory of the daemons
    daemons = [s for s in have if s != "kernel"]
    if daemons:
        w("## The daemons: CPU time and peak RSS")
        w("")
        w("CPU: the daemon's utime+stime over the phase, per GiB moved (data rows) or per "
          "operation (metadata rows, µs).  Peak RSS: VmHWM, reset at the start of each phase "
          "(max over the runs).")
        w("")
        w("| workload | " + " | ".join(f"{SHORT.get(s, s)} CPU" for s in daemons) + " | "
          + " | ".join(f"{SHORT.get(s, s)} MiB" for s in daemons) + " |")
        w("|---|" + "---:|" * (2 * len(daemons)))
        for r in rows:
            key = f"{r[0]}.{r[1]}"
            cpu, mem = [], []
            for s in daemons:
                e = summary[key].get(s) or {}
                if e.get("cpu_s_per_gib") is not None:
                    cpu.append(f"{e['cpu_s_per_gib']:.2f} s/GiB")
                elif e.get("cpu_us_per_op") is not None:
                    cpu.append(f"{e['cpu_us_per_op']:.0f} µs/op")
                else:
                    cpu.append("–")
                mem.append(f"{e['peak_rss_mib']:.0f}" if e.get("peak_rss_mib") is not None else "–")
            w(f"| {label(r, meta)} | " + " | ".join(cpu) + " | " + " | ".join(mem) + " |")
        w("")

    # Targets
    verdicts = []
    if base:
        w(f"## Issue 10's targets ({base}, default mount)")
        w("")
        w("| target | row | measured | verdict |")
        w("|---|---|---:|---|")
        for kind, trows, other, minimum in TARGETS:
            if other not in have:
                continue
            tr = [(r[0], r[1]) for r in rows] if trows == "all" else trows
            for wl, ph in tr:
                key = f"{wl}.{ph}"
                x = ratio(summary, key, base, other)
                if x is None:
                    continue
                ok = x >= minimum
                row = next(r for r in ROWS if r[0] == wl and r[1] == ph)
                verdicts.append({"target": f"≥ {minimum:g}× {other}", "row": key, "ratio": x, "met": ok})
                w(f"| ≥ {minimum:g}× {SHORT.get(other, other)} | {label(row, meta)} | {fmt_ratio(x)} | "
                  f"{'meets' if ok else '**misses**'} |")
        for lab, wl, small, large, minimum in SCALING:
            a = summary.get(f"{wl}.{small}", {}).get(base, {}).get("median")
            b = summary.get(f"{wl}.{large}", {}).get(base, {}).get("median")
            if a and b:
                x = b / a
                ok = x >= minimum
                verdicts.append({"target": f"within {1 / minimum:g}× (O(log n))", "row": f"{wl}.{large}/{small}",
                                 "ratio": x, "met": ok})
                lab2 = lab.format(**{k: (f"{v:,}" if isinstance(v, int) else v) for k, v in meta["sizes"].items()})
                w(f"| within {1 / minimum:g}× of the small case | {lab2} | {fmt_ratio(x)} | "
                  f"{'meets' if ok else '**misses**'} |")
        limit = CACHE_SIZE_MIB + RSS_SLACK_MIB
        for s in have:
            if not s.startswith("xfsfuse"):
                continue
            peaks = [(summary[f"{r[0]}.{r[1]}"][s]["peak_rss_mib"], f"{r[0]}.{r[1]}") for r in rows
                     if s in summary[f"{r[0]}.{r[1]}"] and summary[f"{r[0]}.{r[1]}"][s].get("peak_rss_mib")]
            if not peaks:
                continue
            worst, where = max(peaks)
            ok = worst <= limit
            verdicts.append({"target": f"peak RSS ≤ {limit} MiB", "row": f"{s}: {where}", "value": worst, "met": ok})
            w(f"| peak RSS ≤ cache_size + 64 MiB = {limit} MiB | {s}, worst row: {where} | {worst:.0f} MiB | "
              f"{'meets' if ok else '**misses**'} |")
        met = sum(v["met"] for v in verdicts)
        w("")
        w(f"{met} of {len(verdicts)} target checks met.")
        w("")

    # Image checks
    w("## Image checks after unmount")
    w("")
    w("| system | check | result |")
    w("|---|---|---|")
    for c in checks:
        tool = "e2fsck -fn" if c.get("fs") == "ext4" else ("xfs_repair -n" if c.get("fs") else "–")
        w(f"| {c['system']} | {tool} | {c['result']} |")
    w("")
    fails = [f"{r['system']} {r['workload']}.{r['phase']} rep {r['rep']}: {r['error']}" for r in recs if r.get("error")]
    if fails:
        w("## Failures")
        w("")
        for f in fails:
            w(f"- {f}")
        w("")

    png = prefix + ".png"
    chart_note = chart(png, summary, rows, meta, base, others, have)
    if chart_note:
        w(chart_note)
        w("")
    else:
        w(f"Chart: `{os.path.basename(png)}`.")
        w("")

    md = "\n".join(L)
    with open(prefix + ".md", "w") as f:
        f.write(md)
    clean = {k: {s: {kk: vv for kk, vv in e.items() if kk not in ("values",)} | {"values": e["values"]}
                 for s, e in v.items()} for k, v in summary.items()}
    with open(prefix + ".json", "w") as f:
        json.dump({"meta": meta, "checks": checks, "summary": clean, "ratios_vs": base,
                   "ratios": ratios, "targets": verdicts, "records": recs}, f, indent=1)
    print(md)
    print(f"results: {prefix}.md, {prefix}.json" + ("" if chart_note else f", {png}"))


def chart(png, summary, rows, meta, base, others, have):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "No chart: python3-matplotlib is not installed."
    labels = [label(r, meta) for r in rows]
    keys = [f"{r[0]}.{r[1]}" for r in rows]
    daemons = [s for s in have if s != "kernel"]
    n = len(rows)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 0.45 * n + 2.5), sharey=True,
                                 gridspec_kw={"width_ratios": [3, 2]})
    ys = list(range(n))
    if base and others:
        hgt = 0.8 / len(others)
        for i, o in enumerate(others):
            vals = [ratio(summary, k, base, o) or 0 for k in keys]
            a1.barh([y + i * hgt - 0.4 + hgt / 2 for y in ys], vals, height=hgt, label=f"÷ {o}")
        a1.axvline(1.0, color="black", lw=0.8)
        a1.set_xscale("log")
        a1.set_xlabel(f"{base} ÷ other system (higher: {base} faster; log scale)")
        a1.legend(loc="lower right", fontsize=8)
    a1.set_yticks(ys)
    a1.set_yticklabels(labels, fontsize=8)
    a1.invert_yaxis()
    if daemons:
        hgt = 0.8 / len(daemons)
        greys = plt.get_cmap("Set2")
        for i, s in enumerate(daemons):
            vals = [(summary[k].get(s) or {}).get("peak_rss_mib") or 0 for k in keys]
            a2.barh([y + i * hgt - 0.4 + hgt / 2 for y in ys], vals, height=hgt, label=s,
                    color=greys(i % 8))
        a2.axvline(CACHE_SIZE_MIB + RSS_SLACK_MIB, color="red", lw=0.8, ls="--",
                   label="cache_size + 64 MiB")
        a2.set_xlabel("daemon peak RSS, MiB")
        a2.legend(loc="lower right", fontsize=8)
    when = meta["stamp"]
    fig.suptitle(f"xfsfuse benchmark {when}{' (quick)' if meta['quick'] else ''}: "
                 f"medians of {meta['reps']} run(s), {meta['host']['cpus']} cores, "
                 f"load {meta['load_start'].split()[0]}→{meta['load_end'].split()[0]}")
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    return None


if __name__ == "__main__":
    main()
