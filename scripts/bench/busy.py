#!/usr/bin/env python3
"""Who else used the CPU during a `make bench` run (stdlib only, Linux /proc).

The machine is shared: a compile or a test run next to the benchmark takes cores from it, and
cpu.py can only say how much went to "other processes". This names them.

  busy.py snap
      prints one JSON snapshot: CPU ticks (own + reaped children) of every process, with its
      name and parent.
  busy.py diff BEFORE_JSON AFTER_JSON [--skip PID]... [--skip-tree PID]... [--name PID=NAME]...
      prints the busiest process names in the interval as "name 0.61, name 0.12" (cores,
      summed by name, at least 0.02), leaving out the --skip processes and the --skip-tree
      processes with all their descendants; --name renames one process (e.g. the benchmark's
      own shell, whose reaped children are wrk and psql). Prints "none" when nobody was busy.
"""

import json
import os
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def snap():
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                text = handle.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        # ppid is field 4 of stat (1 after the state); utime stime cutime cstime are 14-17.
        ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        processes[entry] = [name, int(fields[1]), ticks]
    print(json.dumps({"wall": time.monotonic(), "proc": processes}))


def diff(before, after, skip, skip_tree, names):
    a, b = json.loads(before), json.loads(after)
    wall = max(1e-9, b["wall"] - a["wall"])
    parents = {int(pid): entry[1] for pid, entry in b["proc"].items()}

    def skipped(pid):
        if pid in skip:
            return True
        seen = 0
        while pid > 1 and seen < 64:
            if pid in skip_tree:
                return True
            pid = parents.get(pid, 0)
            seen += 1
        return False

    totals = {}
    for pid, (name, _, ticks) in b["proc"].items():
        if skipped(int(pid)):
            continue
        old = a["proc"].get(pid)
        # Matched on the pid alone: kernel workers rename themselves ("kworker/u8:2-events...").
        # Fewer ticks than before means the pid was reused by a new process.
        used = ticks - old[2] if old and ticks >= old[2] else ticks
        if used <= 0:
            continue
        label = names.get(int(pid), "kworker" if name.startswith("kworker/") else name)
        totals[label] = totals.get(label, 0) + used
    busy = sorted(((t / TICKS / wall, n) for n, t in totals.items()), reverse=True)
    shown = ["%s %.2f" % (n, c) for c, n in busy if c >= 0.02][:5]
    print(", ".join(shown) if shown else "none")


def main(argv):
    if len(argv) == 2 and argv[1] == "snap":
        snap()
        return 0
    if len(argv) >= 4 and argv[1] == "diff":
        skip, skip_tree, names = set(), set(), {}
        rest = argv[4:]
        for flag, value in zip(rest[::2], rest[1::2]):
            if flag == "--skip" and value.isdigit():
                skip.add(int(value))
            elif flag == "--skip-tree" and value.isdigit():
                skip_tree.add(int(value))
            elif flag == "--name" and "=" in value:
                pid, name = value.split("=", 1)
                if pid.isdigit():
                    names[int(pid)] = name
        diff(argv[2], argv[3], skip, skip_tree, names)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
