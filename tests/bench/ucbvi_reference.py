#!/usr/bin/python3
"""Reference UCBVI-CH in NumPy and in Numba, for `tabrl bench`'s comparison.

The same algorithm as tabrl's `ucbvi` with bonus = hoeffding (Azar, Osband,
Munos 2017, Alg. 1 + 3): stage-dependent counts, optimistic backward
induction with b = 7 H L sqrt(1 / N), L = ln(5 S A T / delta), Q clipped at
H - h, unvisited pairs at H - h, greedy actions; on RiverSwim(6), H = 20.
Written the way a careful NumPy user would (vectorised planning over states
and actions, dense arrays); the Numba version compiles the same loops.

Usage: /usr/bin/python3 tests/bench/ucbvi_reference.py [EPISODES]
(Debian packages python3-numpy and python3-numba).  Prints episodes/s.
"""
import sys
import time

import numpy as np


def riverswim(n=6):
    """P[s, a, s'] and R[s, a] of RiverSwim (Osband, Russo, Van Roy 2013)."""
    P = np.zeros((n, 2, n))
    R = np.zeros((n, 2))
    for s in range(n):
        P[s, 0, max(s - 1, 0)] = 1.0
        if s == 0:
            P[s, 1, 0] += 0.4
            P[s, 1, 1] += 0.6
        elif s < n - 1:
            P[s, 1, s + 1] += 0.35
            P[s, 1, s] += 0.6
            P[s, 1, s - 1] += 0.05
        else:
            P[s, 1, s] += 0.6
            P[s, 1, s - 1] += 0.4
    R[0, 0] = 0.005
    R[n - 1, 1] = 1.0
    return P, R


def ucbvi_numpy(P, R, H, K, delta=0.1, seed=0):
    S, A, _ = P.shape
    rng = np.random.default_rng(seed)
    L = np.log(5 * S * A * K * H / delta)
    counts = np.zeros((H, S, A))
    trans = np.zeros((H, S, A, S))
    rsum = np.zeros((H, S, A))
    cdf = np.cumsum(P, axis=2)
    Q = np.zeros((H, S, A))
    for _ in range(K):
        V = np.zeros(S)
        for h in range(H - 1, -1, -1):
            n = np.maximum(counts[h], 1)
            q = rsum[h] / n + trans[h] @ V / n + 7 * H * L * np.sqrt(1 / n)
            q = np.where(counts[h] > 0, np.minimum(q, H - h), H - h)
            Q[h] = q
            V = q.max(axis=1)
        s = 0
        u = rng.random(H)
        for h in range(H):
            a = int(np.argmax(Q[h, s]))
            s2 = int(np.searchsorted(cdf[s, a], u[h] * cdf[s, a, -1], side="right"))
            counts[h, s, a] += 1
            trans[h, s, a, s2] += 1
            rsum[h, s, a] += R[s, a]
            s = s2
    return counts


def make_numba():
    import numba

    @numba.njit(cache=False)
    def ucbvi_numba(P, R, H, K, delta, seed):
        S, A, _ = P.shape
        np.random.seed(seed)
        L = np.log(5 * S * A * K * H / delta)
        counts = np.zeros((H, S, A))
        trans = np.zeros((H, S, A, S))
        rsum = np.zeros((H, S, A))
        Q = np.zeros((H, S, A))
        V = np.zeros(S)
        W = np.zeros(S)
        for _ in range(K):
            V[:] = 0.0
            for h in range(H - 1, -1, -1):
                for s in range(S):
                    best = -1.0
                    for a in range(A):
                        n = counts[h, s, a]
                        if n == 0:
                            q = H - h
                        else:
                            e = 0.0
                            for t in range(S):
                                e += trans[h, s, a, t] * V[t]
                            q = (rsum[h, s, a] + e) / n + 7 * H * L * np.sqrt(1 / n)
                            q = min(q, H - h)
                        Q[h, s, a] = q
                        best = max(best, q)
                    W[s] = best
                V[:] = W
            s = 0
            for h in range(H):
                a = 0
                for b in range(1, A):
                    if Q[h, s, b] > Q[h, s, a]:
                        a = b
                u = np.random.random()
                acc = 0.0
                s2 = S - 1
                for t in range(S):
                    acc += P[s, a, t]
                    if u < acc:
                        s2 = t
                        break
                counts[h, s, a] += 1
                trans[h, s, a, s2] += 1
                rsum[h, s, a] += R[s, a]
                s = s2
        return counts

    return ucbvi_numba


def main():
    K = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    P, R = riverswim(6)
    H = 20
    t0 = time.perf_counter()
    ucbvi_numpy(P, R, H, K)
    t = time.perf_counter() - t0
    print(f"numpy  UCBVI-CH RiverSwim(6) H=20: {K / t:10.0f} episodes/s ({K} episodes, {t:.2f} s)")
    try:
        f = make_numba()
    except ImportError:
        print("numba  not installed (apt-get install python3-numba)")
        return
    f(P, R, H, 10, 0.1, 0)  # compile
    t0 = time.perf_counter()
    f(P, R, H, 20 * K, 0.1, 0)
    t = time.perf_counter() - t0
    print(f"numba  UCBVI-CH RiverSwim(6) H=20: {20 * K / t:10.0f} episodes/s ({20 * K} episodes, {t:.2f} s)")


if __name__ == "__main__":
    main()
