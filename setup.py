"""The build behind `pip install --no-build-isolation .` (pyproject.toml): CMake configures the
library with the Python package on (for this interpreter), builds the module target only, and
setuptools installs python/polarkit with it. Extra CMake arguments come from the CMAKE_ARGS
environment variable (e.g. CMAKE_ARGS="-DPOLARKIT_CUDA=ON")."""
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = Path(__file__).resolve().parent


def version():
    text = (SOURCE / "CMakeLists.txt").read_text()
    match = re.search(r"project\(\s*polarkit\s+VERSION\s+([0-9.]+)", text)
    if match is None:
        raise RuntimeError("CMakeLists.txt: no project(polarkit VERSION ...)")
    return match.group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(SOURCE), "-B", str(build),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DPOLARKIT_PYTHON=ON",
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DPOLARKIT_BUILD_TESTS=OFF",
            "-DPOLARKIT_BUILD_TOOLS=OFF",
            "-DPOLARKIT_BUILD_BENCH=OFF",
        ]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        configure += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "_polarkit",
                               "--parallel", str(os.cpu_count() or 1)])
        built = sorted((build / "python" / "polarkit").glob("_polarkit*"))
        if not built:
            raise RuntimeError(f"the CMake build made no polarkit/_polarkit module in {build}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    version=version(),
    packages=["polarkit"],
    package_dir={"polarkit": "python/polarkit"},
    ext_modules=[CMakeExtension("polarkit._polarkit")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
