"""Cross-customer leakage: whose data is in this reply?

On INBOUND messages the detector records, as owned by ``(tenant, message.customer_id)``, the keyed
VALUE fingerprints (``fingerprint.py``) of the PII values the customer typed and of every 8-word
shingle of the customer's text; and, bound to that customer, SAID fingerprints of the name-like word
pairs and identifier tokens the customer typed (``Let's try Norman Bouchard``: the PII detector sees no
name there, yet these are the customer's own words). SAID never makes a value anyone's: it only says
that repeating it to the same customer tells them nothing new. Values in grounding sources of kind
``crm`` (any direction) are recorded as owned by the source's ``customer_id`` or else the message's
customer. ``register_identifiers`` records values a CRM knows (ids, zip codes, usernames) explicitly.
Those writes through ``ctx.state`` are the detector's only side effect.

Every check makes ONE store call (``StateStore.record_and_lookup``: its writes, then its lookups), so
one round trip on Redis, inbound and outbound alike; a reply with nothing to look up makes none.

On OUTBOUND messages it looks every candidate value of the reply up in one store call and reports:

- ``leakage.cross_customer`` (critical): a value owned by another customer of the tenant, not by this
  one, not typed by this one (SAID), and not present in a ``kb`` source of this message (public
  company data);
- ``leakage.own_sensitive`` (medium): this customer's own payment card or national id echoed back
  (the default policy redacts it but for the last four characters);
- ``leakage.unknown_pii`` (medium): a PII value (phone, email, card, IBAN, national id) owned by no one,
  not typed by this customer and not in the message's grounding;
- ``leakage.cross_conversation_text`` (high): a verbatim run of at least 8 words from another
  customer's messages.

Evidence says what kind of value and how many other customers own it, never the value or who.
The detector lets ``StoreError`` propagate: the pipeline turns it into a ``system`` finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from ..errors import ConfigError, DetectorError
from ..normalize import Normalized, normalize
from ..types import Category, Direction, Finding, Message, Severity
from .base import BaseDetector, Context
from .fingerprint import (
    VALUE,
    Candidate,
    Words,
    compact,
    fingerprints,
    fold,
    name_candidates,
    name_form,
    said_fingerprints,
    unique_forms,
    window_fingerprints,
)
from .fingerprint_ids import identifier_candidates, record_identifier_forms
from .pii import PiiMatch, find_pii
from .pii_base import NAME

if TYPE_CHECKING:
    from ..keys import KeyRing
    from ..state.base import StateStore

__all__ = ["LeakageDetector", "register_identifiers"]

CROSS = "leakage.cross_customer"
OWN_SENSITIVE = "leakage.own_sensitive"
UNKNOWN = "leakage.unknown_pii"
CROSS_TEXT = "leakage.cross_conversation_text"

_DEFAULT_UNKNOWN = ("pii.email", "pii.phone", "pii.payment_card", "pii.iban", "pii.national_id")
_DEFAULT_SENSITIVE = ("pii.payment_card", "pii.national_id")


def pii_matches(norm: Normalized, ctx: Context | None, regions: Sequence[str]) -> list[PiiMatch]:
    """The PII detector's matches for this text (reused when it already ran in this check), without
    lone first names: "Hi John" says too little about whose data it is (customers greet agents by
    name, agents sign with theirs)."""
    found: list[PiiMatch] | None = None
    if ctx is not None:
        cached = ctx.shared.get("pii.matches")
        if isinstance(cached, list):
            found = cached
    if found is None:
        found = find_pii(norm, regions=tuple(regions))
    return [m for m in found if m.type != NAME or " " in fold(m.value)]


def _match_forms(m: PiiMatch, norm_text: str) -> tuple[str, ...]:
    if m.type == NAME:
        return tuple(unique_forms((*m.canonical, name_form(m.value))))
    return tuple(unique_forms((*m.canonical, compact(norm_text[m.start:m.end]))))


def value_forms(text: str, *, regions: Sequence[str] = (), crm: bool = False) -> set[str]:
    """Canonical forms of the values in ``text`` that belong to its author: PII matches, and for a CRM
    record also identifier-like tokens."""
    norm = normalize(text)
    forms: set[str] = set()
    for m in pii_matches(norm, None, regions):
        forms.update(_match_forms(m, norm.text))
    if crm:
        forms.update(record_identifier_forms(norm.text))
    return forms


def register_identifiers(state: StateStore, keys: KeyRing, tenant: str, customer: str,
                         values: Iterable[str], *, regions: Sequence[str] = (),
                         ttl_s: float | None = None) -> int:
    """Record ``values`` (phones, emails, ids, names, ...) as owned by ``customer`` of ``tenant``.

    Each value is fingerprinted in every canonical form the PII detector gives it, plus as a whole:
    compacted (``3348-9175-02`` -> ``3348917502``) and folded (``Crystal Minh`` -> ``crystal minh``).
    Returns how many fingerprints were recorded.
    """
    if not customer:
        raise ConfigError("register_identifiers: customer id must not be empty")
    key = keys.key("fingerprint", tenant)
    fps: set[bytes] = set()
    for raw in values:
        if not raw or not raw.strip():
            continue
        norm = normalize(raw)
        forms = {compact(norm.text), fold(norm.text), name_form(norm.text)}
        for m in find_pii(norm, regions=tuple(regions)):
            forms.update(_match_forms(m, norm.text))
        fps.update(fingerprints(key, VALUE, unique_forms(forms)))
    if fps:
        state.add_fingerprints(tenant, customer, sorted(fps), ttl_s=ttl_s)
    return len(fps)


class LeakageDetector(BaseDetector):
    """Records customers' values on inbound messages; finds other customers' values in replies."""

    name: ClassVar[str] = "leakage"
    version: ClassVar[str] = "2"
    category: ClassVar[Category] = Category.LEAKAGE
    directions: ClassVar[frozenset[Direction]] = frozenset(Direction)

    def __init__(self, *, retention_days: float | None = None, shingle_words: int = 8,
                 record_text: bool = True, record_identifiers: bool = False,
                 scan_identifiers: bool = True, scan_names: bool = True,
                 unknown_pii_types: Sequence[str] = _DEFAULT_UNKNOWN,
                 sensitive_types: Sequence[str] = _DEFAULT_SENSITIVE,
                 max_owners: int = 0, common_text_owners: int = 3) -> None:
        if shingle_words < 4:
            raise ConfigError("leakage: shingle_words must be at least 4")
        if retention_days is not None and retention_days < 0:
            raise ConfigError("leakage: retention_days must not be negative")
        self.ttl_s = None if retention_days is None else retention_days * 86400.0
        self.shingle_words = shingle_words
        self.record_text = record_text
        self.record_identifiers = record_identifiers
        self.scan_identifiers = scan_identifiers
        self.scan_names = scan_names
        self.unknown_types = frozenset(unknown_pii_types)
        self.sensitive_types = frozenset(sensitive_types)
        self.max_owners = max_owners
        self.common_text_owners = common_text_owners

    # -- entry point -------------------------------------------------------------------------------
    def detect(self, message: Message, ctx: Context) -> Iterable[Finding]:
        if ctx.state is None or ctx.keys is None:
            raise DetectorError("leakage needs a state store and a key ring")
        key = ctx.keys.key("fingerprint", message.tenant)
        records = self._crm_records(message, ctx, key) if message.grounding else []
        if message.direction is Direction.INBOUND:
            if message.customer_id:
                fps = self._inbound_fingerprints(ctx, key, message.customer_id)
                if fps:
                    records.append((message.customer_id, fps))
            if records:  # one store call (one round trip) per inbound check
                ctx.state.record_and_lookup(message.tenant, records, (), ttl_s=self.ttl_s)
            return []
        return self._check_outbound(message, ctx, key, records)

    # -- recording ---------------------------------------------------------------------------------
    def _crm_records(self, message: Message, ctx: Context, key: bytes) -> list[tuple[str, list[bytes]]]:
        """VALUE fingerprints of the values in ``crm`` sources, by owner (recorded with this check's
        single store call)."""
        by_owner: dict[str, list[bytes]] = {}
        for source in message.grounding:
            if source.kind != "crm":
                continue
            owner = source.customer_id or message.customer_id
            if not owner:
                continue
            forms = value_forms(source.text, regions=ctx.regions, crm=True)
            if forms:
                by_owner.setdefault(owner, []).extend(fingerprints(key, VALUE, sorted(forms)))
        return list(by_owner.items())

    def _inbound_fingerprints(self, ctx: Context, key: bytes, customer: str) -> list[bytes]:
        """What an inbound message gives its customer: VALUE fingerprints of the PII it holds, SAID
        fingerprints of its name-like word pairs and identifier tokens (the customer typed them), and
        the fingerprints of its shingles."""
        text = ctx.norm.text
        matches = pii_matches(ctx.norm, ctx, ctx.regions)
        forms = {f for m in matches for f in _match_forms(m, text)} if matches else set()
        words = Words(text)
        said = {nm for _, _, nm in name_candidates(words)} if self.scan_names else set()
        if self.scan_identifiers or self.record_identifiers:
            ids = record_identifier_forms(text)
            if self.record_identifiers:
                forms |= ids
            else:
                said |= ids
        fps = fingerprints(key, VALUE, forms) if forms else []
        if said:
            fps.extend(said_fingerprints(key, customer, said - forms))  # (forms: owned outright already)
        if self.record_text and len(words) >= self.shingle_words:
            fps.extend(window_fingerprints(key, words.folded, self.shingle_words))
        return fps

    # -- checking ----------------------------------------------------------------------------------
    def _check_outbound(self, message: Message, ctx: Context, key: bytes,
                        records: list[tuple[str, list[bytes]]]) -> list[Finding]:
        assert ctx.state is not None
        text = ctx.norm.text
        matches = pii_matches(ctx.norm, ctx, ctx.regions)
        cands: list[Candidate] = [Candidate(m.start, m.end, m.type, _match_forms(m, text)) for m in matches]
        if self.scan_identifiers:
            cands.extend(identifier_candidates(text))
        words = Words(text)
        names = name_candidates(words) if self.scan_names else []
        me = message.customer_id
        if cands or names:
            forms = list(dict.fromkeys([*(f for c in cands for f in c.forms), *(nm for _, _, nm in names)]))
            value_fps = fingerprints(key, VALUE, forms)
            said_fps = said_fingerprints(key, me, forms) if me else []
        else:
            forms, value_fps, said_fps = [], [], []
        text_fps = window_fingerprints(key, words.folded, self.shingle_words)
        # the ONE store call of this check: the CRM values it carries, then every lookup
        owners = ctx.state.record_and_lookup(message.tenant, records, [*value_fps, *said_fps, *text_fps],
                                             ttl_s=self.ttl_s)
        if not owners and not any(c.type in self.unknown_types for c in cands):
            return []  # the common case: nothing in this reply belongs to anyone
        ctx.check_deadline()
        fp_of = dict(zip(forms, value_fps, strict=True))
        said_of = dict(zip(forms, said_fps, strict=False))  # empty without a customer id
        # names are many and rarely owned: their spans are worked out only for owned ones
        cands.extend(Candidate(*words.span(i, j), "name", (nm,)) for i, j, nm in names if fp_of[nm] in owners)
        findings: list[Finding] = []
        claimed: list[tuple[int, int]] = []  # spans already decided (own or someone else's)
        grounding = _LazyGrounding(message, ctx.regions)
        unowned: list[Candidate] = []
        # pass 1: values someone owns; pass 2: unowned PII, where no owned value overlaps it (a PII
        # match may cover only part of a number that an identifier candidate finds owned in full)
        for c in cands:
            if any(c.start < e and s < c.end for s, e in claimed):
                continue
            who: set[str] = set()
            for f in c.forms:
                who.update(owners.get(fp_of[f], ()))
            said = any(said_of[f] in owners for f in c.forms) if me else False
            if not who:
                if c.type in self.unknown_types and not said:
                    unowned.append(c)
                continue
            if me and (me in who or said):  # theirs, or typed by them in their own messages
                claimed.append((c.start, c.end))
                if c.type in self.sensitive_types:
                    findings.append(self.finding(ctx, OWN_SENSITIVE, Severity.MEDIUM, c.start, c.end,
                                                 evidence=f"{c.type} of this customer echoed in full"))
                continue
            if (self.max_owners and len(who) > self.max_owners) or not grounding.public.isdisjoint(c.forms):
                continue
            claimed.append((c.start, c.end))
            n = len(who)
            findings.append(self.finding(
                ctx, CROSS, Severity.CRITICAL, c.start, c.end,
                evidence=f"{c.type} value owned by {n} other customer{'s' if n > 1 else ''} of this tenant"
                         + ("" if me else "; the message has no customer id")))
        for c in unowned:
            if not any(c.start < e and s < c.end for s, e in claimed) and grounding.anywhere.isdisjoint(c.forms):
                claimed.append((c.start, c.end))
                findings.append(self.finding(
                    ctx, UNKNOWN, Severity.MEDIUM, c.start, c.end, score=0.7,
                    evidence=f"{c.type} value of no known customer and not in the grounding"))
        findings.extend(self._text_runs(ctx, words, text_fps, owners, me))
        findings.sort(key=lambda f: f.span or (0, 0))
        return findings

    def _text_runs(self, ctx: Context, words: Words, text_fps: list[bytes],
                   owners: dict[bytes, frozenset[str]], me: str) -> list[Finding]:
        """Merge overlapping shingles owned by other customers into runs; one finding per run."""
        runs: list[list[int]] = []  # [first word, last word]
        last = self.shingle_words - 1
        for i, fp in enumerate(text_fps):
            who = owners.get(fp)
            if not who or (me and me in who) or len(who) >= self.common_text_owners:
                continue
            if runs and i <= runs[-1][1]:
                runs[-1][1] = i + last
            else:
                runs.append([i, i + last])
        return [self.finding(ctx, CROSS_TEXT, Severity.HIGH, *words.span(i, j), score=0.9,
                             evidence=f"a run of at least {self.shingle_words} words from another "
                                      "customer's messages")
                for i, j in runs]


class _LazyGrounding:
    """Forms of the values in this message's grounding, computed only when a decision needs them:
    ``public`` (in ``kb`` sources: company data) and ``anywhere`` (in any source)."""

    def __init__(self, message: Message, regions: Sequence[str]) -> None:
        self._message = message
        self._regions = regions
        self._forms: tuple[frozenset[str], frozenset[str]] | None = None

    def _load(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._forms is None:
            public: set[str] = set()
            anywhere: set[str] = set()
            for source in self._message.grounding:
                forms = value_forms(source.text, regions=self._regions, crm=True)
                anywhere.update(forms)
                if source.kind == "kb":
                    public.update(forms)
            self._forms = (frozenset(public), frozenset(anywhere))
        return self._forms

    @property
    def public(self) -> frozenset[str]:
        return self._load()[0]

    @property
    def anywhere(self) -> frozenset[str]:
        return self._load()[1]
