"""Rule checks: the measurable part of a checklist rule, tested on a clause without a model.

A checklist rule may name what can be measured in the clause it judges, after its severity::

    9. R-09 Automatic renewal (category: Renewal Term, severity: medium, check: renewal term at
       most 1 year). Automatic renewal is acceptable only for renewal terms of one year or less.

A check is one of:
- ``MEASURE at most N UNIT`` or ``MEASURE at least N UNIT``, for a duration (hours, days,
  weeks, months, years; 12 months are a year, 365 days too);
- ``MEASURE one of A | B | C``, for a place;
- ``no MEASURE``, for something the clause must not say.

Several checks are separated by ``;``. ``MEASURES`` lists the measures and what each reads. A
measure reads the clause sentence by sentence with patterns over its wording ("renew for
successive terms of two (2) years", "notice ... at least 180 days before the end of the term");
"the company" is the buyer (Customer, Client, Buyer, Purchaser, Licensee), "the supplier" the
other side (Supplier, Vendor, Provider, Contractor, Seller, Consultant, Licensor).

The verifier runs a judged clause's checks on the text the model saw: when a measured value
breaks a check and the model did not call the clause a violation, the answer is escalated, and
the reason names the rule and the value. A check whose measure is not in the clause passes, so
the model's judgement stands where the patterns see nothing. The checks only ever add doubt;
they never make a clause compliant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hybridgraph.errors import ConfigError

__all__ = ["MEASURES", "RuleCheck", "durations", "measures_hint", "parse_checks", "read_all", "reads"]

# -- durations ------------------------------------------------------------------------------

_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365 / 12, "year": 365.0}
_UNIT = r"(?:calendar\s+|business\s+|working\s+)?(?P<unit>hours?|days?|weeks?|months?|years?)\b"
_SMALL = {
    w: i
    for i, w in enumerate(
        re.findall(
            r"\w+",
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen",
        )
    )
}
_TENS = {
    w: 10 * (i + 2) for i, w in enumerate(re.findall(r"\w+", "twenty thirty forty fifty sixty seventy eighty ninety"))
}
_WORD = "|".join([*_SMALL, *_TENS, "hundred"])
_WORDS = rf"(?:{_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_WORD})){{0,4}}"  # bounded: "one hundred and eighty"
#: "one hundred and eighty (180) days", "90 days", "twelve-month", "two (2) years", "sixty days"
_DURATION = re.compile(
    rf"(?i)(?:(?:\b{_WORDS}\s*)?\(\s*(?P<paren>\d{{1,4}})\s*\)|\b(?P<digits>\d{{1,4}})|\b(?P<words>{_WORDS}))"
    rf"[\s-]*{_UNIT}"
)


@dataclass(frozen=True)
class Duration:
    """A duration in a text: its length in days and where it is."""

    days: float
    start: int
    end: int
    text: str


def _number(words: str) -> int | None:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word in _SMALL:
            current += _SMALL[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word != "and":
            return None
    return total + current


def durations(text: str) -> list[Duration]:
    """Every duration in ``text`` ("thirty (30) days", "12 months", "two years", "twelve-month")."""
    found = []
    for m in _DURATION.finditer(text):
        number = int(m["paren"] or m["digits"]) if (m["paren"] or m["digits"]) else _number(m["words"])
        if number:
            unit = m["unit"].lower().rstrip("s")
            found.append(Duration(number * _DAYS[unit], m.start(), m.end(), " ".join(m.group(0).split())))
    return found


def _spoken(days: float) -> str:
    for unit in ("year", "month", "week", "day"):
        count = days / _DAYS[unit]
        if count >= 1 and abs(count - round(count)) < 0.02:
            n = round(count)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{days * 24:.0f} hours" if days < 1 else f"{days:.0f} days"


# -- sentences and the words around a duration ---------------------------------------------------

_Q = "'\u2019"  # an apostrophe, straight or curly
_SPLIT = re.compile(r"(?<=[.;!?])\s+(?=\S)|\n\s*\n")
_BUYER = r"\b(?:Customer|Client|Buyer|Purchaser|Licensee)\b"
_SUPPLIER = r"\b(?:Supplier|Vendor|(?:Service\s+)?Provider|Contractor|Seller|Consultant|Licensor)\b"
_AFTER_DURATION = rf"(?i)^[\s{_Q})]*(?:s\b)?[\s{_Q})]*(?:prior\s+|advance\s+)?(?:written\s+)?"  # "days' written ..."
_NOTICE_AFTER = re.compile(_AFTER_DURATION + r"(?:notice|prior\b|before\b|in\s+advance|preceding\b)")
_NOTICE_WORD = re.compile(_AFTER_DURATION + "notice")
_NOTICE_BEFORE = re.compile(r"(?i)\bnotice\b(?:(?!(?<!non-)\brenew|\bterm\b|\bfor\b)[^.;]){0,45}$")
_NEGATED = re.compile(r"(?i)\b(?:without|no|not|nor|free\s+of|waive[sd]?)\b[^.;]{0,60}$")
_BEFORE = 80  # characters before a word that its context is looked for in


def _sentences(text: str) -> Iterator[str]:
    yield from (s for s in _SPLIT.split(text) if s.strip())


def _is_notice(sentence: str, d: Duration, after: re.Pattern[str] = _NOTICE_AFTER) -> bool:
    """Is ``d`` a notice period ("90 days' written notice", "notice of at least 60 days", "30 days before")?"""
    return bool(after.match(sentence[d.end : d.end + 40]) or _NOTICE_BEFORE.search(_left(sentence, d.start)))


def _is_notice_period(sentence: str, d: Duration) -> bool:
    """Is ``d`` a period of notice, the word "notice" itself ("90 days' notice"; not "2 years prior")?"""
    return _is_notice(sentence, d, _NOTICE_WORD)


def _left(sentence: str, at: int) -> str:
    return sentence[max(0, at - _BEFORE) : at]


def _says(pattern: str, sentence: str) -> bool:
    return re.search(pattern, sentence, re.IGNORECASE) is not None


def _unnegated(pattern: str, sentence: str) -> bool:
    """Does ``sentence`` say ``pattern``, not after "without", "no" or "not"?"""
    return any(not _NEGATED.search(_left(sentence, m.start())) for m in re.finditer(pattern, sentence, re.IGNORECASE))


# -- the measures -------------------------------------------------------------------------------


_RECURRING = re.compile(
    r"(?i)\b(?:(?P<year>(?:from\s+)?year[\s-]+to[\s-]+year|annual(?:ly)?|yearly)|(?P<month>month[\s-]+to[\s-]+month|monthly))\b"
)


def _renewal_term(s: str) -> list[float]:
    first = re.search(r"(?i)(?<!unless )\b(?:renew|extend|extension|automatic)", s)
    if first is None:
        return []
    terms: list[float] = []
    capped: list[float] = []  # "for up to another ten (10) years": a cap on the total, unless it is all there is
    for d in durations(s):
        if d.start <= first.start() or _is_notice(s, d) or _says(r"initial", s[max(0, d.start - 40) : d.start]):
            continue
        cap = _says(r"\b(?:total|aggregate|maximum|exceed|up\s+to|in\s+all)\W+(?:\w+\W+){0,2}$", _left(s, d.start))
        (capped if cap else terms).append(d.days)
    periods = [365.0 if m["year"] else _DAYS["month"] for m in _RECURRING.finditer(s) if m.start() > first.start()]
    return terms + periods or capped  # "renews from year to year", "continues on a monthly basis"


_TERM_END = (
    r"\brenew|\bextend|\bextension|\bexpir|\bautomatically\s+continue|"
    r"\bend\s+of\s+(?:the\s+|said\s+|such\s+|any\s+|each\s+)?(?:then[\s-]+current\s+|initial\s+|renewal\s+)*term"
)


def _renewal_notice(s: str) -> list[float]:
    stopping = _says(r"renew|\bextend|\bextension|terminat|\bcancel|not\s+to\s+continue", s)  # not a price notice
    return [d.days for d in durations(s) if _is_notice(s, d)] if stopping and _says(_TERM_END, s) else []


def _initial_term(s: str) -> list[float]:
    return [d.days for d in durations(s) if _says(r"\binitial\b", s[max(0, d.start - 40) : d.start])]


_MAY_END = r"[^.;]{0,30}\b(?:may|shall\s+be\s+entitled\s+to|has\s+the\s+right\s+to|can)\s+terminat"


def _convenience_notice(s: str) -> list[float]:
    if not (_says(r"\bterminat", s) and _says(r"convenience|without\s+cause|for\s+any\s+reason|for\s+no\s+reason", s)):
        return []
    if _says(_SUPPLIER + _MAY_END, s) and not _says(
        rf"(?:{_BUYER}|\b(?:either|each|both)\s+part(?:y|ies)){_MAY_END}", s
    ):
        return []  # the supplier's own right, not the company's
    return [d.days for d in durations(s) if _is_notice_period(s, d)]


def _cure_period(s: str) -> list[float]:
    if not _says(r"\b(?:cure[sd]?|remed(?:y|ied|ies))\b", s):
        return []
    return [d.days for d in durations(s) if _says(r"\b(?:cure[sd]?|remed\w*)\b[^.;]{0,60}$", s[: d.start])]


def _cap_period(s: str) -> list[float]:
    if not (_says(r"liabilit", s) and _says(r"exceed|limited\s+to|\bcap|greater\s+than|more\s+than", s)):
        return []
    if _says(rf"{_BUYER}[{_Q}]?s?\s+(?:[^.;]{{0,30}}\s)?liabilit", s) and not _says(
        rf"(?:{_SUPPLIER}|\b(?:either|each|neither)\s+party)[{_Q}]?s?\s+(?:[^.;]{{0,30}}\s)?liabilit", s
    ):
        return []  # the company's own cap
    fees = re.search(r"(?i)\b(?:fees|charges|amounts|sums|price)\b[^.;]{0,40}\b(?:paid|payable)\b", s)
    return [d.days for d in durations(s) if fees and 0 <= d.start - fees.end() <= 60][:1]  # the cap's period


def _audit_notice(s: str) -> list[float]:
    return [d.days for d in durations(s) if _is_notice_period(s, d)] if _says(r"\baudit|\binspect", s) else []


_ONCE = re.compile(
    r"(?i)\b(?:no|not)\s+(?:be\s+\w+\s+)?more\s+(?:often\s+)?than\s+once\s+(?:in\s+any\s+|in\s+each\s+|per\s+|every\s+|each\s+|a\s+"
    r"|during\s+any\s+|within\s+any\s+)?(?P<span>[^.;,]{0,30})"
)


def _audit_interval(s: str) -> list[float]:
    if not _says(r"\baudit|\binspect", s):
        return []
    out = []
    for m in _ONCE.finditer(s):
        found = durations(m["span"])
        bare = re.match(r"(?i)(?:calendar\s+|contract\s+)?(year|month|quarter)\b", m["span"])
        if found:
            out.append(found[0].days)
        elif bare:
            out.append({"year": 365.0, "month": _DAYS["month"], "quarter": 3 * _DAYS["month"]}[bare[1].lower()])
    return out


_DEMONYMS = {
    "english": "England",
    "german": "Germany",
    "swedish": "Sweden",
    "french": "France",
    "swiss": "Switzerland",
    "dutch": "Netherlands",
    "irish": "Ireland",
    "prc": "People's Republic of China",
}
_NAME = rf"(?P<name>[A-Z][\w.{_Q}-]*(?:\s+(?:and\s+|of\s+)?[A-Z][\w.{_Q}-]*)*)"
_REGION = r"(?i:State|Commonwealth|Province|Federal\s+Republic|Republic|Kingdom|Canton)\s+(?i:of)\s+"
_LAW_OF = re.compile(rf"\b(?i:laws?\s+(?:in\s+force\s+in|in|of)\s+(?:the\s+)?)(?:{_REGION})?{_NAME}")
_REGION_OF = re.compile(rf"\b{_REGION}{_NAME}")  # "the laws, other than ..., of the State of Florida"
_ADJ = r"(?P<name>[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+)?)\s+(?i:laws?)\b"  # "English law", "New York law"
_ADJ_LAW = re.compile(rf"\b(?i:by|under|to|with)\s+(?:the\s+)?{_ADJ}")
_ADJ_APPLIES = re.compile(rf"\b{_ADJ}\s+(?i:applies|shall\s+apply|governs|shall\s+govern)")  # "Swedish law applies"
#: Words that end a name in capitals ("THE STATE OF DELAWARE APPLICABLE TO CONTRACTS").
_NOT_NAME = set(
    re.findall(
        r"\w+",
        "applicable applied and as except excluding for govern governed hereof including in notwithstanding of other "
        "regardless that the thereof to usa which without customer client buyer purchaser licensee supplier vendor "
        "provider contractor seller consultant licensor",
    )
)
_FOREIGN = re.compile(r"(?i)^united\s+states(?:\s+of\s+america)?$")


def _governing_law(s: str) -> list[str]:
    if not (
        _says(r"\blaws?\b", s)
        and _says(r"govern|constru|interpret|enforc|control|appl(?:y|ies)|accordance|subject\s+to", s)
    ):
        return []
    found = sorted(  # the first named
        [*_LAW_OF.finditer(s), *_ADJ_LAW.finditer(s), *_ADJ_APPLIES.finditer(s)], key=lambda m: m.start("name")
    )
    names = [n for n in (_place(m["name"]) for m in found) if n]
    regions = [n for n in (_place(m["name"]) for m in _REGION_OF.finditer(s)) if n]
    if not names or _FOREIGN.match(names[0]):  # "the laws of the United States (of America) and the State of Florida"
        names = [n for n in regions if not _FOREIGN.match(n)] + names
    return names[:1]


def _place(name: str) -> str:
    words, stop = [], _NOT_NAME if name.isupper() else _NOT_NAME - {"and", "of"}  # "England and Wales"
    for word in name.split():
        bare = re.sub(rf"[{_Q}]s?$", "", word.lower().strip("."))  # "Customer's country": a party, not a place
        if bare in stop or word.lower() == "u.s.a.":
            break
        words.append(word)
    place = " ".join(words).rstrip(f".,-{_Q}")
    if place.lower() in ("state", "commonwealth", "province", "republic", "kingdom", "canton"):
        return ""  # "the State of <LOCATION_1>": the place was pseudonymised
    if place.isupper() and len(place) > 3:
        place = place.title()
    return _DEMONYMS.get(place.lower(), place)


def _termination_fee(s: str) -> bool:
    return _says(r"\bterminat|\bcancel", s) and _unnegated(
        r"termination\s+(?:fee|charge|payment)|early\s+termination\s+(?:fee|charge|payment|penalt)|"
        r"cancellation\s+(?:fee|charge)|break\s+fee|"
        r"exit\s+fee|penalt(?:y|ies)",
        s,
    )


_UNLIMITED = r"\b(?:unlimited|uncapped|not\s+be\s+(?:limited|capped)|without\s+(?:any\s+)?(?:limit|cap)\b|no\s+limit\b)"
_WHOSE = rf"(?:{_BUYER}|\b(?:either|each)\s+party)[{_Q}]?s?\s+(?:[^.;]{{0,30}}\s)?liabilit"


def _unlimited_buyer_liability(s: str) -> bool:
    near = rf"{_WHOSE}(?:(?!{_SUPPLIER})[^.;]){{0,80}}{_UNLIMITED}"  # no supplier's liability in between
    nothing = rf"\bnothing\b[^.;]{{0,40}}\blimits?\b[^.;]{{0,10}}{_WHOSE}"
    return (_says(near, s) or _says(nothing, s)) and not _says(r"\bfraud|\bdeath\b|personal\s+injury", s)


def _buyer_pays_damages(s: str) -> bool:
    damages = r"liquidated\s+damages|termination\s+fee|early\s+termination\s+(?:fee|charge)|penalt"
    pays = (
        rf"{_BUYER}\s+(?:shall|will|must|agrees\s+to|is\s+required\s+to)\s+pay(?:(?!{_SUPPLIER}\s+shall)[^.;]){{0,60}}"
    )
    return _unnegated(damages, s) and _says(rf"{pays}(?:{damages})", s)


_EXCEPTIONS = r"affiliate|merger|successor|reorgani[sz]|sale\s+of\s+(?:all|substantially)|change\s+of\s+control"


_MUST_NOT = r"\b(?:shall|may|will|can)\s*not\b"


def _buyer_assignment_needs_consent(s: str) -> bool:
    return (
        _says(rf"(?:(?:{_BUYER}|\beither\s+party)[^.;]{{0,40}}{_MUST_NOT}|\bneither\s+party)[^.;]{{0,20}}\bassign", s)
        and _says(r"\bconsent\b", s)
        and not _says(_EXCEPTIONS, s)
    )


def _free_supplier_assignment(s: str) -> bool:
    return _says(
        rf"{_SUPPLIER}[^.;]{{0,20}}\b(?:may|shall\s+be\s+entitled\s+to|can|is\s+free\s+to)\s+(?:freely\s+)?assign\b"
        r"(?:(?!\bnot\b)[^.;]){0,80}\bwithout\b[^.;]{0,30}\bconsent",
        s,
    )


_CHANGE = r"change\s+(?:of|in)\s+(?:the\s+)?control"


def _supplier_exit_on_buyer_change_of_control(s: str) -> bool:
    return (
        _says(_CHANGE, s)
        and _says(
            rf"{_BUYER}\s+(?:undergoes|experiences|is\s+subject\s+to|suffers|effects)[^.;]{{0,20}}{_CHANGE}"
            rf"|{_CHANGE}\s+(?:of|in|over)\s+(?:the\s+)?{_BUYER}",
            s,
        )
        and _says(rf"{_SUPPLIER}[^.;]{{0,20}}\b(?:may|shall\s+be\s+entitled\s+to|has\s+the\s+right\s+to)\s+terminat", s)
    )


@dataclass(frozen=True)
class Measure:
    """What a measure reads: durations (days), places or a presence, one sentence at a time."""

    kind: str  # "duration", "place" or "presence"
    read: Callable[[str], object]
    says: str  # what it reads; for a presence, what the clause then says


MEASURES: dict[str, Measure] = {
    "renewal term": Measure("duration", _renewal_term, "the length of each automatic renewal or extension"),
    "renewal notice": Measure("duration", _renewal_notice, "the notice before the end of a term that stops renewal"),
    "initial term": Measure("duration", _initial_term, "the initial term"),
    "convenience notice": Measure("duration", _convenience_notice, "the notice for termination for convenience"),
    "cure period": Measure("duration", _cure_period, "the time to cure a breach before termination"),
    "liability cap period": Measure(
        "duration", _cap_period, "the months of fees a liability cap is measured by ('fees paid in the 12 months')"
    ),
    "audit notice": Measure("duration", _audit_notice, "the notice before an audit"),
    "audit interval": Measure("duration", _audit_interval, "how seldom audits may be ('no more than once a year')"),
    "governing law": Measure("place", _governing_law, "the law the contract is governed by"),
    "termination fee": Measure("presence", _termination_fee, "the clause charges a fee or penalty for terminating"),
    "unlimited buyer liability": Measure(
        "presence",
        _unlimited_buyer_liability,
        "the company's liability is unlimited, and not only for fraud, death or personal injury",
    ),
    "buyer liquidated damages": Measure(
        "presence", _buyer_pays_damages, "the company pays liquidated damages, a termination fee or a penalty"
    ),
    "supplier consent to buyer assignment": Measure(
        "presence",
        _buyer_assignment_needs_consent,
        "the company needs consent to assign, with no exception for an affiliate or a merger",
    ),
    "free supplier assignment": Measure(
        "presence", _free_supplier_assignment, "the supplier may assign without the company's consent"
    ),
    "supplier exit on buyer change of control": Measure(
        "presence",
        _supplier_exit_on_buyer_change_of_control,
        "the supplier may terminate when the company's control changes",
    ),
}


def measures_hint(name: str) -> str:
    """For an unknown measure ``name``: the one probably meant, and all of them."""
    close = difflib.get_close_matches(name, MEASURES, n=1)
    return (f"did you mean '{close[0]}'? " if close else "") + f"measures: {', '.join(MEASURES)}"


def read_all(measure: str, text: str) -> list[object]:
    """What ``measure`` reads in ``text``, sentence by sentence: durations in days, places, or
    ``True`` for a presence."""
    read = MEASURES[measure].read
    return [v for s in _sentences(text) for v in _values(read(s))]


def reads(measure: str, text: str) -> bool:
    """Does ``measure`` read a value anywhere in ``text``?"""
    return bool(read_all(measure, text))


# -- checks -------------------------------------------------------------------------------------

_BOUND = re.compile(
    r"(?i)^(?P<measure>.+?)\s+at\s+(?P<side>most|least)\s+(?P<n>\d+(?:\.\d+)?)\s+(?P<unit>hours?|days?|weeks?|months?|years?)$"
)
_ONE_OF = re.compile(r"(?i)^(?P<measure>.+?)\s+one\s+of\s+(?P<values>.+)$")
_ABSENT = re.compile(r"(?i)^no\s+(?P<measure>.+)$")


@dataclass(frozen=True)
class RuleCheck:
    """One measurable check of a rule: ``measure`` ``op`` (``at most``, ``at least``, ``one of``,
    ``no``) ``limit`` (days, or places)."""

    rule: str
    measure: str
    op: str
    limit: float = 0.0
    places: tuple[str, ...] = ()
    text: str = ""  # the check as the checklist has it ("renewal term at most 12 months")

    def shown(self, values: list[object]) -> list[str]:
        """Measured ``values`` in words: "2 years", "Sweden", "present"."""
        return [_spoken(v) if isinstance(v, float) else "present" if v is True else str(v) for v in values]

    def breaches(self, text: str) -> list[str]:
        """What in ``text`` breaks this check, in words ("the renewal term is 2 years; R-09 allows at most 1 year")."""
        return self.breaches_of(self.values(text))

    def values(self, text: str) -> list[object]:
        """What the measure reads in ``text`` (``read_all``)."""
        return read_all(self.measure, text)

    def breaches_of(self, values: list[object]) -> list[str]:
        """The breaches among measured ``values``, in words."""
        if self.op == "no":
            return [f"{self.rule}: {MEASURES[self.measure].says}"] if values else []
        if self.op == "one of":
            wanted = [p.lower() for p in self.places]
            odd = [str(v) for v in values if not any(re.search(rf"\b{re.escape(w)}\b", str(v).lower()) for w in wanted)]
            return [f"{self.rule}: the {self.measure} is {v}, not one of {', '.join(self.places)}" for v in odd[:1]]
        days = [v for v in values if isinstance(v, float)]
        worst = max(days, default=None) if self.op == "at most" else min(days, default=None)
        if worst is None:
            return []
        over = worst > self.limit * 1.02 if self.op == "at most" else worst < self.limit * 0.98  # 12 months ≈ 365 days
        if not over:
            return []
        allowed = f"{self.op} {_spoken(self.limit)}"
        return [f"{self.rule}: the {self.measure} is {_spoken(worst)}; the rule allows {allowed}"]


def _values(read: object) -> list[object]:
    if isinstance(read, bool):
        return [True] if read else []
    return list(read) if isinstance(read, list) else []


def parse_checks(rule: str, text: str) -> tuple[RuleCheck, ...]:
    """The checks of ``rule`` written as ``text`` ("renewal term at most 1 year; no termination fee")."""
    return tuple(_parse_one(rule, part.strip()) for part in text.split(";") if part.strip())


def _parse_one(rule: str, text: str) -> RuleCheck:
    text = " ".join(text.split())
    if "(" in text or ")" in text:
        raise ConfigError(f"rule {rule}: a check cannot hold parentheses ('{text}')", fix="leave them out")
    form = _BOUND.match(text) or _ONE_OF.match(text) or _ABSENT.match(text)
    if form is None:
        raise ConfigError(
            f"rule {rule}: cannot read the check '{text}'",
            fix="write 'MEASURE at most N days|months|years', 'MEASURE at least ...', "
            "'MEASURE one of A | B' or 'no MEASURE'",
        )
    measure = " ".join(form["measure"].lower().split())
    if measure not in MEASURES:
        raise ConfigError(f"rule {rule}: unknown measure '{measure}'", fix=measures_hint(measure))
    kind = MEASURES[measure].kind
    if form.re is _BOUND:
        if kind != "duration":
            raise ConfigError(f"rule {rule}: '{measure}' is not a duration", fix=f"write 'no {measure}'")
        unit = form["unit"].lower().rstrip("s")
        return RuleCheck(rule, measure, f"at {form['side'].lower()}", float(form["n"]) * _DAYS[unit], text=text)
    if form.re is _ONE_OF:
        if kind != "place":
            raise ConfigError(f"rule {rule}: '{measure}' is not a place", fix="use 'one of' with 'governing law'")
        places = tuple(p.strip() for p in form["values"].split("|") if p.strip())
        if not places:
            raise ConfigError(f"rule {rule}: '{text}' names no place", fix="write 'one of Germany | England'")
        return RuleCheck(rule, measure, "one of", places=places, text=text)
    if kind != "presence":
        raise ConfigError(
            f"rule {rule}: '{measure}' is measured, not present or absent", fix=f"write '{measure} at most ...'"
        )
    return RuleCheck(rule, measure, "no", text=text)
