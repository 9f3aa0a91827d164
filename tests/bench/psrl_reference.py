#!/usr/bin/python3
"""Reference PSRL in Numba, for `tabrl bench --peers`.

Posterior sampling for reinforcement learning (Osband, Russo, Van Roy 2013,
"(More) efficient reinforcement learning via posterior sampling", NeurIPS,
Algorithm 1), the same algorithm as tabrl's `psrl` with its defaults: at
the start of every episode draw P(.|s,a) from Dirichlet(prior + n(s, a, .))
over ALL S next states (one Gamma draw per next state, normalised) and the
mean reward from N(R / (N + 1), sigma^2 / (N + 1)), sigma^2 = 1/4; solve the
sampled MDP by backward induction (greedy, ties to the lowest action) and
follow that plan for the episode.  Variant `pooled` (the default, tabrl's
stationary = true) shares one posterior over the stages; `stages` keeps one
per (h, s, a) (stationary = false).  Written densely the way a careful Numba
user would (dense count arrays, a sampled S x A x S table, loops compiled
with @njit); the rewards observed are the model's expected R[s, a].

It exists to measure tabrl's speed against: the random streams differ, so
only the episodes/s compare, not the numbers.

Usage: /usr/bin/python3 tests/bench/psrl_reference.py --model FILE.csv
       --horizon H --episodes K [--variant pooled|stages] [--seed N] [--budget S]
Prints one line `episodes_per_s VALUE` (JIT compile excluded); exits 3 when
numba cannot be imported (Debian: apt-get install python3-numba).
"""
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
import peer_common  # noqa: E402


def make_psrl():
    import numba

    @numba.njit(cache=False)
    def psrl(P, R, start, H, K, stages, prior, variance, seed):
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
        G = H if stages else 1
        trans = np.zeros((G, S, A, S))
        visits = np.zeros((G, S, A))
        rsum = np.zeros((G, S, A))
        Ps = np.empty((G, S, A, S))
        rs = np.empty((G, S, A))
        plan = np.zeros((H, S), dtype=np.int64)
        V = np.zeros(S)
        W = np.zeros(S)
        for _ in range(K):
            # M_k from the posterior
            for g in range(G):
                for s in range(S):
                    for a in range(A):
                        norm = 0.0
                        for t in range(S):
                            x = np.random.gamma(prior + trans[g, s, a, t])
                            Ps[g, s, a, t] = x
                            norm += x
                        for t in range(S):
                            Ps[g, s, a, t] /= norm
                        n = visits[g, s, a] + 1.0
                        rs[g, s, a] = rsum[g, s, a] / n
                        if variance > 0:
                            rs[g, s, a] += np.sqrt(variance / n) * np.random.normal()
            # its optimal plan by backward induction
            V[:] = 0.0
            for h in range(H - 1, -1, -1):
                g = h if stages else 0
                for s in range(S):
                    best = -np.inf
                    best_a = 0
                    for a in range(A):
                        q = rs[g, s, a]
                        for t in range(S):
                            q += Ps[g, s, a, t] * V[t]
                        if q > best:
                            best = q
                            best_a = a
                    W[s] = best
                    plan[h, s] = best_a
                V[:] = W
            # follow it for one episode
            s = np.searchsorted(start_cdf, np.random.random() * start_cdf[-1], side="right")
            for h in range(H):
                a = plan[h, s]
                row = cdf[s, a]
                s2 = min(np.searchsorted(row, np.random.random() * row[-1], side="right"), S - 1)
                g = h if stages else 0
                trans[g, s, a, s2] += 1.0
                visits[g, s, a] += 1.0
                rsum[g, s, a] += R[s, a]
                s = s2
        return visits

    return psrl


def main():
    peer_common.run("psrl_reference", "PSRL in Numba: episodes/s", make_psrl,
                    ("pooled", "stages"),
                    lambda f, P, R, mu0, H, K, variant, seed:
                    f(P, R, mu0, H, K, variant == "stages", 1.0, 0.25, seed))


if __name__ == "__main__":
    main()
