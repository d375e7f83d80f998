"""Cost per 1,000 hints: energy on this machine at a stated wattage, against server APIs' published prices.

Local cost = watts x seconds per hint x 1,000 (in kWh) x the electricity price. Server cost = the same prompts and
answers (the prompt and completion tokens each hint really used here) at the API's price per million tokens.
The prices are the published list prices of the server models the Hints-In-Browser paper compares with, as
stated on the source page on the date given; they change, so the table carries its date and source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_WATTS = 65.0  # a desktop CPU package under full load (the machine's real draw is not measured here)
DEFAULT_KWH_PRICE = 0.30  # in the currency of the API prices below (USD), a typical European household price


@dataclass(frozen=True)
class ApiPrice:
    model: str
    input_per_m: float  # USD per million prompt tokens
    output_per_m: float  # USD per million completion tokens


PRICE_SOURCE = "https://openai.com/api/pricing (standard tier list prices)"
PRICE_DATE = "2024-10-01"
API_PRICES = (
    ApiPrice("gpt-4o-2024-08-06", 2.50, 10.00),
    ApiPrice("gpt-4o-mini-2024-07-18", 0.15, 0.60),
    ApiPrice("gpt-4-turbo-2024-04-09", 10.00, 30.00),
    ApiPrice("gpt-3.5-turbo-0125", 0.50, 1.50),
)


def local_cost(
    seconds_per_hint: float, watts: float = DEFAULT_WATTS, kwh_price: float = DEFAULT_KWH_PRICE
) -> dict[str, float]:
    kwh = watts * seconds_per_hint * 1000 / 3600 / 1000
    return {"kwh_per_1000": round(kwh, 4), "usd_per_1000": round(kwh * kwh_price, 4)}


def api_costs(prompt_tokens: float, completion_tokens: float) -> dict[str, float]:
    """USD per 1,000 hints for each priced API model, for hints of this many tokens each."""
    return {
        p.model: round(1000 * (prompt_tokens * p.input_per_m + completion_tokens * p.output_per_m) / 1e6, 4)
        for p in API_PRICES
    }


def cost_table(
    rows: list[dict[str, Any]], watts: float = DEFAULT_WATTS, kwh_price: float = DEFAULT_KWH_PRICE
) -> dict[str, Any]:
    """Per 1,000 hints from one system's per-item rows (mean time and tokens per hint)."""
    if not rows:
        return {}
    seconds = sum(r["time_total_s"] for r in rows) / len(rows)
    prompt = sum(r["prompt_tokens"] for r in rows) / len(rows)
    completion = sum(r["completion_tokens"] for r in rows) / len(rows)
    return {
        "seconds_per_hint": round(seconds, 2),
        "prompt_tokens_per_hint": round(prompt, 1),
        "completion_tokens_per_hint": round(completion, 1),
        "watts": watts,
        "kwh_price_usd": kwh_price,
        "local": local_cost(seconds, watts, kwh_price),
        "api_usd_per_1000": api_costs(prompt, completion),
        "api_prices": {"source": PRICE_SOURCE, "date": PRICE_DATE},
    }
