#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz (tests/fuzz/corpus/<target>/): small valid files and a
few edge cases for each target. The files are committed; run this again only to change them
(python3 tests/fuzz/make_corpus.py, from anywhere). Standard library only."""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent


def npy(header, data, major=1):
    """A .npy file of version major.0: header dict text padded to 64 bytes and ended by '\\n'."""
    fixed = 8 + (2 if major == 1 else 4)
    text = header
    while (fixed + len(text) + 1) % 64:
        text += " "
    text += "\n"
    size = struct.pack("<H" if major == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + size + text.encode("latin-1") + data


def f8(*v):
    return struct.pack(f"<{len(v)}d", *v)


def f4(*v):
    return struct.pack(f"<{len(v)}f", *v)


CORPORA = {
    "fuzz_npy": {
        "v1_f8_c_2x3.npy": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                               f8(1, 2, 3, 4, 5, 6)),
        "v1_f4_fortran_3x2.npy": npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }",
                                     f4(1, -2, 3.5, 0, 1e-3, 7)),
        "v2_f8_fortran_2x2.npy": npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                                     f8(1, 0, 0, 1), major=2),
        "v3_f4_c_1x1.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
                               f4(3), major=3),
        "empty_0x3.npy": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", b""),
        "variant_header.npy": npy('{"shape":(2L,1L),"fortran_order":True,"descr":"<f8"}',
                                  f8(float("nan"), float("inf"))),
        "bad_dtype_i8.npy": npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }",
                                b"\0" * 8),
        "bad_shape_3d.npy": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }",
                                f8(1)),
    },
    "fuzz_matrix_market": {
        "array_general.mtx": b"%%MatrixMarket matrix array real general\n% a comment\n2 3\n"
                             b"1\n2\n3\n4\n5\n6\n",
        "coordinate_general.mtx": b"%%MatrixMarket matrix coordinate real general\r\n"
                                  b"%\r\n3 3 4\r\n1 1 1.5\r\n3 2 -2e3\r\n1 1 0.5\r\n2 3 +7\r\n",
        "coordinate_symmetric.mtx": b"%%MatrixMarket matrix coordinate double symmetric\n"
                                    b"3 3 3\n1 1 4\n2 1 1\n3 3 2\n",
        "array_skew.mtx": b"%%MatrixMarket Matrix Array Real Skew-Symmetric\n3 3\n1\n2\n3\n",
        "coordinate_integer.mtx": b"%%MatrixMarket matrix coordinate integer general\n"
                                  b"2 2 2\n1 2 -3\n2 1 4\n",
        "array_symmetric_nan.mtx": b"%%MatrixMarket matrix array real symmetric\n2 2\nnan\ninf\n-1\n",
        "empty.mtx": b"%%MatrixMarket matrix coordinate real general\n0 0 0\n",
        "bad_pattern.mtx": b"%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1\n",
    },
    "fuzz_c_api_options": {
        "qdwh.txt": b"method=qdwh\ntol=1e-12\nmax_iter=50\nscaling=spectral\nsolve=5x3\n",
        "reduced_precision.txt": b"method=polar-express\nsteps=5\nprecision=bf16\nrefine=true\n"
                                 b"two_norm_each_iterate=false\nmeasure_result=false\nsolve=8x8\n",
        "polargrad.txt": b"kind=polargrad\nlr=0.02\nmomentum=0.9\nnesterov=true\nweight_decay=0.1\n"
                         b"nu=nuclear\nmomentum_order=polar-first\nstep=4x6\n",
        "muon.txt": b"kind=muon\nscale=moonlight\nmethod=muon\nsteps=5\nbatch_group=2\nstep=6x4\n",
        "rejected.txt": b"tol=nan\nmax_iter=0\nsteps=1001\nbatch_group=-1\nlr=-1\nunknown=1\nmethod\n"
                        b"kind=bogus\nlr=1\nstep=3x3\n",
        "zolo_sign.txt": b"compute_h=0\nbackward_error=1\nmethod=zolo\nsolve=7x5\nkind=sign\n"
                         b"scale=spectral\nstep=3x3\n",
        "empty_and_device.txt": b"method=auto\nsolve=0x4\nsolve=4x0\nprecision=tf32\ndevice=cuda\n"
                                b"solve=2x2\n",
    },
    "fuzz_cli_args": {
        "polar.txt": b"polar\nA.npy",
        "polar_json.txt": b"polar\nA.mtx\n--method\nqdwh\n--tol\n1e-12\n--max-iter\n20\n--json\n"
                          b"--u\nU.npy\n--h\nH.npy",
        "polar_reduced.txt": b"polar\nA.npy\n--precision=bf16\n--steps\n5\n--refine\n--no-two-norm\n"
                             b"--no-measure-result\n--device\ncuda\n--repeat\n3\n--dtype\nf32",
        "sweep.txt": b"sweep\n--methods\nqdwh,zolo,muon\n--n\n16\n--kappa\n1,1e4\n--spectrum\n"
                     b"linear,one-small",
        "sweep_files.txt": b"sweep\n--dtype\nf32\n--precision\ntf32\n--csv\nout.csv\n--plot\nout.svg\n"
                           b"--seed\n7\n--m\n8\n--max-iter\n50\n--refine",
        "help.txt": b"--help",
        "polar_help.txt": b"polar\n--help",
        "unknown.txt": b"frobnicate\n--n\n3",
    },
}

for target, files in CORPORA.items():
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
