"""People and how they write their own contact details.

A lead's phone and email are unique by construction (derived from a person serial through a
bijection), so identity resolution in the warehouse has one right answer; the same person then
types them differently into a web form (case, spaces, phone formats, typos), which is what the
warehouse's normalisation has to undo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .reference import CN_GIVEN, CN_SURNAMES, FIRST_NAMES, LAST_NAMES, TITLES, Company

_CN_MOBILE = ("138", "139", "186", "158", "135", "177", "188", "150")


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str
    full_name: str
    ascii_first: str
    ascii_last: str
    email: str
    country_code: str  # "1", "86", "44", "49", "65"
    national: str      # national phone digits ("" = no phone)
    phone: str         # as the CRM holds it
    title: str
    salutation: str


def _ascii(name: str) -> str:
    return name.replace("ü", "u").replace("'", "").replace(" ", "").lower()


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _phone(rng: random.Random, company: Company, serial: int) -> tuple[str, str, str]:
    """(country code, national digits, CRM spelling); unique per serial below 8 million people."""
    x = (serial * 7919 + 12345) % 8_000_000
    country = company.country
    if country == "China":
        national = rng.choice(_CN_MOBILE) + f"{(serial * 7919 + 4321) % 100_000_000:08d}"
        shown = f"+86 {national[:3]} {national[3:7]} {national[7:]}" if rng.random() < 0.5 else national
        return "86", national, shown
    if country in ("United States", "Canada"):
        national = f"{company.area_code}{200 + x // 10_000}{x % 10_000:04d}"
        a, b, c = national[:3], national[3:6], national[6:]
        u = rng.random()
        shown = f"({a}) {b}-{c}" if u < 0.7 else f"{a}-{b}-{c}" if u < 0.9 else f"+1 {a} {b} {c}"
        return "1", national, shown
    code = {"United Kingdom": "44", "Germany": "49", "Singapore": "65"}[country]
    national = f"{company.area_code}{x:07d}"[:10]
    return code, national, f"+{code} {national[:len(company.area_code)]} {national[len(company.area_code):]}"


def make_person(rng: random.Random, company: Company, serial: int, personal_email: bool = False) -> Person:
    """A person at the company; `personal_email` gives a gmail/qq address instead of a work one."""
    if company.country == "China":
        (sur_py, sur_zh), (giv_py, giv_zh) = rng.choice(CN_SURNAMES), rng.choice(CN_GIVEN)
        if company.chinese:
            first, last, full = giv_zh, sur_zh, sur_zh + giv_zh
        else:
            first, last, full = giv_py, sur_py, f"{giv_py} {sur_py}"
        af, al = giv_py.lower(), sur_py.lower()
    else:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        full, af, al = f"{first} {last}", _ascii(first), _ascii(last)
    tag = _base36(serial)
    local = (f"{af}.{al}.{tag}", f"{af[0]}{al}{tag}", f"{af}_{al[0]}{tag}")[serial % 3]
    domain = ("qq.com" if company.country == "China" else "gmail.com") if personal_email else company.domain
    cc, national, shown = _phone(rng, company, serial)
    if company.country != "China" and rng.random() < 0.08:
        national, shown = "", ""
    salutation = rng.choice(("", "", "Mr.", "Ms.", "Dr.")) if company.country != "China" else ""
    return Person(first, last, full, af, al, f"{local}@{domain}", cc, national, shown, rng.choice(TITLES),
                  salutation)


def typed_email(rng: random.Random, email: str) -> str:
    """How the person typed their email into the form: mostly exact, sometimes cased or padded."""
    u = rng.random()
    if u < 0.85:
        return email
    if u < 0.95:
        return email[0].upper() + email[1:]
    return f" {email.upper()} "


def mistyped_email(rng: random.Random, email: str) -> str:
    """A typo (one character of the local part dropped) or nothing at all."""
    if rng.random() < 0.4:
        return ""
    local, domain = email.split("@")
    i = rng.randrange(len(local))
    return f"{local[:i]}{local[i + 1:]}@{domain}"


def typed_phone(rng: random.Random, person: Person) -> str:
    """The same number written the way people write it in forms."""
    n, cc = person.national, person.country_code
    if not n:
        return ""
    u = rng.random()
    if cc == "86":
        return n if u < 0.5 else f"+86 {n}" if u < 0.8 else f"{n[:3]}-{n[3:7]}-{n[7:]}"
    if cc == "1":
        return f"{n[:3]}-{n[3:6]}-{n[6:]}" if u < 0.5 else f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}" if u < 0.8 else n
    return f"+{cc}{n}"
