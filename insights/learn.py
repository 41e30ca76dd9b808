"""The models, free of the database: forecasts, association rules, risk scores.

Everything here takes arrays and returns arrays, so the tests feed hand-made data and
``bench/backtest.py`` measures exactly what the nightly job runs
(docs/decisions/0015-learning-from-history.md).

* **Weekly demand forecast** for many series at once: one design matrix for the
  calendar (level, trend, a yearly season as three Fourier pairs, and the weeks around
  the Spring Festival by the lunar calendar, which moves between late January and mid
  February), fitted by ridge regression (scikit-learn). Each series is divided by its
  own level first; a pooled fit of all series gives the shared shape, and each series
  then fits its own deviation from it, shrunk hard towards it — a sparse series
  borrows the season from the others, a busy one keeps its own.
* **Association rules** (mlxtend): support, confidence and lift from item and pair
  counts.
* **Scores** (scikit-learn): a standardized logistic regression; the reasons of a score
  are the features that pushed it up most (coefficient × distance from the average).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

# Weeks around the Spring Festival that get their own effect (the festival's week is 0).
CNY_OFFSETS = (-2, -1, 0, 1, 2, 3)
FOURIER_PAIRS = 3
POOLED_ALPHA = 0.05
SERIES_ALPHA = 40.0


@functools.cache
def spring_festival(year: int) -> date:
    """Lunar 1/1 of ``year`` (春节) as a solar date."""
    from borax.calendars.lunardate import LunarDate

    return LunarDate(year, 1, 1).to_solar_date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def festival_week_offset(monday: date) -> int | None:
    """Weeks from the Spring Festival's week to ``monday``'s week (None when far)."""
    for year in (monday.year - 1, monday.year, monday.year + 1):
        offset = (monday - week_start(spring_festival(year))).days // 7
        if CNY_OFFSETS[0] <= offset <= CNY_OFFSETS[-1]:
            return offset
    return None


def weeks_to_festival(monday: date) -> int:
    """Whole weeks from ``monday`` to the next Spring Festival's week (0: this week)."""
    for year in (monday.year, monday.year + 1):
        festival = week_start(spring_festival(year))
        if festival >= monday:
            return (festival - monday).days // 7
    return 52


def calendar_design(weeks: Sequence[date], origin: date) -> np.ndarray:
    """Features of each week: trend (years since ``origin``), yearly Fourier terms and the
    festival weeks (one indicator per offset)."""
    rows = []
    for monday in weeks:
        t = (monday - origin).days / 365.25
        doy = (monday + timedelta(days=3)).timetuple().tm_yday
        angle = 2 * math.pi * doy / 365.25
        row = [t]
        for k in range(1, FOURIER_PAIRS + 1):
            row += [math.sin(k * angle), math.cos(k * angle)]
        offset = festival_week_offset(monday)
        row += [1.0 if offset == o else 0.0 for o in CNY_OFFSETS]
        rows.append(row)
    return np.asarray(rows, dtype=float)


@dataclass
class Forecast:
    values: np.ndarray  # (horizon, series), units per week, ≥ 0
    level: np.ndarray  # (series,) mean weekly demand of the fitted window
    residual_std: np.ndarray  # (series,) in-sample weekly error, for the safety stock


def forecast_weekly(
    history: np.ndarray, weeks: Sequence[date], horizon: int, *, min_weeks: int = 26
) -> Forecast:
    """Forecast ``horizon`` weeks after ``weeks`` for each column of ``history``.

    ``history``: (len(weeks), series) units per week. Series are divided by their level
    (mean of the window); the pooled fit of all normalized series gives the shared
    season, festival dip and trend, and each series' own ridge fit of its deviation is
    shrunk towards it. Fewer than ``min_weeks`` weeks: the window's mean, flat.
    """
    from sklearn.linear_model import Ridge

    history = np.asarray(history, dtype=float)
    n_weeks, n_series = history.shape
    level = history.mean(axis=0) if n_weeks else np.zeros(n_series)
    future = [weeks[-1] + timedelta(days=7 * (h + 1)) for h in range(horizon)]
    if n_weeks < min_weeks:
        flat = np.repeat(level[None, :], horizon, axis=0)
        return Forecast(flat, level, history.std(axis=0) if n_weeks else np.zeros(n_series))
    origin = weeks[0]
    x_past = calendar_design(weeks, origin)
    x_future = calendar_design(future, origin)
    active = level > 0
    scale = np.where(active, level, 1.0)
    normalized = history / scale
    # The shared shape: the mean of the normalized active series.
    pooled_target = normalized[:, active].mean(axis=1) if active.any() else np.ones(n_weeks)
    pooled = Ridge(alpha=POOLED_ALPHA).fit(x_past, pooled_target)
    shared_past = pooled.predict(x_past)
    shared_future = pooled.predict(x_future)
    own = Ridge(alpha=SERIES_ALPHA).fit(x_past, normalized - shared_past[:, None])
    own_past = np.asarray(own.predict(x_past)).reshape(n_weeks, n_series)
    own_future = np.asarray(own.predict(x_future)).reshape(horizon, n_series)
    fitted = (shared_past[:, None] + own_past) * scale
    predicted = (shared_future[:, None] + own_future) * scale
    predicted = np.clip(predicted, 0.0, None)
    predicted[:, ~active] = 0.0
    residual_std = (history - fitted).std(axis=0)
    return Forecast(predicted, level, residual_std)


def seasonal_naive(history: np.ndarray, horizon: int, season: int = 52) -> np.ndarray:
    """Each future week repeats the same week a year earlier."""
    history = np.asarray(history, dtype=float)
    rows = [history[len(history) - season + (h % season)] for h in range(horizon)]
    return np.asarray(rows)


def recent_average(history: np.ndarray, horizon: int, weeks: int = 26) -> np.ndarray:
    """Each future week is the average of the last ``weeks`` weeks (about 6 months)."""
    history = np.asarray(history, dtype=float)
    return np.repeat(history[-weeks:].mean(axis=0)[None, :], horizon, axis=0)


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, season: int = 52) -> float:
    """Mean absolute scaled error: the error over the in-sample error of the seasonal-naive
    forecast, per series, averaged over the series that have a scale."""
    scale = np.abs(train[season:] - train[:-season]).mean(axis=0)
    error = np.abs(actual - predicted).mean(axis=0)
    usable = scale > 0
    return float((error[usable] / scale[usable]).mean())


def weighted_mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Σ|error| / Σ actual (the big series weigh most; zero weeks do not blow up)."""
    total = float(np.abs(actual).sum())
    return float(np.abs(actual - predicted).sum()) / total if total else 0.0


# --- association rules -----------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    antecedent: int
    consequent: int
    together: int
    support: float
    confidence: float
    lift: float


def count_baskets(baskets: Iterable[Iterable[int]]) -> tuple[int, Counter, Counter]:
    """(number of baskets, item counts, pair counts) — pairs as sorted tuples."""
    n = 0
    items: Counter = Counter()
    pairs: Counter = Counter()
    for basket in baskets:
        n += 1
        unique = sorted(set(basket))
        items.update(unique)
        pairs.update(combinations(unique, 2))
    return n, items, pairs


def association_rules(
    n_baskets: int,
    item_counts: dict[int, int],
    pair_counts: dict[tuple[int, int], int],
    *,
    min_support: float,
    min_confidence: float,
    min_lift: float = 1.0,
) -> list[Rule]:
    """Rules A → B between two items, by mlxtend from the frequent items and pairs."""
    from mlxtend.frequent_patterns import association_rules as mlx_rules

    if not n_baskets:
        return []
    frequent = {
        frozenset([item]): count / n_baskets
        for item, count in item_counts.items()
        if count / n_baskets >= min_support
    }
    pairs = {
        frozenset(pair): count / n_baskets
        for pair, count in pair_counts.items()
        if count / n_baskets >= min_support and all(frozenset([i]) in frequent for i in pair)
    }
    if not pairs:
        return []
    itemsets = pd.DataFrame(
        {"support": [*frequent.values(), *pairs.values()], "itemsets": [*frequent, *pairs]}
    )
    table = mlx_rules(
        itemsets, num_itemsets=n_baskets, metric="confidence", min_threshold=min_confidence
    )
    rules = []
    for row in table.itertuples(index=False):
        (a,) = tuple(row.antecedents)
        (b,) = tuple(row.consequents)
        if row.lift < min_lift:
            continue
        together = pair_counts[(min(a, b), max(a, b))]
        rules.append(
            Rule(
                int(a),
                int(b),
                int(together),
                float(row.support),
                float(row.confidence),
                float(row.lift),
            )
        )
    rules.sort(key=lambda r: (-r.lift, -r.confidence, r.antecedent, r.consequent))
    return rules


# --- scores ----------------------------------------------------------------------------


@dataclass
class ScoreModel:
    """A fitted logistic regression on standardized features."""

    names: list[str]
    mean: np.ndarray
    std: np.ndarray
    model: Any

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = (np.asarray(features, dtype=float) - self.mean) / self.std
        return self.model.predict_proba(z)[:, 1]

    def standardized(self, features: np.ndarray) -> np.ndarray:
        return (np.asarray(features, dtype=float) - self.mean) / self.std

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """Per row and feature: how far the feature pushes the log-odds above average."""
        z = (np.asarray(features, dtype=float) - self.mean) / self.std
        return z * self.model.coef_[0]


def fit_score(features: np.ndarray, labels: np.ndarray, names: list[str]) -> ScoreModel:
    from sklearn.linear_model import LogisticRegression

    features = np.asarray(features, dtype=float)
    labels = np.asarray(labels, dtype=int)
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    std[std == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=500)
    model.fit((features - mean) / std, labels)
    return ScoreModel(names, mean, std, model)


def top_reasons(
    contributions: np.ndarray,
    k: int = 3,
    threshold: float = 0.05,
    allowed: np.ndarray | None = None,
) -> list[list[int]]:
    """Per row, the indexes of the (at most ``k``) features that raised the score most;
    ``allowed`` (same shape, bool) keeps only the features whose words fit the row (a
    "large order" reason only for an order that is large)."""
    if allowed is not None:
        contributions = np.where(allowed, contributions, -np.inf)
    order = np.argsort(-contributions, axis=1)[:, :k]
    return [[int(i) for i in row if contributions[r, i] > threshold] for r, row in enumerate(order)]


def level_of(score: int, *, medium: int, high: int) -> str:
    return "high" if score >= high else "medium" if score >= medium else "low"


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def precision_at(
    labels: np.ndarray, scores: np.ndarray, share: float = 0.1, seed: int = 0
) -> float:
    """The share of true positives among the top ``share`` scored (ties broken at random)."""
    labels = np.asarray(labels)
    n = max(1, int(len(labels) * share))
    tiebreak = np.random.default_rng(seed).random(len(labels))
    order = np.lexsort((tiebreak, -np.asarray(scores, dtype=float)))
    return float(labels[order[:n]].mean())
