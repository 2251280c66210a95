"""`pip install --no-build-isolation .` works offline and installs an importable package: pip
builds the source tree (setup.py: CMake, this interpreter) into a fresh target directory, and a
new interpreter that sees only that directory (and the system's numpy) imports polarkit and
computes a polar factor. Run by ctest as `python_install` (it builds the library once more, in
Release, so it is kept out of the pytest run)."""
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]

CHECK = """
import numpy as np, polarkit, sys
assert polarkit.__file__.startswith(sys.argv[1]), polarkit.__file__
a = np.random.default_rng(1).standard_normal((40, 25))
u, h, info = polarkit.polar(a)
eps = np.finfo(np.float64).eps
# Backward error and orthogonality at the accuracy bar of the C++ tests (c·n·u).
assert np.linalg.norm(u @ h - a) <= 50 * 25 * eps * np.linalg.norm(a), info
assert np.linalg.norm(u.T @ u - np.eye(25)) <= 50 * 25 * eps, info
print("installed polarkit", polarkit.__file__)
"""


def main():
    with tempfile.TemporaryDirectory() as target:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                               "--no-deps", "--no-index", "--target", target, str(SOURCE)])
        subprocess.check_call([sys.executable, "-c", CHECK, target],
                              env={"PYTHONPATH": target, "PATH": "/usr/bin:/bin"},
                              cwd=tempfile.gettempdir())


if __name__ == "__main__":
    main()
