#!/usr/bin/env python3
"""Independent reference for Projections: PEFT's vera_A / vera_B for seed 0, r=4, in_max=8, out_max=6.

The MT19937 stream comes from numpy's own implementation (RandomState seeding is init_genrand, like
torch.Generator().manual_seed); each float32 element takes one 32-bit word w, x = (w & 0xFFFFFF) * 2^-24, and
uniform_(-bound, bound) returns x * (to - from) + from in float32, either rounded once (fused, exact rational
arithmetic rounded to float32) or twice (unfused, numpy float32 ops). Writes projection-vectors.txt: one line per
matrix and rounding, the float32 bit patterns in hex, row-major.
Run: python3 make_projection_vectors.py > projection-vectors.txt
"""
import math
from fractions import Fraction

import numpy as np

SEED, R, IN_MAX, OUT_MAX = 0, 4, 8, 6


def bound(fan_in):
    gain = math.sqrt(2)
    std = gain / math.sqrt(fan_in)
    return math.sqrt(3.0) * std


def round_to_f32(q: Fraction) -> np.float32:
    # float64 holds the exact sum x*range + from here only approximately, so round via the neighbours in float32
    approx = np.float32(float(q))
    candidates = [np.nextafter(approx, np.float32(-np.inf)), approx, np.nextafter(approx, np.float32(np.inf))]
    best = min(candidates, key=lambda c: (abs(Fraction(float(c)) - q), int(np.float32(c).view(np.uint32)) & 1))
    return np.float32(best)


def kaiming(words, fan_in, fused):
    frm = np.float32(-bound(fan_in))
    to = np.float32(bound(fan_in))
    rng = np.float32(to - frm)
    out = []
    for w in words:
        x = np.float32(int(w) & 0xFFFFFF) * np.float32(2.0 ** -24)
        if fused:
            out.append(round_to_f32(Fraction(float(x)) * Fraction(float(rng)) + Fraction(float(frm))))
        else:
            out.append(np.float32(np.float32(x * rng) + frm))
    return out


def main():
    for fused in (True, False):
        bits = np.random.RandomState(SEED)._bit_generator.random_raw(R * IN_MAX + OUT_MAX * R)
        a = kaiming(bits[: R * IN_MAX], IN_MAX, fused)
        b = kaiming(bits[R * IN_MAX:], R, fused)
        name = "fused" if fused else "unfused"
        for label, values in (("A", a), ("B", b)):
            print(f"{label} {name} " + " ".join(f"{int(np.float32(v).view(np.uint32)):08x}" for v in values))


if __name__ == "__main__":
    main()
