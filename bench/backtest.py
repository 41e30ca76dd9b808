"""Backtest of what the insights app learns, on the generated history; writes a section of
bench/RESULTS.md (between the ``backtest`` markers, replaced on each run).

Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_portal python -m bench.backtest

Every figure is computed by the same functions the nightly job runs
(``insights.services`` / ``insights.learn``), on data held out from the fit:

- **forecast**: weekly demand per product × warehouse; the last 26 weeks are held out,
  the model is fitted on the 156 weeks before and forecasts all 26 at once; MASE (scaled
  by the in-sample seasonal-naive error) and weighted MAPE against a seasonal-naive
  forecast (same week last year) and the average of the last 26 weeks. Also for the
  first 8 weeks (what the suggestions use).
- **delivery risk**: the model as the job would have fitted it 180 days ago, scored on
  the deliveries promised since (to two weeks ago); AUC and precision among the 10 %
  scored highest, against the rule of thumb "late if the stock was short" (short or to
  produce).
- **churn**: customers as they were 120 days ago, labelled by whether they ordered
  since; fitted on 70 % of the customers, AUC on the other 30 %, against recency alone.

``--nightly`` also times the nightly job itself (all stages, forced) on this database.
The figures measure the pipeline on *generated* data (bench/generate.py plants the
signal it then finds); they say nothing about a real company's history.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench import setup_django

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- backtest -->", "<!-- /backtest -->"


def forecast_backtest(today: date) -> dict:
    import numpy as np

    from insights import learn, services

    held_out = 26
    history = services.demand_history(today, weeks=services.HISTORY_WEEKS + held_out)
    train, test = history.demand[:-held_out], history.demand[-held_out:]
    train_weeks = history.weeks[:-held_out]
    # Series the job would forecast: sales in the fitted window's last 26 weeks and a year
    # of history (the seasonal-naive baseline needs last year's weeks).
    keep = (train[-26:].sum(axis=0) > 0) & (train[:-52].sum(axis=0) > 0)
    train, test = train[:, keep], test[:, keep]
    started = time.monotonic()
    model = learn.forecast_weekly(train, train_weeks, held_out).values
    fit_seconds = time.monotonic() - started
    naive = learn.seasonal_naive(train, held_out)
    average = learn.recent_average(train, held_out)
    out: dict = {"series": int(keep.sum()), "fit_seconds": fit_seconds, "rows": []}
    for label, forecast in (
        ("model (trend + season + Spring Festival)", model),
        ("seasonal naive (same week last year)", naive),
        ("6-month average", average),
    ):
        out["rows"].append(
            (
                label,
                learn.mase(test, forecast, train),
                learn.weighted_mape(test, forecast),
                learn.mase(test[:8], forecast[:8], train),
                learn.weighted_mape(test[:8], forecast[:8]),
            )
        )
    # The company's total per week: the season and the festival are plain to see there.
    total_actual = test.sum(axis=1, keepdims=True)
    out["total"] = [
        (label, learn.weighted_mape(total_actual, f.sum(axis=1, keepdims=True)))
        for label, f in (("model", model), ("seasonal naive", naive), ("6-month average", average))
    ]
    out["total_weeks"] = float(np.abs(total_actual).mean())
    return out


def delivery_backtest(today: date) -> dict:
    import numpy as np

    from insights import learn, services

    cutoff = today - timedelta(days=180)
    model, history = services.fit_delivery_model(cutoff)
    rows = services.training_orders(cutoff, today - timedelta(days=14))
    labels = services.late_labels(rows)
    features, _facts = services.delivery_features(rows, history)
    scores = model.probability(features)
    rule = np.array([1.0 if s in ("short", "to_produce") else 0.0 for s in rows.stock])
    return {
        "orders": len(rows.ids),
        "late_share": float(labels.mean()),
        "rows": [
            (
                "model (logistic regression, 10 features)",
                learn.auc(labels, scores),
                learn.precision_at(labels, scores),
            ),
            (
                'rule of thumb "late if stock short"',
                learn.auc(labels, rule),
                learn.precision_at(labels, rule),
            ),
        ],
    }


def churn_backtest(today: date) -> dict:
    import numpy as np

    from insights import learn, services

    past = today - timedelta(days=services.CHURN_LABEL_DAYS)
    rows = services.customer_rows(past)
    labels = services.churn_labels(rows, past, today)
    ids = np.asarray(rows.ids)
    # A fixed split by customer id: 7 of 10 to fit, 3 of 10 held out.
    held = (ids * 2654435761 % 2**32) % 10 >= 7
    model = learn.fit_score(rows.features[~held], labels[~held], services.CHURN_FEATURES)
    scores = model.probability(rows.features[held])
    recency = rows.features[held][:, services.CHURN_FEATURES.index("recency")]
    return {
        "customers": int(held.sum()),
        "fitted_on": int((~held).sum()),
        "churn_share": float(labels[held].mean()),
        "rows": [
            (
                "model (logistic regression, 8 features)",
                learn.auc(labels[held], scores),
                learn.precision_at(labels[held], scores),
            ),
            (
                "recency alone (days since the last order)",
                learn.auc(labels[held], recency),
                learn.precision_at(labels[held], recency),
            ),
        ],
    }


def nightly_timing() -> dict:
    from django.utils import timezone

    from insights.services import nightly_run

    started = time.monotonic()
    run = nightly_run(timezone.localdate(), force=True)
    return {"total": time.monotonic() - started, "stages": run.stages, "seconds": run.seconds}


def render(today: date, orders: int, fc: dict, dr: dict, ch: dict, nightly: dict | None) -> str:
    lines = [
        BEGIN,
        "## What the history teaches: backtest (insights)",
        "",
        f"`python -m bench.backtest` on {orders:,} generated orders, {today.isoformat()}. "
        "**These figures measure the pipeline on generated data**: bench/generate.py plants a "
        "yearly season, the Spring Festival dip, products sold together, fading customers and "
        "delays that follow stock, region, carrier and product, and the models find them. They "
        "say nothing about how well the same models would do on a real company's history.",
        "",
        f"**Forecast** — weekly units per product × warehouse, {fc['series']:,} series, last 26 "
        f"weeks held out, fitted on the 156 before (fit: {fc['fit_seconds']:.1f} s). MASE < 1 "
        "beats the in-sample seasonal-naive error; weighted MAPE = Σ|error| / Σ actual.",
        "",
        "| forecast | MASE, 26 weeks | wMAPE, 26 weeks | MASE, first 8 weeks | wMAPE, first 8 weeks |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, m26, w26, m8, w8 in fc["rows"]:
        lines.append(f"| {label} | {m26:.3f} | {w26:.1%} | {m8:.3f} | {w8:.1%} |")
    lines += [
        "",
        "The company's weekly total (all series summed; about "
        f"{fc['total_weeks']:,.0f} units a week): wMAPE "
        + ", ".join(f"{label} {value:.1%}" for label, value in fc["total"])
        + ".",
        "",
        f"**Delivery risk** — fitted as the job would have 180 days ago, scored on the "
        f"{dr['orders']:,} deliveries promised since (to two weeks ago), {dr['late_share']:.1%} late.",
        "",
        "| delivery risk | AUC | precision, top 10 % |",
        "|---|---:|---:|",
    ]
    for label, a, p in dr["rows"]:
        lines.append(f"| {label} | {a:.3f} | {p:.1%} |")
    lines += [
        "",
        f"**Churn** — customers as of 120 days ago; fitted on {ch['fitted_on']:,}, scored on "
        f"{ch['customers']:,} held-out customers, {ch['churn_share']:.1%} of whom did not order since.",
        "",
        "| churn | AUC | precision, top 10 % |",
        "|---|---:|---:|",
    ]
    for label, a, p in ch["rows"]:
        lines.append(f"| {label} | {a:.3f} | {p:.1%} |")
    if nightly:
        stages = ", ".join(
            f"{stage} {nightly['seconds'].get(stage, 0):.1f} s ({info.get('rows', 0):,} rows)"
            for stage, info in nightly["stages"].items()
        )
        lines += [
            "",
            f"**Nightly job** over this database (all stages, forced): **{nightly['total']:.0f} s** "
            f"(target < 300 s) — {stages}.",
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = RESULTS) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nightly", action="store_true", help="also time the nightly job")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args(argv)
    setup_django(allow_any_database=args.allow_any_database)
    from django.utils import timezone

    from orders.models import Order

    today = timezone.localdate()
    orders = Order.objects.count()
    steps = {}
    for name, run in (
        ("forecast", lambda: forecast_backtest(today)),
        ("delivery", lambda: delivery_backtest(today)),
        ("churn", lambda: churn_backtest(today)),
    ):
        started = time.monotonic()
        steps[name] = run()
        print(f"{name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    nightly = nightly_timing() if args.nightly else None
    section = render(today, orders, steps["forecast"], steps["delivery"], steps["churn"], nightly)
    write_section(section, args.output)
    print(section)


if __name__ == "__main__":
    main()
