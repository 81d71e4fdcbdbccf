"""A main-effects logistic model of the baseline period's leaf rates, used only to adjust for mix.

Why it exists: when one channel's volume triples, every industry's rate moves too (each industry
now holds more of that channel's leads) although no leaf's rate changed. Comparing a segment's
after-rate with its own before-rate would call those industries rate causes. The fix is to ask
what the segment's rate would have been *at the after-period composition* with before-period leaf
rates. Leaves are far too sparse to use their own rates (100,000 leaves, 60,000 leads), so leaf
rates come from logit(r) = b + Σ_d β_d[value], fitted on the baseline period with a small ridge
penalty (unseen values get β = 0). The search uses the model only as a *ratio*
(model rate at after-composition / model rate at before-composition), applied to the segment's own
observed before-rate, so the model's misfit (interactions it lacks) mostly cancels.
"""

from __future__ import annotations

import numpy as np

from .stats import expit, logit


def fit_main_effects(codes: np.ndarray, sizes: tuple[int, ...], n: np.ndarray, k: np.ndarray, *,
                     ridge: float = 1.0, max_iter: int = 30, tol: float = 1e-8) -> np.ndarray:
    """Predicted rate for every leaf from a ridge-penalised main-effects logistic fit on (n, k).

    Newton–Raphson on grouped binomial data; the Hessian's blocks are bincounts over single and
    paired dimension codes, so the cost is independent of how many leaves are empty.
    """
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    total_n, total_k = n.sum(), k.sum()
    dims = len(sizes)
    offsets = np.concatenate([[1], 1 + np.cumsum(sizes)[:-1]]).astype(int) if dims else np.array([], dtype=int)
    params = 1 + int(sum(sizes))
    theta = np.zeros(params)
    theta[0] = logit(np.clip((total_k + 0.5) / (total_n + 1.0), 1e-6, 1 - 1e-6)) if total_n > 0 else 0.0
    if total_n <= 0:
        return np.full(len(codes), expit(theta[0]))
    used = n > 0
    c, nn, kk = codes[used], n[used], k[used]
    cols = c + offsets  # parameter index of each leaf's value in each dimension
    penalty = np.full(params, ridge)
    penalty[0] = 0.0
    for _ in range(max_iter):
        eta = theta[0] + theta[cols].sum(axis=1)
        p = expit(eta)
        resid = kk - nn * p
        w = nn * p * (1 - p)
        grad = np.empty(params)
        grad[0] = resid.sum()
        grad[1:] = 0.0
        hess = np.zeros((params, params))
        hess[0, 0] = w.sum()
        for d in range(dims):
            idx = slice(offsets[d], offsets[d] + sizes[d])
            grad[idx] = np.bincount(c[:, d], weights=resid, minlength=sizes[d])
            wd = np.bincount(c[:, d], weights=w, minlength=sizes[d])
            hess[0, idx] = hess[idx, 0] = wd
            hess[idx, idx] = np.diag(wd)
            for e in range(d + 1, dims):
                jdx = slice(offsets[e], offsets[e] + sizes[e])
                block = np.bincount(c[:, d] * sizes[e] + c[:, e], weights=w,
                                    minlength=sizes[d] * sizes[e]).reshape(sizes[d], sizes[e])
                hess[idx, jdx] = block
                hess[jdx, idx] = block.T
        grad -= penalty * theta
        hess[np.diag_indices(params)] += penalty + 1e-10
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.max(np.abs(step)) < tol:
            break
    return expit(theta[0] + theta[codes + offsets].sum(axis=1)) if dims else np.full(len(codes), expit(theta[0]))
