"""Classic estimators for tabular data: ridge and logistic regression, and gradient-boosted trees.

- Ridge regression (Hoerl & Kennard, 1970, "Ridge Regression: Biased Estimation for Nonorthogonal
  Problems"): least squares with an L2 penalty ``alpha``; with ``task="classification"`` the
  ridge classifier on ±1 targets.
- Logistic regression: L2-regularised (inverse strength ``C``), binary or multinomial.
- LightGBM (Ke et al., 2017, "LightGBM: A Highly Efficient Gradient Boosting Decision Tree"):
  leaf-wise gradient-boosted trees, the usual strongest baseline on tabular data.

These are scikit-learn-style estimators (fit / predict), not torch modules: there is nothing to
emit above the marker, and scikit-learn and LightGBM are imported inside the builders, only when
one is built.
"""


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _linear_params(in_features, num_outputs, task="regression", **_):
    if task == "classification" and num_outputs <= 2:  # binary: one weight vector and one intercept
        return in_features + 1
    return (in_features + 1) * num_outputs  # coef_ (outputs × features) + intercept_ (outputs)


def _check_task(task):
    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', found {task!r}")


@register_arch(family="linear", kind="sklearn", params=_linear_params, needs=("sklearn",),
               test_sizes=({"in_features": 5, "num_outputs": 1, "task": "regression"},
                           {"in_features": 30, "num_outputs": 1, "alpha": 10.0, "task": "regression"}))
def ridge(in_features=20, num_outputs=1, alpha=1.0, task="regression"):
    """Ridge regression: least squares with an L2 penalty (RidgeClassifier for classification)."""
    from sklearn.linear_model import Ridge, RidgeClassifier

    _check_task(task)
    return RidgeClassifier(alpha=alpha) if task == "classification" else Ridge(alpha=alpha)


@register_arch(family="linear", kind="sklearn", params=_linear_params, needs=("sklearn",),
               test_sizes=({"in_features": 5, "num_outputs": 2, "task": "classification"},
                           {"in_features": 30, "num_outputs": 2, "C": 0.1, "task": "classification"}))
def logistic_regression(in_features=20, num_outputs=2, C=1.0, task="classification"):
    """Logistic regression, L2-regularised: the linear baseline for classification."""
    from sklearn.linear_model import LogisticRegression

    if task != "classification":
        raise ValueError(f"logistic regression is a classifier: task must be 'classification', found {task!r}")
    return LogisticRegression(C=C, max_iter=1000)


def _lightgbm_params(num_outputs, task, n_estimators, num_leaves, **_):
    trees = n_estimators * (num_outputs if task == "classification" and num_outputs > 2 else 1)  # one per class
    return trees * (2 * num_leaves - 1)  # upper bound: every tree grown to num_leaves leaves


@register_arch(family="boosting", kind="sklearn", params=_lightgbm_params, needs=("lightgbm",),
               test_sizes=({"in_features": 5, "num_outputs": 1, "task": "regression", "n_estimators": 10,
                            "num_leaves": 7},
                           {"in_features": 12, "num_outputs": 2, "task": "classification", "n_estimators": 30,
                            "num_leaves": 15, "learning_rate": 0.1}))
def lightgbm(in_features=20, num_outputs=1, task="regression", n_estimators=200, num_leaves=31, learning_rate=0.05):
    """LightGBM gradient-boosted trees: the strong tabular baseline (Ke et al. 2017)."""
    import lightgbm as lgb

    _check_task(task)
    cls = lgb.LGBMClassifier if task == "classification" else lgb.LGBMRegressor
    return cls(n_estimators=n_estimators, num_leaves=num_leaves, learning_rate=learning_rate, verbose=-1,
               deterministic=True, random_state=0, n_jobs=1)
