#!/usr/bin/env python3
"""The layer picture of docs/ARCHITECTURE.md against the #include lines.

Each line between the layers markers is "<folder or file> <what> --> <deps>".
For every C file of a layer, each '#include "X/..."' of another layer X must
be an arrow of the picture, and each arrow must be used by some include:
the picture can neither hide a dependency nor claim one that is gone.
Catches a file reaching back up (delivery included from tiktok, say) and a
picture left behind by a change.
"""
import os
import re
import sys

SRC = os.environ.get("TT_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
DOC = os.path.join(SRC, "docs", "ARCHITECTURE.md")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def picture():
    text = open(DOC, encoding="utf-8").read()
    m = re.search(r"<!-- layers: begin -->(.*?)<!-- layers: end -->", text, re.S)
    if m is None:
        sys.exit("docs/ARCHITECTURE.md has no <!-- layers: begin/end --> picture")
    layers = {}
    for line in m.group(1).strip().splitlines():
        left, _, right = line.partition("-->")
        where = left.split()[0].rstrip("/")
        layers[where] = set(d.replace("plugin/", "") for d in right.split())
    return layers


def files_of(where):
    path = os.path.join(SRC, where)
    if os.path.isfile(path):
        return [path]
    return [os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith((".c", ".h"))]


def name_of(where):
    """The folder name other files include it by ("delivery", "common")."""
    return os.path.basename(where).replace(".c", "")


def main():
    layers = picture()
    problems = []
    for where, deps in layers.items():
        used = set()
        for f in files_of(where):
            for inc in INCLUDE.findall(open(f, encoding="utf-8", errors="replace").read()):
                if inc == name_of(where) or inc in ("aconn",):
                    continue
                if inc not in deps:
                    problems.append("%s includes %s/, which the picture does not allow"
                                    % (os.path.relpath(f, SRC), inc))
                used.add(inc)
        for d in sorted(deps - used):
            problems.append("the picture says %s --> %s, but no file there includes %s/"
                            % (where, d, d))
    plugin_dirs = sorted(d for d in os.listdir(os.path.join(SRC, "plugin"))
                         if os.path.isdir(os.path.join(SRC, "plugin", d)))
    for d in plugin_dirs:
        if "plugin/" + d not in layers:
            problems.append("plugin/%s/ is not in the picture" % d)
    for p in problems:
        print("test_layers: " + p)
    print("test_layers: %d layers, %d problems" % (len(layers), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
