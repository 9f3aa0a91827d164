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
       --horizon H --episodes K [--variant hoeffding|bernstein] [--seed N]
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
    ap = argparse.ArgumentParser(description="optimistic Q-learning in Numba: episodes/s")
    ap.add_argument("--model", required=True)
    ap.add_argument("--horizon", type=int, required=True)
    ap.add_argument("--episodes", type=int, required=True)
    ap.add_argument("--variant", default="hoeffding", choices=["hoeffding", "bernstein"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    try:
        f = make_optql()
    except ImportError:
        print("optql_reference: numba is not importable (apt-get install python3-numba)",
              file=sys.stderr)
        sys.exit(3)
    try:
        P, R, start = load_model(args.model)
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"optql_reference: {args.model}: {e}", file=sys.stderr)
        sys.exit(2)
    bernstein = args.variant == "bernstein"
    f(P, R, start, args.horizon, 2, bernstein, 0.1, args.seed)  # JIT compile
    t0 = time.perf_counter()
    f(P, R, start, args.horizon, args.episodes, bernstein, 0.1, args.seed)
    t = time.perf_counter() - t0
    print(f"episodes_per_s {args.episodes / t:.6g}")


if __name__ == "__main__":
    main()
