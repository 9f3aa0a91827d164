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
       --horizon H --episodes K [--variant pooled|stages] [--seed N]
Prints one line `episodes_per_s VALUE` (JIT compile excluded); exits 3 when
numba cannot be imported (Debian: apt-get install python3-numba).
"""
import argparse
import sys
import time

import numpy as np

def load_model(path):
    """Dense P[s, a, s'], expected R[s, a] and mu0 from tabrl's model CSV
    (README "The model CSV format"); a stage column h is refused."""
    S = A = None
    mu0 = None
    rows = []
    header = None
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                key, _, value = line[1:].partition("=")
                key, value = key.strip(), value.strip()
                if key == "states":
                    S = int(value)
                elif key == "actions":
                    A = int(value)
                elif key == "mu0":
                    mu0 = [(int(p.split(":")[0]), float(p.split(":")[1])) for p in value.split()]
                continue
            fields = line.split(",")
            if header is None:
                header = {name.strip(): i for i, name in enumerate(fields)}
                if "h" in header:
                    raise ValueError(f"line {lineno}: a stage-dependent model (column h) is not supported")
                for column in ("s", "a", "s_next", "p", "r"):
                    if column not in header:
                        raise ValueError(f"line {lineno}: the header has no column {column}")
                continue
            try:
                rows.append((int(fields[header["s"]]), int(fields[header["a"]]),
                             int(fields[header["s_next"]]), float(fields[header["p"]]),
                             float(fields[header["r"]])))
            except (ValueError, IndexError):
                raise ValueError(f"line {lineno}: not a row s,a,s_next,p,r: {line}") from None
    if header is None:
        raise ValueError("no header line s,a,s_next,p,r")
    if S is None:
        S = 1 + max(max(r[0], r[2]) for r in rows)
    if A is None:
        A = 1 + max(r[1] for r in rows)
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    for s, a, t, p, r in rows:
        P[s, a, t] += p
        R[s, a] += p * r
    start = np.zeros(S)
    if mu0 is None:
        start[0] = 1.0
    else:
        for s, p in mu0:
            start[s] += p
    return P, R, start


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
    ap = argparse.ArgumentParser(description="PSRL in Numba: episodes/s")
    ap.add_argument("--model", required=True)
    ap.add_argument("--horizon", type=int, required=True)
    ap.add_argument("--episodes", type=int, required=True)
    ap.add_argument("--variant", default="pooled", choices=["pooled", "stages"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    try:
        f = make_psrl()
    except ImportError:
        print("psrl_reference: numba is not importable (apt-get install python3-numba)",
              file=sys.stderr)
        sys.exit(3)
    try:
        P, R, start = load_model(args.model)
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"psrl_reference: {args.model}: {e}", file=sys.stderr)
        sys.exit(2)
    stages = args.variant == "stages"
    f(P, R, start, args.horizon, 2, stages, 1.0, 0.25, args.seed)  # JIT compile
    t0 = time.perf_counter()
    f(P, R, start, args.horizon, args.episodes, stages, 1.0, 0.25, args.seed)
    t = time.perf_counter() - t0
    print(f"episodes_per_s {args.episodes / t:.6g}")


if __name__ == "__main__":
    main()
