#!/usr/bin/env python3
"""CPU accounting for `make bench` (stdlib only, Linux /proc).

  cpu.py snap [--pid NAME=PID]... [--tree NAME=PID]...
      prints one JSON snapshot: wall time, machine busy/idle ticks, and CPU ticks of each named
      process (--pid) or process tree (--tree: the process, its live children, and what its
      reaped children used, e.g. a postmaster and its backends).
  cpu.py diff BEFORE_JSON AFTER_JSON
      prints "machine_busy_pct=.. NAME_cores=.." for the interval between two snapshots.
  cpu.py per BEFORE_JSON AFTER_JSON COUNT
      prints "NAME X µs, ..." : each process's CPU over the interval divided by COUNT (e.g. CPU
      per delivery), steadier than rates on a shared machine.
"""

import json
import os
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """Fields after the command name of /proc/PID/stat (index 0 is the state)."""
    with open("/proc/%d/stat" % pid) as handle:
        text = handle.read()
    return text[text.rindex(")") + 2:].split()


def own_ticks(pid, children_too=False):
    try:
        fields = stat_fields(pid)
    except (OSError, ValueError):
        return 0
    # utime stime cutime cstime are fields 14-17 of stat, i.e. 11-14 after the state.
    ticks = int(fields[11]) + int(fields[12])
    if children_too:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def tree_ticks(root):
    total = own_ticks(root, children_too=True)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = stat_fields(int(entry))
        except (OSError, ValueError):
            continue
        if int(fields[1]) == root:
            total += own_ticks(int(entry))
    return total


def machine():
    with open("/proc/stat") as handle:
        first = handle.readline().split()
    values = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return sum(values) - idle, idle


def snap(args):
    processes = {}
    i = 0
    while i < len(args):
        kind, spec = args[i], args[i + 1]
        i += 2
        name, pid = spec.split("=", 1)
        pid = int(pid or 0)
        if pid <= 0:
            continue
        processes[name] = tree_ticks(pid) if kind == "--tree" else own_ticks(pid, children_too=True)
    busy, idle = machine()
    print(json.dumps({"wall": time.monotonic(), "busy": busy, "idle": idle, "proc": processes}))


def diff(before, after):
    a, b = json.loads(before), json.loads(after)
    wall = max(1e-9, b["wall"] - a["wall"])
    total = (b["busy"] - a["busy"]) + (b["idle"] - a["idle"])
    parts = ["machine_busy_pct=%.0f" % (100.0 * (b["busy"] - a["busy"]) / max(1, total))]
    for name, ticks in b["proc"].items():
        if name in a["proc"]:
            parts.append("%s_cores=%.2f" % (name, (ticks - a["proc"][name]) / TICKS / wall))
    print(" ".join(parts))


def per(before, after, count):
    a, b = json.loads(before), json.loads(after)
    parts = []
    for name, ticks in b["proc"].items():
        if name in a["proc"]:
            parts.append("%s %.0f µs" % (name, (ticks - a["proc"][name]) / TICKS * 1e6 / max(1, count)))
    print(", ".join(parts))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "snap":
        snap(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "per":
        per(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
