"""The models on hand-made data whose answer is known."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from insights import learn


def weekly(start: date, n: int) -> list[date]:
    return [start + timedelta(days=7 * i) for i in range(n)]


def seasonal_truth(weeks: list[date]) -> np.ndarray:
    """100 a week, ±30 over the year (peak in early July), a 60 % dip in the Spring
    Festival's week and half that the week after."""
    values = []
    for monday in weeks:
        doy = (monday + timedelta(days=3)).timetuple().tm_yday
        value = 100 + 30 * math.cos(2 * math.pi * (doy - 185) / 365.25)
        offset = learn.festival_week_offset(monday)
        if offset == 0:
            value *= 0.4
        elif offset == 1:
            value *= 0.7
        values.append(value)
    return np.asarray(values)


def test_forecast_finds_a_known_yearly_season_and_the_festival_dip() -> None:
    weeks = weekly(learn.week_start(date(2022, 1, 3)), 156 + 8)
    truth = seasonal_truth(weeks)
    rng = np.random.default_rng(1)
    observed = truth + rng.normal(0, 3, len(truth))
    # Two series: the same shape at two sizes.
    history = np.column_stack([observed[:156], 5 * observed[:156]])
    forecast = learn.forecast_weekly(history, weeks[:156], 8)
    expected = np.column_stack([truth[156:], 5 * truth[156:]])
    error = np.abs(forecast.values - expected) / expected
    assert error.max() < 0.08, error
    # The 6-month average misses the season by far more.
    flat = learn.recent_average(history, 8)
    assert learn.weighted_mape(expected, forecast.values) < learn.weighted_mape(expected, flat) / 3


def test_forecast_places_the_spring_festival_by_the_lunar_calendar() -> None:
    # 2026's festival is on 17 February, 2025's on 29 January: the dip moves with it.
    weeks = weekly(learn.week_start(date(2023, 1, 2)), 160)
    truth = seasonal_truth(weeks)
    horizon_start = weeks[-1] + timedelta(days=7)
    future = weekly(horizon_start, 60)
    forecast = learn.forecast_weekly(truth[:, None], weeks, 60).values[:, 0]
    festival_week = learn.week_start(date(2027, 2, 6))  # lunar 1/1 of 2027
    lowest = future[int(np.argmin(forecast))]
    assert lowest == festival_week


def test_series_too_short_for_a_season_get_their_average() -> None:
    weeks = weekly(date(2026, 1, 5), 10)
    history = np.arange(10, dtype=float)[:, None]
    forecast = learn.forecast_weekly(history, weeks, 4)
    assert forecast.values[:, 0].tolist() == [4.5, 4.5, 4.5, 4.5]


def test_an_association_rule_with_its_exact_support_confidence_and_lift() -> None:
    # 10 orders; A (1) in 5, B (2) in 4, both in 4; C (3) alone fills the rest.
    baskets = [[1, 2], [1, 2], [1, 2, 3], [1, 2], [1], [3], [3], [3, 4], [4], [3]]
    n, items, pairs = learn.count_baskets(baskets)
    rules = learn.association_rules(n, items, pairs, min_support=0.3, min_confidence=0.6)
    by_pair = {(r.antecedent, r.consequent): r for r in rules}
    a_to_b = by_pair[(1, 2)]
    assert a_to_b.together == 4
    assert a_to_b.support == pytest.approx(0.4)  # 4 of 10 orders hold both
    assert a_to_b.confidence == pytest.approx(0.8)  # 4 of the 5 orders with A
    assert a_to_b.lift == pytest.approx(0.8 / 0.4)  # B is in 4 of 10 orders: 2.0×
    b_to_a = by_pair[(2, 1)]
    assert b_to_a.confidence == pytest.approx(1.0)
    assert b_to_a.lift == pytest.approx(1.0 / 0.5)
    # C goes with nothing often enough: no rule names it.
    assert all(3 not in (r.antecedent, r.consequent) for r in rules)


def test_scores_and_their_reasons() -> None:
    rng = np.random.default_rng(0)
    short = rng.integers(0, 2, 400).astype(float)
    noise = rng.normal(0, 1, 400)
    labels = (short + rng.normal(0, 0.3, 400) > 0.5).astype(int)
    features = np.column_stack([short, noise])
    model = learn.fit_score(features, labels, ["short", "noise"])
    probability = model.probability(np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert probability[0] > 0.8 > 0.2 > probability[1]
    reasons = learn.top_reasons(model.contributions(np.array([[1.0, 0.0]])), k=3)
    assert reasons == [[0]]
    assert learn.auc(labels, model.probability(features)) > 0.9
    assert learn.precision_at(labels, model.probability(features), 0.1) > 0.9
    # Precision among the top 10 %: 2 of the top 2 of 20, then 1 of 2.
    assert learn.precision_at(np.array([1, 1] + [0] * 18), np.arange(20)[::-1], 0.1) == 1.0
    assert learn.precision_at(np.array([1, 0] + [0] * 18), np.arange(20)[::-1], 0.1) == 0.5
