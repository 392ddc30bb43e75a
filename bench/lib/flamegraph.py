#!/usr/bin/env python3
"""A flame graph (SVG) of `perf script` output: one box per function on a
stack, as wide as its share of the samples, callers below callees.

    perf script -i perf.data | flamegraph.py "TITLE" > out.svg

Stacks are folded per thread name (libfuse's workers, the flusher, the
completion worker, reclaim), then drawn; boxes narrower than MIN_SHARE of
the total are dropped (and counted in the title), so the file stays small.
Hover a box for its function and share.  No colours that mean anything:
warm for user space, cool for the kernel, as perf's own convention.
"""
import html
import re
import sys
from collections import defaultdict

MIN_SHARE = 0.002
WIDTH = 1200
ROW = 16
FONT = 11
CHAR_W = 6.2


def fold(lines):
    """perf script text -> {(thread, caller, ..., callee): samples}"""
    stacks = defaultdict(int)
    head, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if head is not None:
                stacks[tuple([head] + frames[::-1])] += 1
            head, frames = None, []
            continue
        if not line.startswith((" ", "\t")):
            head = re.sub(r"[-:]?\d+$", "", line.split()[0]) or "?"
            head = re.sub(r"\d+$", "N", head)
            frames = []
            continue
        parts = line.strip().split(None, 1)
        sym = parts[1] if len(parts) > 1 else parts[0]
        sym = re.sub(r"\+0x[0-9a-f]+", "", sym)
        dso = re.search(r"\(([^)]*)\)\s*$", sym)
        sym = re.sub(r"\s*\([^)]*\)\s*$", "", sym)
        if sym in ("[unknown]", ""):
            sym = "[" + (dso.group(1).rsplit("/", 1)[-1] if dso else "unknown") + "]"
        frames.append(sym + ("@k" if dso and "kernel" in dso.group(1) else ""))
    if head is not None:
        stacks[tuple([head] + frames[::-1])] += 1
    return stacks


def tree(stacks):
    root = {"n": 0, "kids": {}}
    for stack, n in stacks.items():
        node = root
        node["n"] += n
        for f in stack:
            node = node["kids"].setdefault(f, {"n": 0, "kids": {}})
            node["n"] += n
    return root


def colour(name, depth):
    h = sum(map(ord, name)) % 40
    if name.endswith("@k"):
        return f"rgb({60 + h},{140 + h},{200})"
    if depth == 0:
        return "rgb(200,200,200)"
    return f"rgb({215 + h % 40},{90 + h * 2},{40 + h})"


def draw(root, title):
    total = root["n"] or 1
    boxes, dropped = [], 0

    def walk(node, name, x, depth):
        nonlocal dropped
        w = node["n"] / total * WIDTH
        if node["n"] / total < MIN_SHARE:
            dropped += node["n"] if depth == 1 else 0
            return
        if name is not None:
            boxes.append((x, depth - 1, w, name, node["n"]))
        cx = x
        for kid, sub in sorted(node["kids"].items(), key=lambda kv: -kv[1]["n"]):
            walk(sub, kid, cx, depth + 1)
            cx += sub["n"] / total * WIDTH

    walk(root, None, 0.0, 0)
    depth = max((b[1] for b in boxes), default=0) + 1
    height = (depth + 3) * ROW
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="monospace" font-size="{FONT}">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="4" y="{ROW}">{html.escape(title)} ({total} samples'
           + (f"; {dropped} in threads under {MIN_SHARE:.1%} not drawn" if dropped else "")
           + ")</text>"]
    for x, d, w, name, n in boxes:
        y = height - (d + 1) * ROW - 4
        label = name[:-2] if name.endswith("@k") else name
        tip = f"{label} ({n} samples, {n / total:.1%})"
        out.append(f'<g><title>{html.escape(tip)}</title><rect x="{x:.1f}" y="{y}" '
                   f'width="{max(w - 0.5, 0.5):.1f}" height="{ROW - 1}" fill="{colour(name, d)}"/>')
        fit = int(w / CHAR_W)
        if fit >= 3:
            text = label if len(label) <= fit else label[:fit - 2] + ".."
            out.append(f'<text x="{x + 2:.1f}" y="{y + ROW - 4}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    title = sys.argv[1] if len(sys.argv) > 1 else "flame graph"
    sys.stdout.write(draw(tree(fold(sys.stdin)), title))


if __name__ == "__main__":
    main()
