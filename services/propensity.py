"""Explainable propensity scores: who is likely to raise equity, refinance, sell or buy.

Each score is a weighted average of named factors. A factor reads one feature of the
feature frame as of the screen's date (see services/screening.py), and normalises it to
0..1 with a documented ramp: ``ramp(lo, hi)`` is 0 at ``lo``, 1 at ``hi``, linear between,
clipped outside (``lo > hi`` ramps downwards). Missing data scores the factor's
``missing`` value (0 unless stated): a company is never rewarded for a blank.

    score        = 100 * sum(weight_i * normalised_i) / sum(weight_i)
    contribution = 100 * weight_i * normalised_i / sum(weight_i)      (they add up to the score)

Factors (raw value -> normalisation):

| score   | factor              | measures (raw value)                                   | 0 at .. 1 at            |
|---------|---------------------|--------------------------------------------------------|-------------------------|
| ecm     | leverage            | net debt / EBITDA (x): balance-sheet repair            | 1.0x .. 4.0x            |
| ecm     | near_high           | last close as % of 52-week high: issuance window       | 70% .. 100%             |
| ecm     | momentum            | 90-day price return (%)                                | -10% .. +30%            |
| ecm     | growth              | revenue growth (%): equity story, growth capital       | 0% .. 30%               |
| ecm     | sponsor_monetisation| sponsor-backed: listed 1 (sell-down), private 0.5 (IPO)| categorical             |
| ecm     | equity_gap          | days since last equity deal as issuer                  | 180 .. 1,095; never = 1 |
| dcm     | maturity_wall_cash  | debt maturing within 24 months / cash (x)              | 0x .. 2x                |
| dcm     | maturity_wall_ebitda| debt maturing within 24 months / EBITDA (x)            | 0x .. 3x                |
| dcm     | leverage            | net debt / EBITDA (x)                                  | 1.0x .. 5.0x            |
| dcm     | rating              | rating notch (AAA = 0): rated issuers use bond markets | D .. AAA; unrated = 0   |
| dcm     | coupon_gap          | avg coupon of outstanding debt minus 12-month new-issue| 0pp .. 2pp              |
|         |                     | coupon of the same rating band (pp): refinancing saves |                         |
| ma_sell | sponsor_holding     | years since a sponsor-backed company was acquired      | 3 .. 7 years            |
| ma_sell | underperformance    | 365-day price return (%)                               | 0% .. -40%              |
| ma_sell | sub_scale           | revenue ($m), log scale                                | $5,000m .. $100m        |
| ma_sell | margin_pressure     | EBITDA margin (%)                                      | 25% .. 5%               |
| ma_sell | ownership           | sponsor 1, subsidiary 0.8, founder/family 0.6,         | categorical             |
|         |                     | public 0.2, state 0                                    |                         |
| ma_buy  | cash_rich           | cash / revenue (x)                                     | 0.05x .. 0.5x           |
| ma_buy  | low_leverage        | net debt / EBITDA (x): debt capacity                   | 3.0x .. 0x (net cash=1) |
| ma_buy  | acquisitive         | acquisitions announced in the last 5 years (count)     | 0 .. 3                  |
| ma_buy  | growth              | revenue growth (%)                                     | 0% .. 20%               |
| ma_buy  | scale               | market cap ($m), log scale                             | $500m .. $50,000m       |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.domain import Ownership
from workbench.errors import WorkbenchError

FloatArray = np.ndarray


class RowView:
    """The feature frame restricted to the rows being scored."""

    def __init__(self, frame: Any, idx: np.ndarray) -> None:
        self.frame, self.idx = frame, idx

    def num(self, name: str) -> FloatArray:
        return self.frame.num(name)[self.idx]

    def text_in(self, name: str, values: set[str]) -> np.ndarray:
        wanted = {v.lower() for v in values}
        mask = self.frame.text_match(name, lambda cats: np.array([str(c).lower() in wanted for c in cats], dtype=bool))
        return mask[self.idx]


def ramp(lo: float, hi: float, missing: float = 0.0) -> Callable[[FloatArray], FloatArray]:
    def normalise(x: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore"):
            out = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        return np.where(np.isnan(x), missing, out)

    return normalise


def log_ramp(lo: float, hi: float) -> Callable[[FloatArray], FloatArray]:
    inner = ramp(np.log10(lo), np.log10(hi))

    def normalise(x: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            logged = np.where(x > 0, np.log10(np.where(x > 0, x, 1.0)), np.nan)
        return inner(logged)

    return normalise


def identity(x: FloatArray) -> FloatArray:
    return np.where(np.isnan(x), 0.0, np.clip(x, 0.0, 1.0))


@dataclass(frozen=True)
class Factor:
    name: str
    label: str
    measures: str
    formula: str
    normalisation: str
    unit: str
    raw: Callable[[RowView], FloatArray]
    normalise: Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class Score:
    name: str
    label: str
    description: str
    factors: tuple[Factor, ...]
    default_weights: dict[str, float]

    @property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.factors)

    def factor(self, name: str) -> Factor:
        for f in self.factors:
            if f.name == name:
                return f
        raise KeyError(name)


def _col(name: str) -> Callable[[RowView], FloatArray]:
    return lambda v: v.num(name)


def _sponsor_monetisation(v: RowView) -> FloatArray:
    sponsor = v.text_in("ownership", {Ownership.SPONSOR_BACKED.value})
    listed = v.text_in("listing_status", {"listed"})
    return np.where(sponsor & listed, 1.0, np.where(sponsor, 0.5, 0.0))


def _sponsor_holding_years(v: RowView) -> FloatArray:
    sponsor = v.text_in("ownership", {Ownership.SPONSOR_BACKED.value})
    return np.where(sponsor, v.num("days_since_acquired") / 365.25, np.nan)


OWNERSHIP_SALE_PROPENSITY = {
    Ownership.SPONSOR_BACKED.value: 1.0,
    Ownership.SUBSIDIARY.value: 0.8,
    Ownership.FOUNDER.value: 0.6,
    Ownership.FAMILY.value: 0.6,
    Ownership.PUBLIC.value: 0.2,
    Ownership.STATE.value: 0.0,
}


def _ownership(v: RowView) -> FloatArray:
    out = np.full(len(v.idx), np.nan)
    for value, weight in OWNERSHIP_SALE_PROPENSITY.items():
        out[v.text_in("ownership", {value})] = weight
    return out


def _cash_to_revenue(v: RowView) -> FloatArray:
    cash, revenue = v.num("cash_usd_m"), v.num("revenue_usd_m")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue > 0, cash / revenue, np.nan)


def _leverage_or_net_cash(v: RowView) -> FloatArray:
    lev = v.num("net_debt_to_ebitda")
    # Net cash with positive EBITDA reads as zero leverage; negative EBITDA stays unknown.
    net_debt, ebitda = v.num("net_debt_usd_m"), v.num("ebitda_usd_m")
    return np.where(np.isnan(lev) & (net_debt <= 0) & (ebitda > 0), 0.0, lev)


LEVERAGE_ECM = Factor("leverage", "Leverage", "Balance-sheet repair: the more levered, the more need for equity.",
                      "net debt / EBITDA (EBITDA > 0)", "ramp 1.0x -> 0, 4.0x -> 1", "x",
                      _col("net_debt_to_ebitda"), ramp(1.0, 4.0))  # fmt: skip

SCORES: dict[str, Score] = {}


def _register(score: Score) -> None:
    assert set(score.default_weights) == set(score.factor_names), score.name
    SCORES[score.name] = score


_register(Score(
    "ecm", "ECM equity raise", "Likelihood of an equity raise (IPO, follow-on, convertible).",
    (
        LEVERAGE_ECM,
        Factor("near_high", "Near 52-week high", "An open issuance window: shares trade near their high.",
               "last close / highest close of 365 days, %", "ramp 70% -> 0, 100% -> 1", "%",
               _col("pct_of_52w_high"), ramp(70.0, 100.0)),
        Factor("momentum", "Share price momentum", "Investors reward recent performance with demand.",
               "90-day price return, %", "ramp -10% -> 0, +30% -> 1", "%",
               _col("price_return_90d_pct"), ramp(-10.0, 30.0)),
        Factor("growth", "Revenue growth", "Growth companies fund expansion with equity.",
               "revenue growth, %", "ramp 0% -> 0, 30% -> 1", "%", _col("revenue_growth_pct"), ramp(0.0, 30.0)),
        Factor("sponsor_monetisation", "Sponsor monetisation", "Sponsors exit through IPOs and sell-downs.",
               "sponsor-backed and listed = 1, sponsor-backed private = 0.5, else 0", "as is", "",
               _sponsor_monetisation, identity),
        Factor("equity_gap", "Time since last equity deal", "The longer since the last raise, the likelier the next.",
               "days since last IPO/follow-on/convertible as issuer", "ramp 180d -> 0, 1,095d -> 1; never = 1",
               "days", _col("days_since_last_equity_deal"), ramp(180.0, 1095.0, missing=1.0)),
    ),
    {"leverage": 1.0, "near_high": 1.5, "momentum": 1.0, "growth": 1.0, "sponsor_monetisation": 1.5, "equity_gap": 1.0},
))  # fmt: skip

_register(Score(
    "dcm", "DCM refinancing", "Likelihood of a bond or loan to refinance or raise debt.",
    (
        Factor("maturity_wall_cash", "Maturity wall vs cash", "Debt coming due that cash on hand cannot repay.",
               "debt maturing within 24 months / cash", "ramp 0x -> 0, 2x -> 1", "x",
               _col("debt_maturing_24m_to_cash"), ramp(0.0, 2.0)),
        Factor("maturity_wall_ebitda", "Maturity wall vs EBITDA", "Debt coming due relative to earnings power.",
               "debt maturing within 24 months / EBITDA (EBITDA > 0)", "ramp 0x -> 0, 3x -> 1", "x",
               _col("debt_maturing_24m_to_ebitda"), ramp(0.0, 3.0)),
        Factor("leverage", "Leverage", "Levered borrowers refinance and extend continuously.",
               "net debt / EBITDA (EBITDA > 0)", "ramp 1.0x -> 0, 5.0x -> 1", "x",
               _col("net_debt_to_ebitda"), ramp(1.0, 5.0)),
        Factor("rating", "Credit rating", "Rated issuers have bond-market access; better credit, easier access.",
               "rating notch (AAA = 0 ... D = 21)", "ramp D -> 0, AAA -> 1; unrated = 0", "notch",
               _col("rating_notch"), ramp(21.0, 0.0)),
        Factor("coupon_gap", "Coupon vs new issues", "Outstanding debt costs more than comparable new issues.",
               "amount-weighted coupon of outstanding debt - average coupon of debt deals of the same rating "
               "band (IG / HY, unrated as HY) in the 12 months to the as-of date, pp",
               "ramp 0pp -> 0, 2pp -> 1", "pp", _col("coupon_gap_pp"), ramp(0.0, 2.0)),
    ),
    {"maturity_wall_cash": 2.0, "maturity_wall_ebitda": 1.5, "leverage": 1.0, "rating": 0.5, "coupon_gap": 1.0},
))  # fmt: skip

_register(Score(
    "ma_sell", "M&A sell-side", "Likelihood that the company or its owner sells.",
    (
        Factor("sponsor_holding", "Sponsor holding period", "Sponsors sell after 3 to 7 years of ownership.",
               "years since the company was acquired, sponsor-backed companies only", "ramp 3y -> 0, 7y -> 1",
               "years", _sponsor_holding_years, ramp(3.0, 7.0)),
        Factor("underperformance", "Share price underperformance", "Underperformers attract activists and bidders.",
               "365-day price return, %", "ramp 0% -> 0, -40% -> 1", "%",
               _col("price_return_365d_pct"), ramp(0.0, -40.0)),
        Factor("sub_scale", "Sub-scale", "Small players consolidate into larger ones.",
               "revenue, $m (log scale)", "ramp $5,000m -> 0, $100m -> 1", "$m",
               _col("revenue_usd_m"), log_ramp(5000.0, 100.0)),
        Factor("margin_pressure", "Margin pressure", "Thin margins push owners towards a sale.",
               "EBITDA margin, %", "ramp 25% -> 0, 5% -> 1", "%", _col("ebitda_margin_pct"), ramp(25.0, 5.0)),
        Factor("ownership", "Ownership", "Owners differ in their readiness to sell.",
               "sponsor 1, subsidiary 0.8, founder/family 0.6, public 0.2, state 0", "as is", "",
               _ownership, identity),
    ),
    {"sponsor_holding": 2.0, "underperformance": 1.0, "sub_scale": 1.0, "margin_pressure": 0.5, "ownership": 1.0},
))  # fmt: skip

_register(Score(
    "ma_buy", "M&A buy-side", "Likelihood that the company makes an acquisition.",
    (
        Factor("cash_rich", "Cash", "Cash on hand funds acquisitions.",
               "cash / revenue", "ramp 0.05x -> 0, 0.5x -> 1", "x", _cash_to_revenue, ramp(0.05, 0.5)),
        Factor("low_leverage", "Debt capacity", "Low leverage leaves room to borrow for a deal.",
               "net debt / EBITDA (net cash with positive EBITDA = 0x)", "ramp 3.0x -> 0, 0x -> 1", "x",
               _leverage_or_net_cash, ramp(3.0, 0.0)),
        Factor("acquisitive", "Acquisitive history", "Serial acquirers keep acquiring.",
               "M&A deals as acquirer in the 5 years to the as-of date", "ramp 0 -> 0, 3 -> 1", "count",
               _col("acquisitions_5y"), ramp(0.0, 3.0)),
        Factor("growth", "Revenue growth", "Growing companies buy capabilities and reach.",
               "revenue growth, %", "ramp 0% -> 0, 20% -> 1", "%", _col("revenue_growth_pct"), ramp(0.0, 20.0)),
        Factor("scale", "Scale", "Larger companies can absorb targets.",
               "market cap, $m (log scale)", "ramp $500m -> 0, $50,000m -> 1", "$m",
               _col("market_cap_usd_m"), log_ramp(500.0, 50_000.0)),
    ),
    {"cash_rich": 1.0, "low_leverage": 1.0, "acquisitive": 1.5, "growth": 0.5, "scale": 1.0},
))  # fmt: skip


def effective_weights(score: Score, overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Default weights with the screen's overrides applied, in factor order."""
    weights = dict(score.default_weights)
    for key, value in (overrides or {}).items():
        if key not in weights:
            raise WorkbenchError(f"unknown factor {key!r} for score {score.name}")
        weights[key] = float(value)
    if sum(weights.values()) <= 0:
        raise WorkbenchError(f"at least one weight of the {score.label} score must be above zero")
    return {f: weights[f] for f in score.factor_names}


@dataclass(frozen=True)
class ScoreBreakdown:
    total: FloatArray  # one per scored row, 0..100
    values: list[FloatArray]  # per factor: raw value
    normalised: list[FloatArray]  # per factor: 0..1
    contributions: list[FloatArray]  # per factor: points of the total


def score_rows(score: Score, frame: Any, idx: np.ndarray, weights: dict[str, float]) -> ScoreBreakdown:
    """Score the frame's rows ``idx``: every factor vectorised over all rows at once."""
    view = RowView(frame, idx)
    total_weight = sum(weights.values())
    values, normalised, contributions = [], [], []
    total = np.zeros(len(idx))
    for factor in score.factors:
        raw = np.asarray(factor.raw(view), dtype=float)
        norm = factor.normalise(raw)
        contribution = 100.0 * weights[factor.name] * norm / total_weight
        values.append(raw)
        normalised.append(norm)
        contributions.append(contribution)
        total += contribution
    return ScoreBreakdown(total=total, values=values, normalised=normalised, contributions=contributions)


def factor_table() -> list[dict[str, str]]:
    """Every factor of every score, documented, for the page's help and the Excel export."""
    return [
        {"score": s.name, "score_label": s.label, "factor": f.name, "label": f.label, "measures": f.measures,
         "formula": f.formula, "normalisation": f.normalisation, "default_weight": f"{s.default_weights[f.name]:g}"}
        for s in SCORES.values() for f in s.factors
    ]  # fmt: skip
