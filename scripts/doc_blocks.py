#!/usr/bin/env python3
"""Runs the shell blocks of README.md and docs/*.md as written, from the repository root.

Every command block in those files (an indented block, or a fenced one tagged sh, bash or
shell) carries a marker on the line before it (a blank line may come between):

    <!-- runnable -->                  quick: run by the test suite (ctest: docs_runnable)
    <!-- runnable: long -->            long: run with --long (builds, benchmarks, long sweeps)
    <!-- runnable: long; restores docs/img/a.svg docs/img/b.svg -->
                                       a block that regenerates tracked files: they are put
                                       back afterwards (git checkout) where they were clean
    <!-- not runnable: REASON -->      never run (the reason says why: writes outside the
                                       repository, needs root, a GPU, ...)

Blocks that are not shell (C++, CMake, Python source) need no marker. After each block the
repository must look as before (`git status --porcelain`, untracked files included, ignored
files not): a documented command that leaves files behind is a defect of the documentation.

    scripts/doc_blocks.py --check        every command block is marked (fast)
    scripts/doc_blocks.py                the quick blocks
    scripts/doc_blocks.py --long         the long blocks (minutes to an hour)
    scripts/doc_blocks.py --list         what would run
    scripts/doc_blocks.py --long --only docs/getting-started.md     some of them

Exit status: 0, 1 where a block failed (or, with --check, is unmarked), 77 when started from
inside a block (the README's test command runs ctest, which would start them again).

Standard library only.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^<!--\s*(runnable|not runnable)\s*(?::\s*(.*?))?\s*-->\s*$")
FENCE = re.compile(r"^```\s*([A-Za-z0-9_+-]*)")
SHELL_FENCES = {"sh", "bash", "shell", "console"}
# An indented block is a command block when its first line starts like a command.
COMMAND_START = re.compile(
    r"^(\./|tools/|build/|bench/|cmake\b|ctest\b|python3?\b|/usr/bin/python3\b|apt(-get)?\b|"
    r"PYTHONPATH=|OMP_|OPENBLAS_|mpirun\b|polarkit\b|pip\b|git\b|\.venv/|for\b|while\b|"
    r"[A-Z_][A-Z0-9_]*=)")


class Block:
    def __init__(self, path, line, text, marker):
        self.path = path      # relative to ROOT
        self.line = line      # 1-based line of the block's first line
        self.text = text
        self.marker = marker  # (kind, argument) or None

    @property
    def where(self):
        return f"{self.path}:{self.line}"

    @property
    def tier(self):
        if self.marker is None:
            return None
        kind, arg = self.marker
        if kind == "not runnable":
            return "never"
        return "long" if arg and arg.split(";")[0].strip() == "long" else "quick"

    @property
    def restores(self):
        if self.marker is None or not self.marker[1]:
            return []
        out = []
        for part in self.marker[1].split(";")[1:]:
            words = part.split()
            if words and words[0] == "restores":
                out += words[1:]
        return out


SAMPLE = """Text.

<!-- runnable -->

    tools/a --quick

<!-- runnable: long; restores docs/img/x.svg docs/img/y.svg -->
```sh
cmake --build build/x
```

    cmake --preset forgotten

<!-- not runnable: writes to /opt -->

    cmake --install build/release --prefix /opt/x

<!-- runnable -->
Prose in between ends the marker.

    python3 bench/unmarked.py

```cpp
int not_a_command_block;
```

    B = aI + bG    (an indented formula, not a command)
"""


def self_test():
    """The parser on SAMPLE: what each marker form gives."""
    path = os.path.join(ROOT, "build", "doc_blocks_sample.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(SAMPLE)
    got = [(b.text.splitlines()[0], b.tier, b.restores)
           for b in blocks_of(os.path.relpath(path, ROOT))]
    os.remove(path)
    want = [("tools/a --quick", "quick", []),
            ("cmake --build build/x", "long", ["docs/img/x.svg", "docs/img/y.svg"]),
            ("cmake --preset forgotten", None, []),
            ("cmake --install build/release --prefix /opt/x", "never", []),
            ("python3 bench/unmarked.py", None, [])]
    if got != want:
        print(f"parser self-test failed:\n  got  {got}\n  want {want}", file=sys.stderr)
        return 1
    print(f"parser self-test: {len(want)} blocks as expected")
    return 0


def doc_files():
    return ["README.md"] + sorted(os.path.relpath(p, ROOT)
                                  for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))


def blocks_of(path):
    """The command blocks of one Markdown file, with the marker before each (or None)."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    marker = None      # the last marker seen, until a non-blank line that is not a block
    i = 0
    previous_blank = True
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line.strip())
        if m:
            marker = (m.group(1), m.group(2))
            i += 1
            previous_blank = True
            continue
        fence = FENCE.match(line)
        if fence:
            lang = fence.group(1).lower()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if lang in SHELL_FENCES:
                out.append(Block(path, i + 2, "\n".join(lines[i + 1:j]), marker))
            marker = None
            i = j + 1
            previous_blank = False
            continue
        if line.startswith("    ") and previous_blank and line.strip():
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            while j > i and not lines[j - 1].strip():
                j -= 1
            body = "\n".join(l[4:] for l in lines[i:j])
            if COMMAND_START.match(body):
                out.append(Block(path, i + 1, body, marker))
            marker = None
            i = j
            previous_blank = False
            continue
        if line.strip():
            marker = None
            previous_blank = False
        else:
            previous_blank = True
        i += 1
    return out


def all_blocks():
    return [b for path in doc_files() for b in blocks_of(path)]


def git_status():
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout


def run_block(block, timeout):
    before = git_status()
    clean = {p for p in block.restores if p not in before}
    t0 = time.monotonic()
    try:
        r = subprocess.run(["bash", "-eo", "pipefail", "-c", block.text], cwd=ROOT,
                           capture_output=True, text=True, timeout=timeout)
        status, out = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        status, out = "timeout", f"no end within {timeout} s\n{e.stdout or ''}{e.stderr or ''}"
    seconds = time.monotonic() - t0
    if clean:
        subprocess.run(["git", "checkout", "--"] + sorted(clean), cwd=ROOT, check=True)
    after = git_status()
    problems = []
    if status != 0:
        problems.append(f"exit status {status}")
    if after != before:
        changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
        problems.append("left the repository changed: " + "; ".join(changed))
    return problems, seconds, out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--check", action="store_true", help="every command block carries a marker")
    p.add_argument("--self-test", action="store_true", help="the parser on a built-in sample")
    p.add_argument("--long", action="store_true", help="run the long blocks instead")
    p.add_argument("--list", action="store_true", help="list the blocks of the chosen tier")
    p.add_argument("--timeout", type=float, help="seconds per block (default 600; long: 7200)")
    p.add_argument("--only", metavar="TEXT",
                   help="only the blocks whose file:line or first line contains TEXT")
    args = p.parse_args()

    if args.self_test:
        return self_test()
    blocks = all_blocks()
    # A block that runs ctest (the README's test command) must not start these runs again.
    if not args.check and os.environ.get("POLARKIT_DOC_BLOCKS"):
        print("inside a documentation block already: skipped")
        return 77
    os.environ["POLARKIT_DOC_BLOCKS"] = "1"
    if args.check:
        unmarked = [b for b in blocks if b.tier is None]
        for b in unmarked:
            print(f"{b.where}: a command block without a marker "
                  "(<!-- runnable -->, <!-- runnable: long --> or <!-- not runnable: why -->):\n"
                  f"    {b.text.splitlines()[0]}", file=sys.stderr)
        for b in blocks:
            if b.tier == "never" and not (b.marker[1] or "").strip():
                print(f"{b.where}: 'not runnable' needs a reason", file=sys.stderr)
                unmarked.append(b)
        tiers = {t: sum(b.tier == t for b in blocks) for t in ("quick", "long", "never")}
        print(f"{len(blocks)} command blocks: {tiers['quick']} quick, {tiers['long']} long, "
              f"{tiers['never']} not runnable, {len(unmarked)} unmarked or without a reason")
        return 1 if unmarked else 0

    tier = "long" if args.long else "quick"
    chosen = [b for b in blocks if b.tier == tier and
              (not args.only or args.only in b.where or args.only in b.text.splitlines()[0])]
    if args.list:
        for b in chosen:
            print(f"{b.where}: {b.text.splitlines()[0]}")
        return 0
    timeout = args.timeout or (7200.0 if args.long else 600.0)
    failed = 0
    for b in chosen:
        problems, seconds, out = run_block(b, timeout)
        print(f"{'FAIL' if problems else 'ok  '} {b.where} ({seconds:.1f} s): "
              f"{b.text.splitlines()[0]}", flush=True)
        if problems:
            failed += 1
            print("  " + "\n  ".join(problems), flush=True)
            print("  output (last 40 lines):\n    " + "\n    ".join(out.splitlines()[-40:]),
                  flush=True)
    print(f"{len(chosen) - failed} of {len(chosen)} {tier} blocks ran as written")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
