"""Country names in a request, as the two-letter codes a data column holds ("guests from Germany" on a
`country` column of DE, FR, UK). A table of names is world knowledge the sample cannot show: it holds the
codes, the request the names."""

from __future__ import annotations

import re

# ISO 3166-1 alpha-2 codes by the names people write; "uk" is also a code data often uses for GB
_NAMES = {
    "afghanistan": "AF", "albania": "AL", "algeria": "DZ", "argentina": "AR", "armenia": "AM", "australia": "AU",
    "austria": "AT", "azerbaijan": "AZ", "bangladesh": "BD", "belarus": "BY", "belgium": "BE", "bolivia": "BO",
    "bosnia": "BA", "brazil": "BR", "bulgaria": "BG", "cambodia": "KH", "cameroon": "CM", "canada": "CA",
    "chile": "CL", "china": "CN", "colombia": "CO", "costa rica": "CR", "croatia": "HR", "cuba": "CU",
    "cyprus": "CY", "czechia": "CZ", "czech republic": "CZ", "denmark": "DK", "dominican republic": "DO",
    "ecuador": "EC", "egypt": "EG", "estonia": "EE", "ethiopia": "ET", "finland": "FI", "france": "FR",
    "georgia": "GE", "germany": "DE", "ghana": "GH", "greece": "GR", "guatemala": "GT", "hong kong": "HK",
    "hungary": "HU", "iceland": "IS", "india": "IN", "indonesia": "ID", "iran": "IR", "iraq": "IQ",
    "ireland": "IE", "israel": "IL", "italy": "IT", "japan": "JP", "jordan": "JO", "kazakhstan": "KZ",
    "kenya": "KE", "korea": "KR", "south korea": "KR", "north korea": "KP", "kuwait": "KW", "latvia": "LV",
    "lebanon": "LB", "lithuania": "LT", "luxembourg": "LU", "malaysia": "MY", "malta": "MT", "mexico": "MX",
    "moldova": "MD", "morocco": "MA", "nepal": "NP", "netherlands": "NL", "the netherlands": "NL", "holland": "NL",
    "new zealand": "NZ", "nigeria": "NG", "norway": "NO", "pakistan": "PK", "panama": "PA", "paraguay": "PY",
    "peru": "PE", "philippines": "PH", "poland": "PL", "portugal": "PT", "qatar": "QA", "romania": "RO",
    "russia": "RU", "saudi arabia": "SA", "serbia": "RS", "singapore": "SG", "slovakia": "SK", "slovenia": "SI",
    "south africa": "ZA", "spain": "ES", "sri lanka": "LK", "sweden": "SE", "switzerland": "CH", "syria": "SY",
    "taiwan": "TW", "tanzania": "TZ", "thailand": "TH", "tunisia": "TN", "turkey": "TR", "türkiye": "TR",
    "uganda": "UG", "ukraine": "UA", "united arab emirates": "AE", "uae": "AE", "uruguay": "UY",
    "uzbekistan": "UZ", "venezuela": "VE", "vietnam": "VN", "viet nam": "VN", "zimbabwe": "ZW",
    "united kingdom": "GB", "great britain": "GB", "britain": "GB", "uk": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "united states": "US", "united states of america": "US", "usa": "US", "america": "US",
}
# a nationality names the country only before a word for people ("French guests"; "French reviews" are in French)
_PEOPLE = ("guests|customers|users|visitors|travell?ers|tourists|people|buyers|clients|residents|citizens|players|"
           "students|patients|authors|reviewers|respondents|speakers|nationals|shoppers|members|employees|staff|"
           "compan(?:y|ies)|firms?|employers?|businesses|brands?|suppliers?|vendors?|startups?|teams?")
_DEMONYMS = {
    "american": "US", "british": "GB", "english": "GB", "scottish": "GB", "welsh": "GB", "irish": "IE",
    "french": "FR", "german": "DE", "italian": "IT", "spanish": "ES", "portuguese": "PT", "dutch": "NL",
    "belgian": "BE", "swiss": "CH", "austrian": "AT", "swedish": "SE", "norwegian": "NO", "danish": "DK",
    "finnish": "FI", "polish": "PL", "czech": "CZ", "greek": "GR", "turkish": "TR", "russian": "RU",
    "ukrainian": "UA", "canadian": "CA", "mexican": "MX", "brazilian": "BR", "argentinian": "AR",
    "australian": "AU", "chinese": "CN", "japanese": "JP", "korean": "KR", "indian": "IN", "israeli": "IL",
}
# codes that data uses besides ISO's own (the UK's "UK", Greece's "EL" in EU statistics)
_ALSO = {"GB": ("UK",), "GR": ("EL",)}
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _NAMES), key=len, reverse=True)) + r")(?![\w-])"
                      r"|(?<![\w-])(" + "|".join(_DEMONYMS) + rf")(?:(?:,\s*|\s+(?:and|or)\s+)[a-z]+)*\s+(?:{_PEOPLE})\b", re.I)


def country_codes(text: str, codes: set[str]) -> list[str]:
    """The codes among `codes` (as the data writes them) of the countries `text` names, in the text's order."""
    by_case = {c.upper(): c for c in codes}
    out: list[str] = []
    for m in _PATTERN.finditer(text):
        names = [_NAMES[m[1].lower()]] if m[1] else \
            [_DEMONYMS[w.lower()] for w in re.findall(r"[a-z]+", m[0], re.I) if w.lower() in _DEMONYMS]
        for iso in names:  # ("French, German or Italian guests": each of them)
            for code in (iso, *_ALSO.get(iso, ())):
                if code in by_case and by_case[code] not in out:
                    out.append(by_case[code])
                    break
    return out


def named_countries(text: str) -> list[str]:
    """The ISO codes of the countries `text` names, by name or by a nationality before a word for people or
    companies ("Canadian or Japanese companies"), in the text's order."""
    out: list[str] = []
    for m in _PATTERN.finditer(text):
        names = [_NAMES[m[1].lower()]] if m[1] else \
            [_DEMONYMS[w.lower()] for w in re.findall(r"[a-z]+", m[0], re.I) if w.lower() in _DEMONYMS]
        out += [iso for iso in names if iso not in out]
    return out


def country_values(text: str, values: set[str]) -> list[str]:
    """The values among `values` (country names as the data writes them: "Canada", "japan ") of the countries
    `text` names, in the text's order."""
    by_iso: dict[str, str] = {}
    for v in sorted(values):
        if (iso := _NAMES.get(v.strip().lower())) is not None:
            by_iso.setdefault(iso, v)
    return [by_iso[iso] for iso in named_countries(text) if iso in by_iso]


def looks_like_country_names(values: set[str]) -> bool:
    """Country names: most values (at least two) names of countries."""
    known = [v for v in values if v.strip().lower() in _NAMES]
    return len(known) >= 2 and len(known) >= 0.8 * len([v for v in values if v.strip()])


def without_countries(text: str) -> str:
    """The text with the countries it names (and the people a nationality describes) blanked."""
    return _PATTERN.sub(" ", text)


def looks_like_codes(values: set[str]) -> bool:
    """Two-letter country codes: every value two letters, and most of them known codes."""
    known = set(_NAMES.values()) | {c for v in _ALSO.values() for c in v}
    return bool(values) and all(re.fullmatch(r"[A-Za-z]{2}", v) for v in values) and \
        sum(v.upper() in known for v in values) >= 0.8 * len(values)
