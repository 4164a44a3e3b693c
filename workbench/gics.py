"""GICS: which sector a sub-industry, industry or industry group belongs to, and the sector
that other industry vocabularies (CrunchBase categories, free-text business lines) point to.

The hierarchy is the GICS structure in force since March 2023, the one the S&P 500 files
use; names retired by the 2018 and 2023 revisions still resolve to the sector their
successor sits in. Sector names are ``workbench.domain.GICS_SECTORS``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from workbench.domain import GICS_SECTORS

# sector -> industry group -> industry -> sub-industries
HIERARCHY: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "Energy": {"Energy": {
        "Energy Equipment & Services": ("Oil & Gas Drilling", "Oil & Gas Equipment & Services"),
        "Oil, Gas & Consumable Fuels": ("Integrated Oil & Gas", "Oil & Gas Exploration & Production",
                                        "Oil & Gas Refining & Marketing", "Oil & Gas Storage & Transportation",
                                        "Coal & Consumable Fuels"),
    }},
    "Materials": {"Materials": {
        "Chemicals": ("Commodity Chemicals", "Diversified Chemicals", "Fertilizers & Agricultural Chemicals",
                      "Industrial Gases", "Specialty Chemicals"),
        "Construction Materials": ("Construction Materials",),
        "Containers & Packaging": ("Metal, Glass & Plastic Containers", "Paper & Plastic Packaging Products & Materials"),
        "Metals & Mining": ("Aluminum", "Diversified Metals & Mining", "Copper", "Gold", "Precious Metals & Minerals",
                            "Silver", "Steel"),
        "Paper & Forest Products": ("Forest Products", "Paper Products"),
    }},
    "Industrials": {
        "Capital Goods": {
            "Aerospace & Defense": ("Aerospace & Defense",),
            "Building Products": ("Building Products",),
            "Construction & Engineering": ("Construction & Engineering",),
            "Electrical Equipment": ("Electrical Components & Equipment", "Heavy Electrical Equipment"),
            "Industrial Conglomerates": ("Industrial Conglomerates",),
            "Machinery": ("Construction Machinery & Heavy Transportation Equipment", "Agricultural & Farm Machinery",
                          "Industrial Machinery & Supplies & Components"),
            "Trading Companies & Distributors": ("Trading Companies & Distributors",),
        },
        "Commercial & Professional Services": {
            "Commercial Services & Supplies": ("Commercial Printing", "Environmental & Facilities Services",
                                               "Office Services & Supplies", "Diversified Support Services",
                                               "Security & Alarm Services", "Data Processing & Outsourced Services"),
            "Professional Services": ("Human Resource & Employment Services", "Research & Consulting Services"),
        },
        "Transportation": {
            "Air Freight & Logistics": ("Air Freight & Logistics",),
            "Passenger Airlines": ("Passenger Airlines",),
            "Marine Transportation": ("Marine Transportation",),
            "Ground Transportation": ("Rail Transportation", "Cargo Ground Transportation",
                                      "Passenger Ground Transportation"),
            "Transportation Infrastructure": ("Airport Services", "Highways & Railtracks", "Marine Ports & Services"),
        },
    },
    "Consumer Discretionary": {
        "Automobiles & Components": {
            "Automobile Components": ("Automotive Parts & Equipment", "Tires & Rubber"),
            "Automobiles": ("Automobile Manufacturers", "Motorcycle Manufacturers"),
        },
        "Consumer Durables & Apparel": {
            "Household Durables": ("Consumer Electronics", "Home Furnishings", "Homebuilding", "Household Appliances",
                                   "Housewares & Specialties"),
            "Leisure Products": ("Leisure Products",),
            "Textiles, Apparel & Luxury Goods": ("Apparel, Accessories & Luxury Goods", "Footwear", "Textiles"),
        },
        "Consumer Services": {
            "Hotels, Restaurants & Leisure": ("Casinos & Gaming", "Hotels, Resorts & Cruise Lines", "Leisure Facilities",
                                              "Restaurants"),
            "Diversified Consumer Services": ("Education Services", "Specialized Consumer Services"),
        },
        "Consumer Discretionary Distribution & Retail": {
            "Distributors": ("Distributors",),
            "Broadline Retail": ("Broadline Retail",),
            "Specialty Retail": ("Apparel Retail", "Computer & Electronics Retail", "Home Improvement Retail",
                                 "Other Specialty Retail", "Automotive Retail", "Homefurnishing Retail"),
        },
    },
    "Consumer Staples": {
        "Consumer Staples Distribution & Retail": {
            "Consumer Staples Distribution & Retail": ("Drug Retail", "Food Distributors", "Food Retail",
                                                       "Consumer Staples Merchandise Retail"),
        },
        "Food, Beverage & Tobacco": {
            "Beverages": ("Brewers", "Distillers & Vintners", "Soft Drinks & Non-alcoholic Beverages"),
            "Food Products": ("Agricultural Products & Services", "Packaged Foods & Meats"),
            "Tobacco": ("Tobacco",),
        },
        "Household & Personal Products": {
            "Household Products": ("Household Products",),
            "Personal Care Products": ("Personal Care Products",),
        },
    },
    "Health Care": {
        "Health Care Equipment & Services": {
            "Health Care Equipment & Supplies": ("Health Care Equipment", "Health Care Supplies"),
            "Health Care Providers & Services": ("Health Care Distributors", "Health Care Services",
                                                 "Health Care Facilities", "Managed Health Care"),
            "Health Care Technology": ("Health Care Technology",),
        },
        "Pharmaceuticals, Biotechnology & Life Sciences": {
            "Biotechnology": ("Biotechnology",),
            "Pharmaceuticals": ("Pharmaceuticals",),
            "Life Sciences Tools & Services": ("Life Sciences Tools & Services",),
        },
    },
    "Financials": {
        "Banks": {"Banks": ("Diversified Banks", "Regional Banks")},
        "Financial Services": {
            "Financial Services": ("Diversified Financial Services", "Multi-Sector Holdings", "Specialized Finance",
                                   "Commercial & Residential Mortgage Finance",
                                   "Transaction & Payment Processing Services"),
            "Consumer Finance": ("Consumer Finance",),
            "Capital Markets": ("Asset Management & Custody Banks", "Investment Banking & Brokerage",
                                "Diversified Capital Markets", "Financial Exchanges & Data"),
            "Mortgage Real Estate Investment Trusts (REITs)": ("Mortgage REITs",),
        },
        "Insurance": {"Insurance": ("Insurance Brokers", "Life & Health Insurance", "Multi-line Insurance",
                                    "Property & Casualty Insurance", "Reinsurance")},
    },
    "Information Technology": {
        "Software & Services": {
            "IT Services": ("IT Consulting & Other Services", "Internet Services & Infrastructure"),
            "Software": ("Application Software", "Systems Software"),
        },
        "Technology Hardware & Equipment": {
            "Communications Equipment": ("Communications Equipment",),
            "Technology Hardware, Storage & Peripherals": ("Technology Hardware, Storage & Peripherals",),
            "Electronic Equipment, Instruments & Components": ("Electronic Equipment & Instruments",
                                                               "Electronic Components",
                                                               "Electronic Manufacturing Services",
                                                               "Technology Distributors"),
        },
        "Semiconductors & Semiconductor Equipment": {
            "Semiconductors & Semiconductor Equipment": ("Semiconductor Materials & Equipment", "Semiconductors"),
        },
    },
    "Communication Services": {
        "Telecommunication Services": {
            "Diversified Telecommunication Services": ("Alternative Carriers", "Integrated Telecommunication Services"),
            "Wireless Telecommunication Services": ("Wireless Telecommunication Services",),
        },
        "Media & Entertainment": {
            "Media": ("Advertising", "Broadcasting", "Cable & Satellite", "Publishing"),
            "Entertainment": ("Movies & Entertainment", "Interactive Home Entertainment"),
            "Interactive Media & Services": ("Interactive Media & Services",),
        },
    },
    "Utilities": {"Utilities": {
        "Electric Utilities": ("Electric Utilities",),
        "Gas Utilities": ("Gas Utilities",),
        "Multi-Utilities": ("Multi-Utilities",),
        "Water Utilities": ("Water Utilities",),
        "Independent Power and Renewable Electricity Producers": ("Independent Power Producers & Energy Traders",
                                                                  "Renewable Electricity"),
    }},
    "Real Estate": {
        "Equity Real Estate Investment Trusts (REITs)": {
            "Diversified REITs": ("Diversified REITs",),
            "Industrial REITs": ("Industrial REITs",),
            "Hotel & Resort REITs": ("Hotel & Resort REITs",),
            "Office REITs": ("Office REITs",),
            "Health Care REITs": ("Health Care REITs",),
            "Residential REITs": ("Multi-Family Residential REITs", "Single-Family Residential REITs"),
            "Retail REITs": ("Retail REITs",),
            "Specialized REITs": ("Other Specialized REITs", "Self-Storage REITs", "Telecom Tower REITs",
                                  "Timber REITs", "Data Center REITs"),
        },
        "Real Estate Management & Development": {
            "Real Estate Management & Development": ("Diversified Real Estate Activities",
                                                     "Real Estate Operating Companies", "Real Estate Development",
                                                     "Real Estate Services"),
        },
    },
}  # fmt: skip

# Names retired by the 2018 and 2023 revisions, and the sector their successor is in.
RETIRED: dict[str, str] = {
    "Airlines": "Industrials", "Marine": "Industrials", "Road & Rail": "Industrials", "Railroads": "Industrials",
    "Trucking": "Industrials", "Construction Machinery & Heavy Trucks": "Industrials",
    "Industrial Machinery": "Industrials", "Auto Components": "Consumer Discretionary",
    "Retailing": "Consumer Discretionary", "Multiline Retail": "Consumer Discretionary",
    "Internet & Direct Marketing Retail": "Consumer Discretionary", "Department Stores": "Consumer Discretionary",
    "General Merchandise Stores": "Consumer Discretionary", "Specialty Stores": "Consumer Discretionary",
    "Food & Staples Retailing": "Consumer Staples", "Hypermarkets & Super Centers": "Consumer Staples",
    "Soft Drinks": "Consumer Staples", "Agricultural Products": "Consumer Staples",
    "Personal Products": "Consumer Staples", "Household & Personal Products": "Consumer Staples",
    "Diversified Financials": "Financials", "Thrifts & Mortgage Finance": "Financials",
    "Other Diversified Financial Services": "Financials", "Mortgage Real Estate Investment Trusts": "Financials",
    "Semiconductor Equipment": "Information Technology", "Metal & Glass Containers": "Materials",
    "Paper Packaging": "Materials", "Home Entertainment Software": "Communication Services",
    "Telecommunication Services": "Communication Services", "Specialized REITs": "Real Estate",
    "Residential REITs": "Real Estate", "Real Estate Management & Development": "Real Estate",
}  # fmt: skip

# Other vocabularies: CrunchBase categories and free-text lines of business, by the sector a
# GICS analyst would put such a company in. Terms too vague to say (Services, Design,
# Internet, Consulting, Clean Technology, Mobile) are left out on purpose: no sector beats a
# wrong one.
TERMS: dict[str, tuple[str, ...]] = {
    "Information Technology": (
        "Software", "Enterprise Software", "SaaS", "Analytics", "Big Data", "Big Data Analytics", "Business Intelligence",
        "Cloud Computing", "Cloud Data Services", "Cloud Management", "Cloud Infrastructure", "Web Hosting",
        "Hardware", "Hardware + Software", "Computers", "Computer hardware", "Computer manufacturer",
        "Semiconductors", "Semiconductor", "Storage", "Data storage", "Data Centers", "Databases", "Security",
        "Network Security", "Data Security", "Computer security", "Cyber Security", "Networking",
        "Computer networking", "Information Technology", "IT Services", "Technology", "Web Development",
        "Developer APIs", "Developer Tools", "Open Source", "Virtualization", "CRM", "Apps", "iPhone", "iPad", "iOS",
        "Android", "Mobile software", "Mobile device management", "Collaboration", "Productivity Software",
        "Machine Learning", "Artificial intelligence", "Computer vision", "Speech recognition", "Web Tools",
        "Infrastructure", "Optimization", "Marketing Automation", "Supply Chain Management", "Email",
        "Wireless", "Electronics", "Computer programming", "Information management",
        "Enterprise Information Integration", "Automatic test equipment", "Internet software", "Cloud computing",
        "Augmented reality", "Virtual reality", "Robotics", "File Sharing",
        "Payments software", "Information Services", "Real Time", "Enterprises", "Computer software",
        "Web browser", "Operating system", "Search engine software", "Information technology consulting",
        "IT consulting", "Applications", "Application", "Mobile applications", "Programming", "Software Development",
        "Information Security", "Internet security", "Cybersecurity", "IT and Cybersecurity", "Identity management",
        "Database management", "Network management", "API management", "Application management", "IT Management",
        "Business Process Management", "Document Management", "Project Management", "Data Integration",
        "Data Visualization", "PaaS", "IaaS", "Development Platforms", "Application Platforms", "Internet of Things",
        "Cloud migration", "AI", "Conversational AI", "Recognition", "Memory", "Flash memory", "Navigation", "GPS",
        "Ediscovery", "Graphics", "Video editing", "Domains", "Digital asset management", "Software testing",
        "Database", "Displays", "Wireless charging", "Home automation",
    ),
    "Communication Services": (
        "Curated Web", "Advertising", "Online advertising", "Classified advertising", "Mobile advertising",
        "Internet Marketing", "Social Media Marketing", "Brand Marketing", "Public Relations", "SEO",
        "Social Media", "Social Network Media", "Social networking service", "Social networking", "Messaging",
        "Games", "Video games", "Social gaming", "Mobile games", "Online games", "Video", "Video Streaming",
        "Online video", "Music", "Music streaming", "Media", "Digital Media", "News", "Publishing", "Content",
        "Entertainment", "Television", "Broadcasting", "Telecommunications", "VoIP", "Search", "Web search engine",
        "Blogging Platforms", "Weblog software", "Photo Sharing", "Photography", "Maps", "Location Based Services",
        "Reviews and Recommendations", "Facebook Applications", "Twitter Applications", "Audio", "Podcasts",
        "Movies", "Film", "Online dating", "Marketing", "Digital marketing", "Email Marketing",
        "Search Marketing", "App Marketing", "Ad Targeting", "Advertising Platforms", "Lead Generation",
        "Search engine", "Voice over IP", "Video sharing", "Online classifieds", "Mapping", "Chat", "SMS", "Cable",
        "Internet service provider", "Internet Service Providers", "Telecom",
    ),
    "Consumer Discretionary": (
        "E-Commerce", "Electronic commerce", "Online commerce", "Online Shopping", "Online auction", "Shopping",
        "Marketplaces", "Mobile Commerce", "Social Commerce", "Retail", "Fashion", "Apparel", "Consumer Electronics",
        "Travel", "Travel & Tourism", "Hotels", "Hospitality", "Restaurants", "Education", "EdTech", "Automotive",
        "Sports", "Fitness", "Coupons", "Lifestyle", "Events", "Gadgets", "Cars", "Auctions", "Auction house",
        "Discounts", "Gift Card", "Social Buying", "Deals",
    ),
    "Consumer Staples": ("Consumer Goods", "Food Processing", "Groceries", "Beverages", "Personal care", "Specialty Foods",
                         "Food"),
    "Health Care": (
        "Biotechnology", "Health Care", "Healthcare Services", "Health and Wellness", "Medical", "Medical Devices",
        "Pharmaceuticals", "Health Diagnostics", "Hospitals", "Health Care Information Technology", "Health care",
        "Life Sciences", "Bio-Pharm", "Medical equipment", "Diagnostics",
    ),
    "Financials": (
        "Finance", "Financial Services", "FinTech", "Banking", "Insurance", "Investment Management", "Payments",
        "Mobile Payments", "Risk Management", "Venture Capital", "Lending", "Asset Management", "Trading",
        "Finance Technology", "E-commerce payment systems",
    ),
    "Industrials": (
        "Manufacturing", "Business Services", "Human Resources", "Recruiting", "Logistics",
        "Transportation", "Construction", "Industrial", "Outsourcing", "Training", "Aerospace",
        "Defense", "Printing", "Shipping", "Package delivery", "Engineering Firms", "Legal", "Market Research",
    ),
    "Energy": ("Oil and Gas", "Oil & Gas", "Oil"),
    "Utilities": ("Utilities", "Renewable Energies", "Solar", "Clean Energy"),
    "Real Estate": ("Real Estate", "Commercial Real Estate", "Property Management"),
}  # fmt: skip


def _key(text: str) -> str:
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9+]+", " ", text).split())


_GICS: dict[str, str] = {}
for _sector, _groups in HIERARCHY.items():
    _GICS[_key(_sector)] = _sector
    for _group, _industries in _groups.items():
        _GICS.setdefault(_key(_group), _sector)
        for _industry, _subs in _industries.items():
            _GICS.setdefault(_key(_industry), _sector)
            for _sub in _subs:
                _GICS.setdefault(_key(_sub), _sector)
for _name, _sector in RETIRED.items():
    _GICS.setdefault(_key(_name), _sector)
_TERMS: dict[str, str] = {_key(t): s for s, terms in TERMS.items() for t in terms}
# Heads too broad to decide a longer phrase: "Clean Technology", "Solar Energy", "Home Security".
_WHOLE_CELL_ONLY = frozenset({"technology", "energy", "security", "infrastructure", "services"})
# Trailing words that say what kind of business, not which: "Advertising solutions", "Printing service".
_GENERIC_TAIL = frozenset({"solution", "solutions", "service", "services", "company", "companies", "firm", "firms",
                           "product", "products", "platform", "platforms", "provider", "providers", "system",
                           "systems", "tools", "business", "businesses", "startup", "technology", "technologies"})
_SECTORS = {_key(s): s for s in GICS_SECTORS} | {"healthcare": "Health Care", "it": "Information Technology",
                                                  "telecommunication services": "Communication Services"}  # fmt: skip
assert set(HIERARCHY) == set(GICS_SECTORS) and set(TERMS) <= set(GICS_SECTORS)


def canonical_sector(text: str | None) -> str | None:
    """A GICS sector name in its usual spelling (``health care`` -> ``Health Care``); None otherwise."""
    return _SECTORS.get(_key(text)) if text else None


def sector_of_gics(name: str | None) -> str | None:
    """The sector of a GICS sub-industry, industry or industry group (any case); None when not GICS."""
    return _GICS.get(_key(name)) if name else None


def sector_of_term(text: str | None) -> str | None:
    """The sector of a GICS name or another industry term; None when the tables do not say.

    A phrase not in the tables is read by its head noun: words that only say what kind of
    business (``solutions``, ``service``, ``company``) are dropped from its end, then leading
    words one by one: ``Computer software`` is ``software``, ``Advertising solutions`` is
    ``advertising``. Bracketed text and what follows "for" are ignored."""
    if not text:
        return None
    # "Titling software for film and video": the head comes before "for".
    text = re.split(r"\s+for\s+", re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text), maxsplit=1)[0]
    words = _key(text).split()
    while len(words) > 1 and words[-1] in _GENERIC_TAIL:
        whole = _GICS.get(" ".join(words)) or _TERMS.get(" ".join(words))
        if whole:
            return whole
        words = words[:-1]
    for start in range(len(words)):  # the whole phrase, then shorter and shorter endings
        key = " ".join(words[start:])
        if start and key in _WHOLE_CELL_ONLY:
            break
        sector = _GICS.get(key) or _TERMS.get(key)
        if sector:
            return sector
    return None


def sector_of_terms(terms: Iterable[str]) -> str | None:
    """The sector most of the terms point to (categories are often listed alphabetically, so
    order says nothing); None when none maps or two sectors tie."""
    counts = Counter(s for s in map(sector_of_term, terms) if s)
    if not counts:
        return None
    (best, n), *rest = counts.most_common()
    return None if rest and rest[0][1] == n else best
