#!/usr/bin/python3
"""Reference optimistic Q-learning in Numba, for `tabrl bench --peers`.

Q-learning with UCB bonuses (Jin, Allen-Zhu, Bubeck, Jordan 2018, "Is
Q-learning provably efficient?", NeurIPS), the same algorithm as tabrl's
`optql` with its defaults: after the t-th visit of (h, s, a),
Q_h(s,a) <- (1 - alpha_t) Q_h(s,a) + alpha_t (r + V_{h+1}(s') + b_t),
V_h(s) <- min(H, max_a Q_h(s,a)), alpha_t = (H + 1) / (H + t) (their eq. (4)),
Q and V start at H, iota = log(S A K H / delta), delta = 0.1.  Variant
`hoeffding` (the default; Algorithm 1): b_t = c sqrt(H^3 iota / t),
c = 2 sqrt(2); `bernstein` (Algorithm 2): b_t = (beta_t - (1 - alpha_t)
beta_{t-1}) / (2 alpha_t) with tabrl's beta_t, c1 = c2 = 4 sqrt(2).  Greedy
actions, ties to the lowest index.  Written densely the way a careful Numba
user would (H x S x A arrays, loops compiled with @njit, next states by a
binary search in precomputed CDFs); the rewards observed are the model's
expected R[s, a].

It exists to measure tabrl's speed against: the random streams differ, so
only the episodes/s compare, not the numbers.

Usage: /usr/bin/python3 tests/bench/optql_reference.py --model FILE.csv
       --horizon H --episodes K [--variant hoeffding|bernstein] [--seed N] [--budget S]
Prints one line `episodes_per_s VALUE` (JIT compile excluded); exits 3 when
numba cannot be imported (Debian: apt-get install python3-numba).
"""
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
import peer_common  # noqa: E402


def make_optql():
    import numba

    @numba.njit(cache=False)
    def optql(P, R, start, H, K, bernstein, delta, seed):
        S, A, _ = P.shape
        np.random.seed(seed)
        cdf = np.empty((S, A, S))
        for s in range(S):
            for a in range(A):
                acc = 0.0
                for t in range(S):
                    acc += P[s, a, t]
                    cdf[s, a, t] = acc
        start_cdf = np.cumsum(start)
        iota = np.log(S * A * K * H / delta)
        c = 2.0 * np.sqrt(2.0)
        c1 = 4.0 * np.sqrt(2.0)
        Hf = float(H)
        Q = np.full((H, S, A), Hf)
        V = np.full((H + 1, S), Hf)
        V[H, :] = 0.0
        N = np.zeros((H, S, A))
        mu = np.zeros((H, S, A))
        mu2 = np.zeros((H, S, A))
        beta_prev = np.zeros((H, S, A))
        for _ in range(K):
            s = np.searchsorted(start_cdf, np.random.random() * start_cdf[-1], side="right")
            for h in range(H):
                a = 0
                for b in range(1, A):
                    if Q[h, s, b] > Q[h, s, a]:
                        a = b
                row = cdf[s, a]
                s2 = min(np.searchsorted(row, np.random.random() * row[-1], side="right"), S - 1)
                N[h, s, a] += 1.0
                t = N[h, s, a]
                alpha = (Hf + 1.0) / (Hf + t)
                nv = V[h + 1, s2]
                if bernstein:
                    mu[h, s, a] += nv
                    mu2[h, s, a] += nv * nv
                    W = max(0.0, mu2[h, s, a] / t - (mu[h, s, a] / t) ** 2)
                    beta = min(c1 * (np.sqrt(Hf / t * (W + Hf) * iota)
                                     + np.sqrt(Hf ** 7 * S * A) * iota / t),
                               c1 * np.sqrt(Hf ** 3 * iota / t))
                    bonus = (beta - (1.0 - alpha) * beta_prev[h, s, a]) / (2.0 * alpha)
                    beta_prev[h, s, a] = beta
                else:
                    bonus = c * np.sqrt(Hf ** 3 * iota / t)
                Q[h, s, a] = (1.0 - alpha) * Q[h, s, a] + alpha * (R[s, a] + nv + bonus)
                best = Q[h, s, 0]
                for b in range(1, A):
                    best = max(best, Q[h, s, b])
                V[h, s] = min(Hf, best)
                s = s2
        return N

    return optql


def main():
    peer_common.run("optql_reference", "optimistic Q-learning in Numba: episodes/s", make_optql,
                    ("hoeffding", "bernstein"),
                    lambda f, P, R, mu0, H, K, variant, seed:
                    f(P, R, mu0, H, K, variant == "bernstein", 0.1, seed))


if __name__ == "__main__":
    main()
