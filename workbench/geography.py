"""Countries and regions: one canonical name per country, its region, and the country of a
headquarters location.

A hand table, offline by design (no pycountry): every country that occurs in the real
acquisition and S&P files plus the other major markets. Canonical names are the short
English names the workbench already uses (``United States``, ``United Kingdom``,
``South Korea``); regions are ``workbench.domain.REGIONS``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from workbench.domain import REGIONS

NA, EU, AP, LA, MEA = "North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa"
assert {NA, EU, AP, LA, MEA} == set(REGIONS)


@dataclass(frozen=True)
class Country:
    name: str
    alpha2: str
    alpha3: str
    region: str
    aliases: tuple[str, ...] = ()
    # Codes no longer in ISO 3166 that old exports still use (CrunchBase writes ROM for Romania).
    old_codes: tuple[str, ...] = ()


COUNTRIES: tuple[Country, ...] = (
    # North America
    Country("United States", "US", "USA", NA, ("United States of America", "U.S.", "U.S.A.")),
    Country("Canada", "CA", "CAN", NA),
    Country("Bermuda", "BM", "BMU", NA),
    # Latin America and the Caribbean
    Country("Mexico", "MX", "MEX", LA),
    Country("Brazil", "BR", "BRA", LA, ("Brasil",)),
    Country("Argentina", "AR", "ARG", LA),
    Country("Chile", "CL", "CHL", LA),
    Country("Colombia", "CO", "COL", LA),
    Country("Peru", "PE", "PER", LA),
    Country("Uruguay", "UY", "URY", LA),
    Country("Ecuador", "EC", "ECU", LA),
    Country("Costa Rica", "CR", "CRI", LA),
    Country("Panama", "PA", "PAN", LA),
    Country("Venezuela", "VE", "VEN", LA),
    Country("Puerto Rico", "PR", "PRI", LA),
    Country("Cayman Islands", "KY", "CYM", LA),
    Country("Bahamas", "BS", "BHS", LA),
    Country("Trinidad and Tobago", "TT", "TTO", LA),
    Country("Saint Martin", "MF", "MAF", LA),
    # Europe
    Country("United Kingdom", "GB", "GBR", EU, ("UK", "U.K.", "Great Britain", "Britain", "England", "Scotland",
                                                 "Wales", "Northern Ireland")),  # fmt: skip
    Country("Ireland", "IE", "IRL", EU, ("Republic of Ireland",)),
    Country("Germany", "DE", "DEU", EU, ("Deutschland",)),
    Country("France", "FR", "FRA", EU),
    Country("Netherlands", "NL", "NLD", EU, ("Holland", "Netherlands, Kingdom of the")),
    Country("Belgium", "BE", "BEL", EU),
    Country("Luxembourg", "LU", "LUX", EU),
    Country("Switzerland", "CH", "CHE", EU),
    Country("Austria", "AT", "AUT", EU),
    Country("Italy", "IT", "ITA", EU),
    Country("Spain", "ES", "ESP", EU),
    Country("Portugal", "PT", "PRT", EU),
    Country("Sweden", "SE", "SWE", EU),
    Country("Norway", "NO", "NOR", EU),
    Country("Denmark", "DK", "DNK", EU),
    Country("Finland", "FI", "FIN", EU),
    Country("Iceland", "IS", "ISL", EU),
    Country("Poland", "PL", "POL", EU),
    Country("Czech Republic", "CZ", "CZE", EU, ("Czechia",)),
    Country("Slovakia", "SK", "SVK", EU, ("Slovak Republic",)),
    Country("Hungary", "HU", "HUN", EU),
    Country("Romania", "RO", "ROU", EU, old_codes=("ROM",)),
    Country("Bulgaria", "BG", "BGR", EU),
    Country("Greece", "GR", "GRC", EU),
    Country("Cyprus", "CY", "CYP", EU),
    Country("Malta", "MT", "MLT", EU),
    Country("Croatia", "HR", "HRV", EU),
    Country("Slovenia", "SI", "SVN", EU),
    Country("Serbia", "RS", "SRB", EU),
    Country("Estonia", "EE", "EST", EU),
    Country("Latvia", "LV", "LVA", EU),
    Country("Lithuania", "LT", "LTU", EU),
    Country("Ukraine", "UA", "UKR", EU),
    Country("Belarus", "BY", "BLR", EU),
    Country("Moldova", "MD", "MDA", EU, ("Republic of Moldova", "Moldova, Republic of")),
    Country("Russia", "RU", "RUS", EU, ("Russian Federation",)),
    Country("Turkey", "TR", "TUR", EU, ("Türkiye", "Turkiye")),
    Country("Isle of Man", "IM", "IMN", EU),
    Country("Guernsey", "GG", "GGY", EU),
    Country("Jersey", "JE", "JEY", EU),
    Country("Gibraltar", "GI", "GIB", EU),
    Country("Liechtenstein", "LI", "LIE", EU),
    Country("Monaco", "MC", "MCO", EU),
    # Middle East and Africa
    Country("Israel", "IL", "ISR", MEA),
    Country("United Arab Emirates", "AE", "ARE", MEA, ("UAE", "U.A.E.")),
    Country("Saudi Arabia", "SA", "SAU", MEA),
    Country("Qatar", "QA", "QAT", MEA),
    Country("Kuwait", "KW", "KWT", MEA),
    Country("Bahrain", "BH", "BHR", MEA),
    Country("Oman", "OM", "OMN", MEA),
    Country("Jordan", "JO", "JOR", MEA),
    Country("Lebanon", "LB", "LBN", MEA),
    Country("Iran", "IR", "IRN", MEA, ("Iran, Islamic Republic of", "Islamic Republic of Iran")),
    Country("Egypt", "EG", "EGY", MEA),
    Country("Morocco", "MA", "MAR", MEA),
    Country("Tunisia", "TN", "TUN", MEA),
    Country("Nigeria", "NG", "NGA", MEA),
    Country("Ghana", "GH", "GHA", MEA),
    Country("Kenya", "KE", "KEN", MEA),
    Country("Uganda", "UG", "UGA", MEA),
    Country("Botswana", "BW", "BWA", MEA),
    Country("South Africa", "ZA", "ZAF", MEA),
    # Asia Pacific
    Country("China", "CN", "CHN", AP, ("People's Republic of China", "PRC", "Mainland China")),
    Country("Hong Kong", "HK", "HKG", AP, ("Hong Kong SAR", "Hong Kong, China")),
    Country("Macau", "MO", "MAC", AP, ("Macao",)),
    Country("Taiwan", "TW", "TWN", AP, ("Taiwan, Province of China", "Chinese Taipei")),
    Country("Japan", "JP", "JPN", AP),
    Country("South Korea", "KR", "KOR", AP, ("Korea", "Republic of Korea", "Korea, Republic of", "Korea (South)")),
    Country("India", "IN", "IND", AP),
    Country("Pakistan", "PK", "PAK", AP),
    Country("Bangladesh", "BD", "BGD", AP),
    Country("Sri Lanka", "LK", "LKA", AP),
    Country("Singapore", "SG", "SGP", AP),
    Country("Malaysia", "MY", "MYS", AP),
    Country("Indonesia", "ID", "IDN", AP),
    Country("Thailand", "TH", "THA", AP),
    Country("Philippines", "PH", "PHL", AP),
    Country("Vietnam", "VN", "VNM", AP, ("Viet Nam",)),
    Country("Australia", "AU", "AUS", AP),
    Country("New Zealand", "NZ", "NZL", AP),
)

US_STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
    "District of Columbia", "D.C.", "Washington D.C.",
)  # fmt: skip
CANADIAN_PROVINCES = (
    "Alberta", "British Columbia", "Manitoba", "New Brunswick", "Newfoundland and Labrador", "Nova Scotia",
    "Ontario", "Prince Edward Island", "Quebec", "Québec", "Saskatchewan", "Northwest Territories", "Nunavut",
    "Yukon",
)  # fmt: skip

REGION_ALIASES: dict[str, str] = {
    **{r: r for r in REGIONS},
    "Western Europe": EU, "Eastern Europe": EU, "Central Europe": EU,
    "Central and Eastern Europe": EU, "Nordics": EU, "Asia": AP, "Asia-Pacific": AP, "APAC": AP, "Asia Pac": AP,
    "Asia and Pacific": AP, "Asia/Pacific": AP, "Pacific": AP, "LatAm": LA, "Latin America and Caribbean": LA,
    "Latin America and the Caribbean": LA, "South America": LA, "Central America": LA, "Caribbean": LA,
    "Middle East and Africa": MEA, "MEA": MEA, "Middle East": MEA, "Africa": MEA, "Sub-Saharan Africa": MEA,
}  # fmt: skip


def _key(text: str) -> str:
    """Case, accents, dots, '&' and a leading 'the' do not matter: 'The Netherlands', 'U.S.', 'Türkiye'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace(".", "").replace("&", " and ").replace("'", "")
    text = " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
    return text[4:] if text.startswith("the ") else text


_BY_NAME: dict[str, Country] = {}
_BY_CODE: dict[str, Country] = {}
for _c in COUNTRIES:
    for _n in (_c.name, *_c.aliases):
        _BY_NAME[_key(_n)] = _c
    for _code in (_c.alpha2, _c.alpha3, *_c.old_codes):
        _BY_CODE[_code.lower()] = _c
_BY_CODE["uk"] = _BY_NAME["uk"]  # not ISO (that is GB), but what people write
_BY_CANONICAL = {c.name: c for c in COUNTRIES}
_STATES = {_key(s) for s in US_STATES}
_PROVINCES = {_key(p) for p in CANADIAN_PROVINCES}
_REGIONS = {_key(k): v for k, v in REGION_ALIASES.items()}
_FOOTNOTE = re.compile(r"\[[^\]]*\]")


def find_country(text: str | None) -> Country | None:
    """A country cell as a name, an alias or an ISO alpha-2/alpha-3 code; None when unknown."""
    if not text:
        return None
    key = _key(text)
    if len(key) in (2, 3) and key in _BY_CODE:
        return _BY_CODE[key]
    return _BY_NAME.get(key)


def canonical_country(text: str | None) -> str | None:
    """``USA``, ``US``, ``U.S.``, ``United States of America`` -> ``United States``; None when unknown."""
    country = find_country(text)
    return country.name if country else None


def region_of_country(name: str | None) -> str | None:
    country = _BY_CANONICAL.get(name or "") or find_country(name)
    return country.region if country else None


def canonical_region(text: str | None) -> str | None:
    """A region in the workbench's vocabulary (``APAC`` -> ``Asia Pacific``); None when unknown."""
    return _REGIONS.get(_key(text)) if text else None


def country_of_location(text: str | None) -> str | None:
    """The country of a location such as ``Cupertino, California`` (a US state: United States),
    ``Toronto, Ontario`` or ``Dublin, Ireland``: read from its last comma-separated part.

    Two-letter state or province codes are not read (``Wilmington, DE``: Delaware or Germany?),
    nor are ISO codes: only names and unambiguous abbreviations such as USA or UK.
    """
    if not text:
        return None
    last = _key(_FOOTNOTE.sub("", text).rsplit(",", 1)[-1])
    if not last:
        return None
    if last in _STATES:
        return "United States"
    if last in _PROVINCES:
        return "Canada"
    country = _BY_NAME.get(last)
    return country.name if country else None
