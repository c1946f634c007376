#!/usr/bin/python3
"""The lottery's exact boundary, computed apart from our C code.

A signature wins index i when ev (its 512-bit dense mapping, an integer)
satisfies  ev / 2^512 < 1 - (1 - phi_f)^(stake/total)  (mithril-stm
eligibility.rs), i.e. q = 2^512 / (2^512 - ev) < exp(x) with
x = -(stake/total) * ln(1 - phi_f), ln taken in binary64 as the reference
does. The winning ev are 0 .. E with E = floor(2^512 * (1 - exp(-x))).

E is found twice: with 300-digit decimal arithmetic, and by a bisection
whose verdicts come from a transcription of the reference's Taylor
comparison (exact rationals, error term 3*|next term|, at most 1000 steps).
Both agree except for large x (phi_f = 0.95 with all the stake): there the
reference's error term is too small at its first step and it declares
"lost" for every q > 1 + x + 3x^2/2 < exp(x); the table then holds the
reference's boundary (which the script checks is that one). Prints the table of test_stm_lottery.c, or with
--check FILE, exits 1 unless FILE holds exactly that table.
"""
import math
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

# (phi_f, stake, total_stake): mainnet phi_f with pool-sized stakes, the whole
# stake, the reference's golden parameters, the largest phi_f it supports
# (0.95, x near 3), a tiny share and small odd numbers.
CASES = [
    (0.2, 1234567, 987654321),
    (0.2, 1, 1),
    (0.8, 1, 2),
    (0.95, 1, 1),
    (0.5, 1, 10**15),
    (0.05, 3, 7),
    (0.65, 299, 300),
]
TWO512 = 1 << 512


def x_of(phi_f, stake, total):
    c = Fraction(math.log(1.0 - phi_f))  # exact value of the binary64 ln
    return -c * Fraction(stake, total)


def boundary_decimal(phi_f, stake, total):
    getcontext().prec = 300
    x = x_of(phi_f, stake, total)
    e = (Decimal(x.numerator) / Decimal(x.denominator)).exp()
    return int(Decimal(TWO512) * (1 - 1 / e))  # floor: the value is positive


def reference_won(phi_f, ev, stake, total):
    """eligibility.rs is_lottery_won / taylor_comparison, step by step."""
    if abs(phi_f - 1.0) < sys.float_info.epsilon:
        return True
    q = Fraction(TWO512, TWO512 - ev)
    x = x_of(phi_f, stake, total)
    new_x, phi, divisor = x, Fraction(1), 1
    for _ in range(1000):
        phi += new_x
        divisor += 1
        new_x = new_x * x / divisor
        err = abs(new_x) * 3
        if q > phi + err:
            return False
        if q < phi - err:
            return True
    return False


def boundary_reference(phi_f, stake, total):
    """Largest ev the reference's procedure accepts, by bisection over the
    whole range (its verdict only changes once, from won to lost)."""
    lo, hi = 0, TWO512 - 1
    assert reference_won(phi_f, lo, stake, total) and not reference_won(phi_f, hi, stake, total)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reference_won(phi_f, mid, stake, total):
            lo = mid
        else:
            hi = mid
    return lo


def boundary_first_step(phi_f, stake, total):
    """Where the reference's first Taylor step already says "lost":
    q > 1 + x + 3x^2/2, i.e. ev > 2^512 (1 - 1/(1 + x + 3x^2/2))."""
    x = x_of(phi_f, stake, total)
    qmax = 1 + x + 3 * x * x / 2
    return TWO512 - (TWO512 / qmax).__ceil__()


def table():
    lines = []
    for phi_f, stake, total in CASES:
        e = boundary_decimal(phi_f, stake, total)
        r = boundary_reference(phi_f, stake, total)
        if e != r and r != boundary_first_step(phi_f, stake, total):
            sys.exit("phi_f=%r stake=%d total=%d: decimal %x, reference %x" %
                     (phi_f, stake, total, e, r))
        note = "" if e == r else "  /* reference stops at its first step, below exp(x) */"
        h = "%0128x" % r
        lines.append('    {%r, %d, %d,%s\n     "%s"\n     "%s"},' %
                     (phi_f, stake, total, note, h[:64], h[64:]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    t = table()
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        src = open(sys.argv[2]).read()
        if "".join(t.split()) not in "".join(src.split()):  # formatting aside
            print("FAIL: %s does not hold the table this script computes:\n%s" % (sys.argv[2], t))
            sys.exit(1)
        print("ok   %d boundaries in %s match" % (len(CASES), sys.argv[2]))
    else:
        sys.stdout.write(t)
