#!/usr/bin/python3
"""Regenerates the reference .npy files in this directory with NumPy.

Run with Debian's numpy (apt-get install python3-numpy): /usr/bin/python3 gen.py
The Go tests check that package npy reads these files and, for the
little-endian C-order ones, that its writer produces identical bytes.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, arr, version=None):
    path = os.path.join(here, name)
    if version is None:
        np.save(path, arr)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)


save("f4_3x5.npy", (np.arange(15, dtype="<f4").reshape(3, 5) / 4 - 1).astype("<f4"))
save("f2_10.npy", np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6.103515625e-05,
                            2.0**-24, np.inf, -np.inf, np.nan], dtype="<f2"))
save("f8_scalar.npy", np.array(np.pi, dtype="<f8"))
save("i4_2x3x4.npy", (np.arange(24, dtype="<i4") - 12).reshape(2, 3, 4))
save("i8_0.npy", np.zeros((0,), dtype="<i8"))
save("u1_7.npy", np.array([0, 1, 127, 128, 200, 254, 255], dtype="|u1"))
save("i1_7.npy", np.array([-128, -1, 0, 1, 2, 100, 127], dtype="|i1"))
save("u2_2x2.npy", np.array([[0, 1], [65535, 40000]], dtype="<u2"))
save("b1_2x3.npy", np.array([[True, False, True], [False, False, True]]))
save("f4_bigdim_0.npy", np.zeros((10**15, 0), dtype="<f4"))
# Read-only references: big-endian, Fortran order, format versions 2.0 and 3.0.
save("be_f4_3.npy", np.array([1.5, -2.0, 3.25], dtype=">f4"))
save("be_i8_2.npy", np.array([-2, 2**40 + 7], dtype=">i8"))
save("fortran_f4_2x3.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
save("v2_f4_3.npy", np.array([1.5, -2.0, 3.25], dtype="<f4"), version=(2, 0))
save("v3_f4_3.npy", np.array([1.5, -2.0, 3.25], dtype="<f4"), version=(3, 0))
