#!/usr/bin/python3
"""client_layering.py - mithril-client keeps its layers: every src/client
file belongs to one layer by the one layer header it includes (client_cli.h:
commands and output, client_services.h: services, client_transport.h:
transport), headers only include the layer below, no object calls into a
higher layer (read from the symbols of the built objects), the file call
graph has no cycle, and no function reaches 100 lines."""
import glob
import os
import re
import subprocess
import sys

SRC = os.path.join(os.environ["MTL_SOURCE_DIR"], "src/client")
BUILD = os.environ["MTL_BUILD_DIR"]
HEADERS = {"client_transport.h": 1, "client_services.h": 2, "client_cli.h": 3}
NAMES = {1: "transport", 2: "services", 3: "commands"}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def includes(path):
    return re.findall(r'^#include "([^"]+)"', open(path).read(), re.M)


# Headers include only the layer right below.
for h, lvl in HEADERS.items():
    below = [x for x in includes(os.path.join(SRC, h)) if x in HEADERS]
    want = [k for k, v in HEADERS.items() if v == lvl - 1]
    if below != want:
        fail("%s includes %s, expected %s" % (h, below, want))

# Each .c: exactly one layer header.
layer = {}
for c in sorted(glob.glob(os.path.join(SRC, "*.c"))):
    name = os.path.basename(c)
    mine = [HEADERS[x] for x in includes(c) if x in HEADERS]
    if len(mine) != 1:
        fail("%s includes %d layer headers (want 1)" % (name, len(mine)))
        continue
    layer[name] = mine[0]

# Calls, from the objects' symbols: defined (T) and undefined (U).
objs = glob.glob(os.path.join(BUILD, "src/client/CMakeFiles/client_core.dir/client_*.c.o"))
objs += glob.glob(os.path.join(BUILD, "src/client/CMakeFiles/mithril-client.dir/client_main.c.o"))
objs = [o for o in objs if os.path.basename(o)[:-2] in layer]  # no stale objects
if len(objs) < len(layer):
    print("FAIL: objects missing under %s (build mithril-client first)" % BUILD)
    sys.exit(1)
defined, used = {}, {}
for o in objs:
    name = os.path.basename(o)[:-2]
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "T":
            defined[parts[2]] = name
        elif len(parts) == 2 and parts[0] == "U":
            used.setdefault(name, set()).add(parts[1])
graph = {}
for name, syms in used.items():
    for s in syms:
        callee = defined.get(s)
        if not callee or callee == name:
            continue
        graph.setdefault(name, set()).add(callee)
        if layer.get(callee, 0) > layer.get(name, 0):
            fail("%s (%s) calls %s of %s (%s)" % (name, NAMES.get(layer.get(name)), s, callee,
                                                  NAMES.get(layer.get(callee))))

# No cycle among the files (depth-first search).
state = {}


def visit(n, path):
    state[n] = 1
    for m in sorted(graph.get(n, ())):
        if state.get(m) == 1:
            fail("call cycle: " + " -> ".join(path[path.index(m):] + [m]))
        elif not state.get(m):
            visit(m, path + [m])
    state[n] = 2


for n in sorted(graph):
    if not state.get(n):
        visit(n, [n])

# Function length: from a "{" line at column 0 to the next "}" line.
longest = (0, "")
for c in sorted(glob.glob(os.path.join(SRC, "*.c"))):
    lines = open(c).read().split("\n")
    start = None
    for i, l in enumerate(lines):
        if l == "{":
            start = i
        elif l.startswith("}") and start is not None:
            n = i - start + 2  # with the signature line
            if n > longest[0]:
                longest = (n, "%s:%d" % (os.path.basename(c), start))
            if n >= 100:
                fail("%s:%d: function of %d lines (limit 99)" % (os.path.basename(c), start, n))
            start = None

print("%d files in %d layers, %d call edges, longest function %d lines (%s)" %
      (len(layer), len(set(layer.values())), sum(len(v) for v in graph.values()), longest[0],
       longest[1]))
sys.exit(1 if failures else 0)
