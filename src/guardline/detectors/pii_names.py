"""Person names found by context: "my name is", "I'm", titles, greetings, sign-offs.

A cue proposes the capitalised words after it; ``_name_span`` keeps the leading name-like tokens and
rejects what is no person:

- a possessive followed by a role word (``I'm Acme's AI assistant``, ``Hi John's team``): the speaker
  or the addressee is something that belongs to the name; other possessives end the name before
  their "'s" (``I'm Amanda's daughter``: Amanda);
- a role word inside the candidate or among the two words after it (``Acme Support``, ``Acme Bot``,
  ``Acme customer service``), or,
  in a self-introduction, in an apposition (``I'm Nova, Acme's AI assistant``): a team, a product or
  a bot persona, never the customer;
- a first token in capitals after a cue that is not (``Hi ACME!``, ``I'm GPT``), or with a capital
  inside it that no surname prefix explains (``This is AcmeBrands``): a brand or acronym;
- a title word inside a value already found (``0707 Brushwick Dr Baltimore``: the "Dr" of a street);
- after "I'm" / "I am", a state rather than a name (``I'm sorry``, ``I'm Excited to help``): a word from
  the not-a-name list, or a single word followed by "to", "that", "about", "for", "of" or "by".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from .pii_base import NAME, PiiMatch, fold_name
from .pii_cues import Cues, anchored
from .pii_patterns import NAME_CUE, NAME_GREETING, NAME_SIGNATURE, NAME_THIS_IS, NAME_TITLE

__all__ = ["find_names"]

_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "del", "della",
                        "dos", "das", "af", "bin", "al", "ter", "ten", "zu", "y"})
# capitalised words that follow a cue but are not names ("I'm Sorry", "Dear Customer", "This is The...")
_NOT_NAMES = frozenset("""
a an the this that these those sorry glad happy here there not just also so very really looking interested
calling writing trying wondering hoping going having afraid sure fine good great ok okay well back new
available unable able still now all everyone everybody team customer customers client sir madam madame
friend friends support service services agent assistant guest user member valued your our my his her their
we you i he she they it in on at for from with to of and or but if what how why when where who which yes
no please thanks thank hello hi hey dear regards best cheers sincerely kind monday tuesday wednesday
thursday friday saturday sunday january february march april may june july august september october
november december today tomorrow tonight morning afternoon evening night is are was will can could would
should might must do does did have has had be been being regarding about asap later again currently
calling here's there's it's that's what's let let's sent attached following unfortunately hope
excited delighted thrilled pleased grateful thankful honored honoured eager ready keen confident certain
positive convinced aware unsure concerned worried disappointed frustrated confused curious busy free
late early done finished online offline responsible unavailable truly terribly extremely absolutely
always usually never only actually definitely totally completely checking reaching following contacting
transferring connecting escalating sending welcome i'm i've i'll i'd
""".split())
# words that make the name before them a team, a product or a bot, not a person
_ROLE_WORDS = frozenset("""
assistant assistants bot bots chatbot ai team teams agent agents support service services desk helpdesk
care helpline hotline virtual digital automated helper concierge representative rep crew staff
department dept center centre company co inc ltd llc gmbh ab store shop bank app platform system
""".split())
# after "I'm <Word>", these mean the word was a state ("I'm Excited to help"), not a name
_STATE_NEXT = frozenset({"to", "that", "about", "for", "of", "by"})
_NAME_PREFIXES = frozenset({"mc", "mac", "de", "da", "di", "du", "la", "le", "van", "von", "st", "fitz"})
_ROLE_ALT = "|".join(sorted(_ROLE_WORDS))
_APPOSITION = re.compile(
    rf"(?i),?[ \t]*(?:your|the|a|an|our|this|[^\W\d_]+['’]s)(?:[ \t]+[\w-]+){{0,3}}?[ \t]+(?:{_ROLE_ALT})\b")
_WORD = re.compile(r"\S+")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)")
_TRAIL = ".,;:!?'’-"
_POSSESSIVE = ("'s", "’s", "s'", "s’")


def _next_words(text: str, end: int, count: int = 2) -> list[str]:
    """Up to ``count`` words right after ``end`` on the same line with only blanks between, casefolded."""
    out: list[str] = []
    while len(out) < count:
        m = _NEXT_WORD.match(text, end)
        if m is None:
            break
        out.append(m.group(1).casefold().rstrip("'’"))
        end = m.end()
    return out


def _brand_like(tok: str) -> bool:
    """``AcmeBrands``, ``PayMore``: a capital inside the word after at least four letters that are
    not a surname prefix (``McDonald``, ``DeShawn``, ``LaToya``, ``VanDyke`` stay names)."""
    for i in range(1, len(tok)):
        if tok[i].isupper() and tok[i - 1].islower():
            return i >= 4 and tok[:i].casefold() not in _NAME_PREFIXES
    return False


def _name_span(text: str, start: int, end: int, *, upper_ok: bool = False, after_i_am: bool = False,
               self_intro: bool = False) -> tuple[int, int] | None:
    """The span of the leading capitalised name tokens in ``text[start:end]``, or None (see the module
    docstring for what is rejected). ``upper_ok``: the cue itself is in capitals; ``after_i_am``: the cue
    was "I'm" / "I am"; ``self_intro``: the speaker introduces themself ("I'm", "my name is", "this is")."""
    first = last = -1
    count = 0
    for m in _WORD.finditer(text, start, end):
        raw = m.group()
        tok = raw.rstrip(_TRAIL)
        initial = len(tok) == 1 and raw.startswith(tok + ".")
        if not tok or not (tok[0].isalpha()):
            break
        low = tok.casefold().replace("’", "'")
        if low.endswith(_POSSESSIVE) or raw.casefold().rstrip(".,;:!?").endswith(_POSSESSIVE):
            # "Acme's AI assistant", "John's team": what belongs to the name speaks, not a person;
            # "Amanda's daughter": Amanda is a person, the name ends before "'s"
            if not _ROLE_WORDS.isdisjoint(_next_words(text, m.end(), 3)):
                return None
            if tok.endswith(("'s", "’s")):
                tok = tok[:-2]
            low = tok.casefold()
            raw = tok + "'"  # the possessive ends the name, as punctuation does
        if low in _ROLE_WORDS:
            return None  # "Acme Bot", "Nova AI"
        if first < 0:
            if not tok[0].isupper() or low in _NOT_NAMES:
                return None
            if (not upper_ok and len(tok) > 1 and tok.isupper()) or _brand_like(tok):
                return None  # "Hi ACME!", "I'm GPT", "This is AcmeBrands"
        elif low in _PARTICLES:
            pass
        elif not tok[0].isupper() or low in _NOT_NAMES:
            break
        if first < 0:
            first = m.start()
        if low not in _PARTICLES:
            last = m.start() + len(tok) + (1 if initial else 0)
            count += 1
        if raw != tok and not initial:
            break  # punctuation ends the name
    if first < 0 or last <= first:
        return None
    following = _next_words(text, last)
    if not _ROLE_WORDS.isdisjoint(following) or (after_i_am and count == 1 and following[:1]
                                                  and following[0] in _STATE_NEXT):
        return None  # "Acme customer support", "I'm Excited to help"
    if self_intro and _APPOSITION.match(text, last) is not None:
        return None  # "I'm Nova, Acme's AI assistant"
    return first, last


def _line_starts(text: str, positions: list[int]) -> list[int]:
    """The starts of the lines holding ``positions``: where the line-anchored patterns (greetings,
    "this is") can match, instead of scanning every line."""
    return sorted({text.rfind("\n", 0, p) + 1 for p in positions})


def find_names(text: str, cues: Cues, claimed: Sequence[tuple[int, int]] = ()) -> Iterator[PiiMatch]:
    """Names after cues; ``claimed``: spans already found as other values (a title word inside one,
    the "Dr" of "12 Brushwick Dr", starts no name)."""
    scans: tuple[tuple[Iterator[re.Match[str]], str, float], ...] = (
        (anchored(NAME_CUE, text, cues.at("name")), "cue", 0.8),
        (anchored(NAME_TITLE, text, cues.at("title")), "title", 0.8),
        (anchored(NAME_THIS_IS, text, _line_starts(text, cues.at("this_is"))), "cue", 0.7),
        (anchored(NAME_GREETING, text, _line_starts(text, cues.at("greeting"))), "greeting", 0.7),
        (anchored(NAME_SIGNATURE, text, cues.at("signature")), "signature", 0.6),
    )
    for i, (matches, kind, score) in enumerate(scans):
        for m in matches:
            if kind == "title" and any(a <= m.start() < b for a, b in claimed):
                continue
            cue = text[m.start():m.start("name")]
            letters = [c for c in cue if c.isalpha()]
            low = cue.casefold().lstrip()
            span = _name_span(text, m.start("name"), m.end("name"),
                              upper_ok=bool(letters) and all(c.isupper() for c in letters),
                              after_i_am=low.startswith(("i'm", "i’m", "i am")),
                              self_intro=i in (0, 2) and not low.startswith("call me"))
            if span is None:
                continue
            s, e = span
            value = text[s:e]
            yield PiiMatch(NAME, kind, s, e, value, (fold_name(value),), score)
