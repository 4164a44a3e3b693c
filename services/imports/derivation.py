"""Values a row leaves blank but its other cells imply: country, region and sector.

Runs on a row that passed every check, after its cells were parsed. A value given in the
file always wins: a field is derived only when the row has no value for it. Given
countries, regions and sectors are spelled the workbench's way when they are recognised
(``USA`` -> ``United States``, ``APAC`` -> ``Asia Pacific``, ``health care`` ->
``Health Care``) and kept verbatim otherwise.

- companies: country <- the headquarters location (``Cupertino, California``);
  region <- country; sector <- GICS sub-industry, else industry (GICS names first, then
  other industry terms).
- deals: region <- country; sector (the target's) <- industry, else the categories.
"""

from __future__ import annotations

from typing import Any

from workbench import geography, gics


def _normalise_places(v: dict[str, Any]) -> None:
    if "country" in v:
        v["country"] = geography.canonical_country(v["country"]) or v["country"]
    if "region" in v:
        v["region"] = geography.canonical_region(v["region"]) or v["region"]


def _set(v: dict[str, Any], name: str, value: str | None, derived: set[str]) -> None:
    if value and name not in v:
        v[name] = value
        derived.add(name)


def derive_company(v: dict[str, Any]) -> set[str]:
    """Fill what a company row implies; returns the names of the fields it filled."""
    derived: set[str] = set()
    _normalise_places(v)
    _set(v, "country", geography.country_of_location(v.get("headquarters")), derived)
    _set(v, "region", geography.region_of_country(v.get("country")), derived)
    if "sector" in v:
        v["sector"] = gics.canonical_sector(v["sector"]) or v["sector"]
    else:
        sub, industry = v.get("sub_industry"), v.get("industry")
        _set(v, "sector", gics.sector_of_gics(sub) or gics.sector_of_gics(industry)
             or gics.sector_of_term(sub) or gics.sector_of_term(industry), derived)  # fmt: skip
    return derived


def derive_deal(v: dict[str, Any]) -> set[str]:
    """Fill what a deal row implies; returns the names of the fields it filled."""
    derived: set[str] = set()
    _normalise_places(v)
    _set(v, "region", geography.region_of_country(v.get("country")), derived)
    if "sector" in v:
        v["sector"] = gics.canonical_sector(v["sector"]) or v["sector"]
    else:
        _set(v, "sector", gics.sector_of_term(v.get("industry")) or gics.sector_of_terms(v.get("categories") or ()),
             derived)  # fmt: skip
    return derived


DERIVERS = {"companies": derive_company, "deals": derive_deal}


def derive(kind: str, values: dict[str, Any]) -> set[str]:
    deriver = DERIVERS.get(kind)
    return deriver(values) if deriver else set()
