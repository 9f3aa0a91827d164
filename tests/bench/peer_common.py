"""What the `tabrl bench --peers` reference scripts share: reading tabrl's
model CSV into dense arrays, and the command line every script answers
(--model FILE.csv --horizon H --episodes K [--variant V] [--seed N]
[--budget SECONDS]: one line `episodes_per_s VALUE`, the best of the timings
repeated over SECONDS, JIT compile excluded; exit 3 when numba cannot
be imported, 2 on a bad model file).  Not a script of its own.
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


def run(name, description, make, variants, call):
    """Parses the command line, builds the compiled kernel with make(),
    loads the model, compiles on 2 episodes, then times
    call(kernel, P, R, mu0, H, K, variant, seed) over the episodes asked."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--model", required=True)
    ap.add_argument("--horizon", type=int, required=True)
    ap.add_argument("--episodes", type=int, required=True)
    ap.add_argument("--variant", default=variants[0], choices=variants)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=0.0,
                    help="repeat the timing until this many seconds are spent; print the best")
    args = ap.parse_args()
    try:
        kernel = make()
    except ImportError:
        print(f"{name}: numba is not importable (Debian: apt-get install python3-numba)",
              file=sys.stderr)
        sys.exit(3)
    try:
        P, R, mu0 = load_model(args.model)
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"{name}: {args.model}: {e}", file=sys.stderr)
        sys.exit(2)
    call(kernel, P, R, mu0, args.horizon, 2, args.variant, args.seed)  # JIT compile
    # The machine's speed drifts: the best of repeated timings over the
    # same wall time as tabrl's side.
    best = spent = 0.0
    while best == 0.0 or spent < args.budget:
        t0 = time.perf_counter()
        call(kernel, P, R, mu0, args.horizon, args.episodes, args.variant, args.seed)
        t = time.perf_counter() - t0
        spent += t
        best = max(best, args.episodes / t)
    print(f"episodes_per_s {best:.6g}")
