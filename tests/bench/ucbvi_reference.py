#!/usr/bin/python3
"""Reference UCBVI-CH and UCBVI-BF written densely in Numba, for `tabrl bench --peers`.

The same algorithm as tabrl's `ucbvi` with its default parameters
(algos/exploration/ucbvi.c; Azar, Osband, Munos 2017, Algorithms 1-4):
counts, r-hat and P-hat pooled over h (stationary = true), the cap
C_h = H (clip = horizon), Q_h = min(Q_h of the last plan, C_h,
r-hat + P-hat V_{h+1} + b) for visited pairs, C_h for unvisited ones,
greedy actions with ties to the least-visited action then the lowest index,
planned at the end of every episode and followed for the whole next one.
Bonuses with L = ln(5 S A K H / delta), delta = 0.1:
  ch: b = 7 H L / sqrt(N)                                      (Alg. 3)
  bf: b = sqrt(8 L Var_{P-hat}(V_{h+1}) / N) + 14 H L / (3 N)
          + [h < H-1] sqrt(8 sum_y P-hat(y) min(1e4 H^3 S^2 A L^2 / N'_{h+1}(y), H^2) / N)
      with N'_{h+1}(y) the visits of y at stage h+1             (Alg. 4)
Dense arrays (P-hat as counts[S, A, S]) and plain loops, the way a careful
Numba user writes it; the JIT compile is excluded (a tiny run first).

Usage (the interface every tests/bench/*_reference.py script follows):
  /usr/bin/python3 tests/bench/ucbvi_reference.py --model FILE.csv --horizon H
      --episodes K [--variant ch|bf] [--seed N] [--budget S]
FILE.csv is tabrl's model CSV (`tabrl export`; README "The model CSV
format").  Prints exactly one line `episodes_per_s VALUE`; exits 3 with one
line on stderr when numba cannot be imported (Debian: python3-numba).
"""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
import peer_common  # noqa: E402


def make_numba():
    import numba

    @numba.njit(cache="NUMBA_CACHE_DIR" in os.environ)
    def ucbvi(P, R, mu0, H, K, bf, delta, seed):
        S, A, _ = P.shape
        np.random.seed(seed)
        L = np.log(5.0 * S * A * K * H / delta)
        counts = np.zeros((S, A), dtype=np.int64)
        trans = np.zeros((S, A, S), dtype=np.int64)
        rsum = np.zeros((S, A))
        state_visits = np.zeros((H, S), dtype=np.int64)
        Q = np.full((H, S, A), float(H))
        V = np.zeros((H + 1, S))
        greedy = np.zeros((H, S), dtype=np.int64)
        numerator = 1e4 * H * H * H * S * S * A * L * L
        for _ in range(K):
            for h in range(H - 1, -1, -1):
                for s in range(S):
                    best = -np.inf
                    best_a = 0
                    best_key = -1
                    for a in range(A):
                        n = counts[s, a]
                        if n > 0:
                            e = 0.0
                            for t in range(S):
                                e += trans[s, a, t] * V[h + 1, t]
                            mean = e / n
                            if bf:
                                var = 0.0
                                for t in range(S):
                                    d = V[h + 1, t] - mean
                                    var += trans[s, a, t] * d * d
                                var /= n
                                b = np.sqrt(8.0 * L * var / n) + 14.0 * H * L / (3.0 * n)
                                if h + 1 < H:
                                    total = 0.0
                                    for t in range(S):
                                        if trans[s, a, t] > 0:
                                            term = float(H * H)
                                            v = state_visits[h + 1, t]
                                            if v > 0 and numerator / v < term:
                                                term = numerator / v
                                            total += trans[s, a, t] * term
                                    b += np.sqrt(8.0 * (total / n) / n)
                            else:
                                b = 7.0 * H * L / np.sqrt(n)
                            q = rsum[s, a] / n + mean + b
                            cap = min(Q[h, s, a], float(H))
                            Q[h, s, a] = min(q, cap)
                        q = Q[h, s, a]
                        if q > best or (q == best and n < best_key):
                            best = q
                            best_a = a
                            best_key = n
                    V[h, s] = best
                    greedy[h, s] = best_a
            u0 = np.random.random()
            s = S - 1
            acc = 0.0
            for t in range(S):
                acc += mu0[t]
                if u0 < acc:
                    s = t
                    break
            for h in range(H):
                a = greedy[h, s]
                u = np.random.random()
                acc = 0.0
                s2 = S - 1
                for t in range(S):
                    acc += P[s, a, t]
                    if u < acc:
                        s2 = t
                        break
                state_visits[h, s] += 1
                counts[s, a] += 1
                trans[s, a, s2] += 1
                rsum[s, a] += R[s, a]
                s = s2
        return counts

    return ucbvi


def main():
    peer_common.run("ucbvi_reference", __doc__.split("\n")[0], make_numba, ("ch", "bf"),
                    lambda f, P, R, mu0, H, K, variant, seed:
                    f(P, R, mu0, H, K, variant == "bf", 0.1, seed))


if __name__ == "__main__":
    main()
