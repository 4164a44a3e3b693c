"""Fixed vocabularies of the demo universe: sectors, countries, name parts, banks, sponsors.

Every name here is invented. Brand names are built from syllables rather than dictionary
words so that they do not collide with real issuers.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.domain import GICS_SECTORS, REGIONS


@dataclass(frozen=True)
class SectorProfile:
    name: str
    weight: float
    industries: tuple[tuple[str, str], ...]  # (industry, sub-industry)
    margin_mean: float  # EBITDA margin, %
    margin_sd: float
    growth_mean: float  # revenue growth, %
    ev_ebitda: float  # typical trading multiple
    ev_revenue: float  # used when EBITDA is not meaningful
    leverage_mean: float  # net debt / EBITDA for a listed, non-sponsor company
    da_pct: float  # depreciation and amortisation, % of revenue
    revenue_per_employee: float  # USD m
    payout_share: float  # share of listed profitable companies that pay dividends
    descriptors: tuple[str, ...]  # second word of company names
    risks: tuple[str, ...]  # 10-K risk factor headings specific to the sector


SECTORS: tuple[SectorProfile, ...] = (
    SectorProfile(
        "Communication Services", 0.06,
        (("Diversified Telecommunication Services", "Integrated Telecommunication Services"),
         ("Wireless Telecommunication Services", "Wireless Telecommunication Services"),
         ("Media", "Broadcasting"), ("Media", "Publishing"),
         ("Entertainment", "Movies & Entertainment"),
         ("Interactive Media & Services", "Interactive Media & Services")),
        28.0, 9.0, 4.0, 8.5, 2.2, 2.6, 9.0, 0.35, 0.45,
        ("Media", "Networks", "Telecom", "Broadcasting", "Studios", "Digital", "Connect",
         "Communications", "Interactive", "Wireless"),
        ("Subscriber churn and pricing pressure from competing networks and platforms",
         "Spectrum auctions and licence renewals may require significant capital",
         "Changes in advertising spending could reduce our revenue"),
    ),
    SectorProfile(
        "Consumer Discretionary", 0.12,
        (("Automobiles", "Automobile Manufacturers"), ("Automobile Components", "Automotive Parts & Equipment"),
         ("Hotels, Restaurants & Leisure", "Restaurants"), ("Hotels, Restaurants & Leisure", "Hotels, Resorts & Cruise Lines"),
         ("Specialty Retail", "Apparel Retail"), ("Textiles, Apparel & Luxury Goods", "Apparel, Accessories & Luxury Goods"),
         ("Household Durables", "Homebuilding"), ("Leisure Products", "Leisure Products")),
        14.0, 6.0, 6.0, 9.5, 1.2, 2.0, 3.5, 0.2, 0.35,
        ("Brands", "Motors", "Retail", "Living", "Leisure", "Hospitality", "Outfitters",
         "Homes", "Apparel", "Automotive"),
        ("Consumer spending is sensitive to economic conditions and interest rates",
         "Our brands may lose appeal as fashion and consumer preferences change",
         "Disruption at our suppliers or distribution centres could affect sales"),
    ),
    SectorProfile(
        "Consumer Staples", 0.07,
        (("Food Products", "Packaged Foods & Meats"), ("Beverages", "Soft Drinks & Non-alcoholic Beverages"),
         ("Beverages", "Brewers"), ("Household Products", "Household Products"),
         ("Personal Care Products", "Personal Care Products"), ("Consumer Staples Distribution & Retail", "Food Retail")),
        16.0, 5.0, 3.5, 11.5, 1.8, 2.6, 2.5, 0.2, 0.6,
        ("Foods", "Beverages", "Farms", "Consumer", "Nutrition", "Brewing", "Provisions",
         "Household", "Grocers", "Dairy"),
        ("Volatility in commodity and packaging costs could compress our margins",
         "Retailer consolidation increases the bargaining power of our customers",
         "Product recalls or contamination could damage our reputation"),
    ),
    SectorProfile(
        "Energy", 0.07,
        (("Oil, Gas & Consumable Fuels", "Integrated Oil & Gas"),
         ("Oil, Gas & Consumable Fuels", "Oil & Gas Exploration & Production"),
         ("Oil, Gas & Consumable Fuels", "Oil & Gas Storage & Transportation"),
         ("Oil, Gas & Consumable Fuels", "Oil & Gas Refining & Marketing"),
         ("Energy Equipment & Services", "Oil & Gas Equipment & Services"),
         ("Energy Equipment & Services", "Oil & Gas Drilling")),
        30.0, 10.0, 2.0, 5.5, 1.6, 1.6, 6.0, 0.45, 1.8,
        ("Energy", "Petroleum", "Resources", "Midstream", "Drilling", "Offshore", "Fuels",
         "Hydrocarbons", "Pipelines", "Oilfield Services"),
        ("Oil and natural gas prices are volatile and affect our cash flows",
         "Our reserves estimates involve uncertainty and may be revised",
         "Climate regulation could increase our costs and reduce demand for our products"),
    ),
    SectorProfile(
        "Financials", 0.10,
        (("Banks", "Regional Banks"), ("Banks", "Diversified Banks"), ("Insurance", "Property & Casualty Insurance"),
         ("Insurance", "Life & Health Insurance"), ("Capital Markets", "Asset Management & Custody Banks"),
         ("Financial Services", "Transaction & Payment Processing Services"), ("Consumer Finance", "Consumer Finance")),
        35.0, 10.0, 5.0, 9.0, 3.0, 1.5, 7.0, 0.1, 0.6,
        ("Financial", "Capital", "Bancorp", "Assurance", "Payments", "Trust", "Insurance",
         "Asset Management", "Credit", "Holdings"),
        ("Changes in interest rates could reduce our net interest margin",
         "Credit losses may exceed our allowances",
         "We are subject to extensive regulation and capital requirements"),
    ),
    SectorProfile(
        "Health Care", 0.11,
        (("Pharmaceuticals", "Pharmaceuticals"), ("Biotechnology", "Biotechnology"),
         ("Health Care Equipment & Supplies", "Health Care Equipment"),
         ("Health Care Providers & Services", "Health Care Facilities"),
         ("Health Care Providers & Services", "Health Care Services"),
         ("Life Sciences Tools & Services", "Life Sciences Tools & Services")),
        22.0, 12.0, 8.0, 13.5, 3.5, 1.8, 4.0, 0.35, 0.4,
        ("Therapeutics", "Pharma", "Medical", "Biosciences", "Health", "Diagnostics",
         "Life Sciences", "Surgical", "Care", "Genomics"),
        ("Clinical trials may fail or be delayed",
         "Pricing pressure from payers and governments could reduce our revenue",
         "Loss of patent protection would expose our products to generic competition"),
    ),
    SectorProfile(
        "Industrials", 0.16,
        (("Aerospace & Defense", "Aerospace & Defense"), ("Machinery", "Industrial Machinery & Supplies & Components"),
         ("Building Products", "Building Products"), ("Electrical Equipment", "Electrical Components & Equipment"),
         ("Commercial Services & Supplies", "Environmental & Facilities Services"),
         ("Ground Transportation", "Cargo Ground Transportation"), ("Air Freight & Logistics", "Air Freight & Logistics"),
         ("Construction & Engineering", "Construction & Engineering")),
        15.0, 5.0, 5.0, 11.0, 1.5, 2.3, 3.0, 0.3, 0.5,
        ("Industries", "Systems", "Engineering", "Aerospace", "Logistics", "Machinery",
         "Automation", "Building Products", "Infrastructure", "Controls"),
        ("Cyclical demand in our end markets could reduce orders and backlog",
         "Fixed-price contracts expose us to cost overruns",
         "Supply chain disruption could delay deliveries and increase costs"),
    ),
    SectorProfile(
        "Information Technology", 0.15,
        (("Software", "Application Software"), ("Software", "Systems Software"),
         ("IT Services", "IT Consulting & Other Services"), ("Semiconductors & Semiconductor Equipment", "Semiconductors"),
         ("Semiconductors & Semiconductor Equipment", "Semiconductor Materials & Equipment"),
         ("Communications Equipment", "Communications Equipment"),
         ("Electronic Equipment, Instruments & Components", "Electronic Components")),
        24.0, 14.0, 12.0, 17.0, 4.5, 0.8, 3.5, 0.15, 0.25,
        ("Software", "Computing", "Technologies", "Data", "Semiconductor", "Photonics",
         "Analytics", "Cloud", "Cyber", "Micro"),
        ("Rapid technological change could make our products obsolete",
         "Security breaches could harm our reputation and expose us to liability",
         "Our growth depends on retaining customers and expanding subscriptions"),
    ),
    SectorProfile(
        "Materials", 0.07,
        (("Chemicals", "Specialty Chemicals"), ("Chemicals", "Commodity Chemicals"),
         ("Metals & Mining", "Diversified Metals & Mining"), ("Metals & Mining", "Steel"),
         ("Containers & Packaging", "Paper & Plastic Packaging Products & Materials"),
         ("Construction Materials", "Construction Materials")),
        18.0, 6.0, 3.0, 8.0, 1.5, 2.2, 5.0, 0.35, 0.9,
        ("Chemicals", "Materials", "Metals", "Minerals", "Packaging", "Polymers", "Mining",
         "Coatings", "Alloys", "Cement"),
        ("Raw material and energy costs are volatile",
         "Environmental liabilities from current and former sites could be significant",
         "Overcapacity in our industry may depress prices"),
    ),
    SectorProfile(
        "Real Estate", 0.05,
        (("Equity Real Estate Investment Trusts (REITs)", "Industrial REITs"),
         ("Equity Real Estate Investment Trusts (REITs)", "Office REITs"),
         ("Equity Real Estate Investment Trusts (REITs)", "Residential REITs"),
         ("Real Estate Management & Development", "Real Estate Development"),
         ("Real Estate Management & Development", "Real Estate Services")),
        55.0, 10.0, 4.0, 18.0, 9.0, 6.0, 5.0, 0.05, 0.85,
        ("Properties", "Realty", "Estates", "REIT", "Land", "Residential", "Logistics Parks",
         "Development", "Real Estate", "Communities"),
        ("Rising interest rates could increase our cost of capital and reduce property values",
         "Tenant defaults or vacancies could reduce our rental income",
         "We depend on access to the capital markets to refinance maturing debt"),
    ),
    SectorProfile(
        "Utilities", 0.04,
        (("Electric Utilities", "Electric Utilities"), ("Gas Utilities", "Gas Utilities"),
         ("Multi-Utilities", "Multi-Utilities"), ("Water Utilities", "Water Utilities"),
         ("Independent Power and Renewable Electricity Producers", "Renewable Electricity")),
        35.0, 7.0, 3.0, 10.5, 3.2, 5.0, 3.0, 0.4, 0.9,
        ("Power", "Hydro", "Utilities", "Electric", "Renewables", "Water", "Gas",
         "Grid", "Generation", "Solar"),
        ("Rate cases may not allow us to recover our costs",
         "Severe weather could damage our networks and disrupt service",
         "Our capital programme depends on access to financing at reasonable cost"),
    ),
)
assert tuple(s.name for s in SECTORS) == GICS_SECTORS


@dataclass(frozen=True)
class CountryProfile:
    name: str
    region: str
    currency: str
    weight: float
    exchange: str
    adjective: str
    cities: tuple[str, ...]
    listed_forms: tuple[str, ...]
    private_forms: tuple[str, ...]


COUNTRIES: tuple[CountryProfile, ...] = (
    CountryProfile("United States", "North America", "USD", 0.38, "NYSE", "US",
                   ("New York", "Chicago", "Houston", "Boston", "Atlanta", "Dallas", "Denver", "San Jose"),
                   ("Inc.", "Corp.", "Holdings Inc."), ("LLC", "Inc.", "Holdings LLC")),
    CountryProfile("Canada", "North America", "CAD", 0.04, "TSX", "Canadian",
                   ("Toronto", "Calgary", "Vancouver", "Montreal"), ("Inc.", "Ltd."), ("Inc.", "ULC")),
    CountryProfile("United Kingdom", "Europe", "GBP", 0.07, "LSE", "UK",
                   ("London", "Manchester", "Edinburgh", "Leeds"), ("plc", "Group plc"), ("Ltd", "Group Ltd")),
    CountryProfile("Germany", "Europe", "EUR", 0.05, "Xetra", "German",
                   ("Frankfurt", "Munich", "Hamburg", "Stuttgart", "Düsseldorf"), ("AG", "SE"), ("GmbH", "GmbH & Co. KG")),
    CountryProfile("France", "Europe", "EUR", 0.045, "Euronext Paris", "French",
                   ("Paris", "Lyon", "Toulouse", "Lille"), ("SA", "SE"), ("SAS",)),
    CountryProfile("Netherlands", "Europe", "EUR", 0.02, "Euronext Amsterdam", "Dutch",
                   ("Amsterdam", "Rotterdam", "Eindhoven"), ("N.V.",), ("B.V.",)),
    CountryProfile("Switzerland", "Europe", "CHF", 0.02, "SIX", "Swiss",
                   ("Zurich", "Geneva", "Basel"), ("AG", "SA"), ("AG", "GmbH")),
    CountryProfile("Sweden", "Europe", "SEK", 0.015, "Nasdaq Stockholm", "Swedish",
                   ("Stockholm", "Gothenburg", "Malmö"), ("AB (publ)",), ("AB",)),
    CountryProfile("Spain", "Europe", "EUR", 0.015, "BME", "Spanish",
                   ("Madrid", "Barcelona", "Bilbao"), ("S.A.",), ("S.L.",)),
    CountryProfile("Italy", "Europe", "EUR", 0.015, "Euronext Milan", "Italian",
                   ("Milan", "Turin", "Rome", "Bologna"), ("S.p.A.",), ("S.r.l.",)),
    CountryProfile("Japan", "Asia Pacific", "JPY", 0.07, "TSE", "Japanese",
                   ("Tokyo", "Osaka", "Nagoya", "Yokohama"), ("Corporation", "Holdings Co., Ltd."), ("Co., Ltd.", "K.K.")),
    CountryProfile("China", "Asia Pacific", "CNY", 0.05, "HKEX", "Chinese",
                   ("Shanghai", "Shenzhen", "Beijing", "Hangzhou"), ("Group Co., Ltd.", "Holdings Ltd."), ("Co., Ltd.",)),
    CountryProfile("Australia", "Asia Pacific", "AUD", 0.03, "ASX", "Australian",
                   ("Sydney", "Melbourne", "Perth", "Brisbane"), ("Limited", "Group Limited"), ("Pty Ltd",)),
    CountryProfile("India", "Asia Pacific", "INR", 0.035, "NSE", "Indian",
                   ("Mumbai", "Bengaluru", "New Delhi", "Hyderabad", "Pune"), ("Limited",), ("Private Limited",)),
    CountryProfile("South Korea", "Asia Pacific", "KRW", 0.02, "KRX", "Korean",
                   ("Seoul", "Busan", "Incheon"), ("Co., Ltd.", "Corporation"), ("Co., Ltd.",)),
    CountryProfile("Singapore", "Asia Pacific", "SGD", 0.015, "SGX", "Singaporean",
                   ("Singapore",), ("Limited", "Holdings Ltd"), ("Pte. Ltd.",)),
    CountryProfile("Brazil", "Latin America", "BRL", 0.025, "B3", "Brazilian",
                   ("São Paulo", "Rio de Janeiro", "Curitiba", "Belo Horizonte"), ("S.A.",), ("Ltda.",)),
    CountryProfile("Mexico", "Latin America", "MXN", 0.015, "BMV", "Mexican",
                   ("Mexico City", "Monterrey", "Guadalajara"), ("S.A.B. de C.V.",), ("S.A. de C.V.",)),
    CountryProfile("Chile", "Latin America", "CLP", 0.008, "Santiago Exchange", "Chilean",
                   ("Santiago", "Valparaíso"), ("S.A.",), ("SpA",)),
    CountryProfile("United Arab Emirates", "Middle East & Africa", "AED", 0.012, "ADX", "Emirati",
                   ("Dubai", "Abu Dhabi"), ("PJSC",), ("LLC",)),
    CountryProfile("Saudi Arabia", "Middle East & Africa", "SAR", 0.012, "Tadawul", "Saudi",
                   ("Riyadh", "Jeddah", "Dammam"), ("Company",), ("LLC",)),
    CountryProfile("South Africa", "Middle East & Africa", "ZAR", 0.012, "JSE", "South African",
                   ("Johannesburg", "Cape Town", "Durban"), ("Limited",), ("(Pty) Ltd",)),
)
assert {c.region for c in COUNTRIES} == set(REGIONS)

# Units of local currency per USD, fixed so that local sizes are deterministic.
FX_PER_USD = {
    "USD": 1.0, "CAD": 1.37, "GBP": 0.78, "EUR": 0.91, "CHF": 0.86, "SEK": 10.4, "JPY": 148.0,
    "CNY": 7.2, "AUD": 1.52, "INR": 84.0, "KRW": 1370.0, "SGD": 1.34, "BRL": 5.4, "MXN": 18.5,
    "CLP": 930.0, "AED": 3.6725, "SAR": 3.75, "ZAR": 18.1,
}  # fmt: skip

BRAND_HEADS = (
    "Ab", "Al", "Alt", "Am", "Ar", "Aur", "Bal", "Bel", "Bor", "Bra", "Cal", "Cam", "Car", "Cel",
    "Cor", "Cres", "Dal", "Del", "Dor", "El", "Em", "Er", "Fal", "Fen", "Gal", "Gar", "Hal", "Hel",
    "Ist", "Jar", "Kal", "Kor", "Lan", "Lor", "Lum", "Mar", "Mer", "Mor", "Nav", "Nor", "Ol", "Or",
    "Pal", "Pel", "Quan", "Ral", "Ren", "Ros", "Sal", "Sel", "Sol", "Tal", "Tor", "Tre", "Ul", "Val",
    "Vel", "Ven", "Vor", "Wen", "Xan", "Yar", "Zan", "Zer", "Bren", "Cas", "Dun", "Fair", "Glen",
    "Hart", "Kest", "Lind", "Mal", "Ost", "Pren", "Quil", "Rav", "Stra", "Thal", "Wex",
)  # fmt: skip
BRAND_TAILS = (
    "ara", "ora", "ena", "ia", "ix", "on", "ex", "is", "ant", "ent", "iva", "ada", "ano",
    "eon", "ium", "yn", "eth", "ar", "or", "ane", "ine", "ova", "ura", "ella", "ton", "ley", "wick",
    "ford", "more", "brook", "stone", "field", "gate", "crest", "ridge", "haven", "mont", "vale",
    "wood", "point", "bridge", "mark", "line", "sight", "well", "port", "reach", "star", "peak",
)  # fmt: skip
# Prefixes that keep names unique once a sector's brand x descriptor space is used up.
NAME_QUALIFIERS = ("Pacific", "Atlantic", "Northern", "Southern", "Central", "Western", "Eastern",
                   "Continental", "Global", "United", "First", "New")

BLOCKED_BRANDS = frozenset({"Alton", "Cardinal", "Oracle", "Xerox", "Ambev", "Vale"})

BANKS = (
    "Aldgate Brothers", "Meridian Crest Securities", "Harborview Capital Markets", "Northgate & Co.",
    "Stirling Parke", "Blackwater Sterling", "Corran Hale", "Lindqvist Bank", "Kestrel Lane Partners",
    "Ashford Whitcombe", "Tamsin & Rowe", "Ridgeway Morrow", "Caldera Bank", "Vantage Hollis",
    "Pemberton Frost", "Orsini Capital", "Marlow Shaw Securities", "Halvorsen Kraft", "Sakura Minato Securities",
    "Bellweather Strand",
)  # fmt: skip

SPONSORS = (
    "Harbor Point Capital", "Granary Row Partners", "Silverfell Equity", "Calloway Ridge Capital",
    "Northstone Partners", "Ironbark Capital", "Tidewater Equity Partners", "Amberlane Capital",
    "Redmere Partners", "Ossington Equity", "Blue Heron Capital", "Keswick Hill Partners",
    "Marbury Equity", "Larchmont Capital", "Westerly Partners", "Crowsnest Capital",
    "Thornbury Equity", "Highmoor Partners", "Saltmarsh Capital", "Evenlode Partners",
    "Quarry Lane Capital", "Alderwood Equity",
)  # fmt: skip

FIRST_NAMES = ("Anna", "David", "Maria", "James", "Sofia", "Daniel", "Priya", "Thomas", "Laura",
               "Kenji", "Elena", "Marcus", "Chloe", "Rafael", "Hannah", "Oliver", "Mei", "Lucas",
               "Amira", "Peter", "Ingrid", "Samuel", "Nadia", "Henrik")
LAST_NAMES = ("Hollander", "Okafor", "Lindgren", "Brennan", "Castillo", "Whitfield", "Nakamura",
              "Ferreira", "Albright", "Kovac", "Marchetti", "Dunmore", "Sato", "Rahman", "Eriksen",
              "Delacroix", "Pryce", "Haldane", "Moreau", "Quigley", "Varga", "Osei", "Tanaka", "Wren")
