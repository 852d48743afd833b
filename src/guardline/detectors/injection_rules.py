"""Features of an injection, built from concept hits, and the score they add up to.

A feature is one concept (``UNRESTRICTED``) or a concept followed by another within a few characters
of the same sentence (``IGNORE`` ... ``INSTR``: "ignore all previous instructions", "vergiss die
vorherigen Anweisungen"). Each feature has a weight per MODE:

- ``direct``: a customer's own message. Requests to an assistant are normal here ("translate this",
  "write a poem"); what counts is overriding, extracting, role-play set-ups, unrestricted personas.
- ``indirect``: a document the agent reads (a tool result, a KB passage, an email). A document has
  no business addressing the assistant at all, so directives about "your response", notes to "the
  AI" and imperative assistant tasks ("Explain ...", "Translate ...") weigh much more.

Each feature counts once (a long text does not score higher by repeating itself), except a feature
with ``repeat`` > 1, which counts once per distinct SENTENCE up to that many times: one "you will
answer in French" is an ordinary request, four sentences of it are a persona prompt. The score is
``1 - 2 ** -sum(weights)``: a weight sum of 1 gives 0.5, 2 gives 0.75, 3 gives 0.875. In indirect
mode the sum is taken over the best window of ``INDIRECT_WINDOW`` characters, so a long ordinary
document does not add up scattered weak cues. A feature may also require other concepts ANYWHERE in
the text (``also``): a fictional frame counts only where a harmful how-to is asked for too.

A persona prompt is built of parts that are each ordinary alone: who "you" are (a character
definition, a name, a coined assistant name such as "HackGPT"), rules for how "you" answer, demands on
the output's form, a turn-taking protocol ("when I say X, you ..."), a frame (a game, a simulation).
Each feature may name the FAMILY of part it is; in direct mode, where at least ``PERSONA_MIN``
families occur, ``PERSONA_BONUS`` is added once (``persona_prompt``). Two families are a complaint
("You are the worst company. You need to answer my emails."); three are a programme for the reader.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .injection_fold import fold
from .injection_match import Hit

__all__ = [
    "FEATURES", "INDIRECT_WINDOW", "PERSONA_BONUS", "PERSONA_FAMILIES", "PERSONA_MIN", "Analysis", "Feature", "Mode",
    "analyze", "markup_hits",
]

Mode = str  # "direct" | "indirect"
INDIRECT_WINDOW = 300
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
_OPENERS = " \t\"'*-•([>“‘«¿¡#"


# Checks of the text around a concept hit, for the parts that depend on case or punctuation. The
# concept's hits (one Aho-Corasick pass) say where to look; a check is an anchored match there, so a
# long text costs a few small matches, not a regex run over all of it.
_NAMED = re.compile(  # after "you are": a capitalised name, a comma, an article ("You're Bella, a barista")
    r"[ \t]+(?:(?:the|o|a|el|la|le|il|der|die|het)[ \t]+)?[A-ZÀ-Ý][\w'’-]*(?:[ \t]+[A-ZÀ-Ý][\w'’-]*){0,2}[ \t]*,"
    r"[ \t]*(?:a|an|the|my|your|ein|eine|einen|mein|meine|un|une|una|uno|en|ett|een|o|um|uma|il|la|le|el)\b",
)
_THEN_YOU = re.compile(  # after "if I"/"wenn ich": the clause, a comma, then "you" (one verb may come first)
    r"[^.!?\n,]{1,60},[ \t]*(?:(?:then|dann|alors|entonces|så|dan|allora|então)[ \t]+)?(?:\w+[ \t]+)?"
    r"(?:you|du|tu|tú|te|je|jij|ti|você)\b(?![ \t]+(?:know|see)\b)",
    re.IGNORECASE,
)
_COUNT_BEFORE = re.compile(  # before "words"/"Sätze"/"lignes": a count ("in less than 10 words", "drei Sätze")
    r"(?<![\w])(?:\d{1,4}|one|two|three|five|ten|zwei|drei|fünf|deux|trois|cinq|dos|tres|cinco|två|tre|fem|twee"
    r"|drie|vijf|due|cinque|dois|três)[ \t]+(?:short[ \t]+)?\Z",
    re.IGNORECASE,
)


_TOPIC = re.compile(  # "your rules FOR refunds", "vos règles POUR les échanges": a customer asking about policy
    r"[ \t]+(?:about|for|on|regarding|concerning|around|über|für|zu|zum|zur|bei|sur|pour|concernant|sobre|para"
    r"|acerca|om|för|kring|gällande|over|voor|omtrent|su|per|riguardo|sulle|sui|sulla|quanto)\b",
    re.IGNORECASE,
)


def _not_topic(text: str, start: int, end: int) -> bool:
    return _TOPIC.match(text, end) is None


def _named(text: str, start: int, end: int) -> bool:
    return _NAMED.match(text, end) is not None


def _then_you(text: str, start: int, end: int) -> bool:
    return _THEN_YOU.match(text, end) is not None


def _counted(text: str, start: int, end: int) -> bool:
    return _COUNT_BEFORE.search(text, max(0, start - 20), start) is not None


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    first: str
    then: tuple[str, ...] = ()
    gap: int = 0
    direct: float = 0.0
    indirect: float = 0.0
    sentence_start: bool = False  # the first concept must open a sentence or a line
    group: str = ""  # features of one group count as one: the heaviest that fired
    repeat: int = 1  # counts once per distinct sentence it fires in, up to this many times
    also: tuple[str, ...] = ()  # concepts that must ALSO occur somewhere in the text (any order)
    also_any: tuple[str, ...] = ()  # at least ONE of these concepts must also occur somewhere
    family: str = ""  # a part of a persona prompt (see PERSONA_FAMILIES); "" for none
    check: Callable[[str, int, int], bool] | None = None  # a test of the text around a hit (start, end)
    after: Callable[[str, int, int], bool] | None = None  # the same test of the SECOND concept's hit


FEATURES: tuple[Feature, ...] = (
    # overriding earlier instructions
    Feature("override", "IGNORE", ("INSTR", "SYSPROMPT", "SYSWEAK"), 50, 2.5, 2.5),
    Feature("override_all", "IGNORE", ("PRIOR",), 12, 0.6, 0.6),
    Feature("new_instructions", "NEWINSTR", (), 0, 0.5, 0.7),
    Feature("delimiter_words", "MARKER", (), 0, 1.6, 1.6, group="delimiter"),
    # extracting the system prompt
    Feature("extraction", "REVEAL", ("SYSPROMPT",), 50, 2.5, 2.5),
    Feature("extraction_weak", "REVEAL", ("SYSWEAK",), 30, 0.8, 0.8, after=_not_topic),
    Feature("system_prompt", "SYSPROMPT", (), 0, 0.9, 0.9, group="system_prompt"),
    Feature("own_rules", "SYSWEAK", (), 0, 0.3, 0.3, check=_not_topic),
    # role-play and jailbreak personas
    Feature("roleplay", "ROLE", (), 0, 0.8, 0.6, group="roleplay", family="frame"),
    Feature("persona_assigned", "ROLEASSIGN", (), 0, 0.8, 0.6, group="roleplay", family="define"),
    # ... addressed to the reader: opening a sentence ("Act as ...") or asked for ("can you act as")
    Feature("roleplay_opening", "ROLE", (), 0, 0.9, 0.6, sentence_start=True, group="roleplay", family="frame"),
    Feature("roleplay_request", "REQUEST", ("ROLE",), 12, 0.9, 0.6, group="roleplay", family="frame"),
    Feature("authority", "AUTHORITY", (), 0, 0.8, 0.8),
    Feature("roleplay_weak", "ROLEWEAK", (), 0, 0.3, 0.2, family="frame"),
    Feature("identity", "IDENTITY", (), 0, 0.4, 0.4, group="identity", family="define"),
    Feature("persona_expert", "EXPERT", (), 0, 0.6, 0.4, group="identity", family="define"),
    Feature("unrestricted", "UNRESTRICTED", (), 0, 1.0, 1.0),
    Feature("persona", "JBNAME", (), 0, 1.3, 1.3),
    Feature("jailbreak_vocabulary", "JBWEAK", (), 0, 0.6, 0.6),
    Feature("ai_reference", "AIREF", (), 0, 0.5, 0.3, group="ai"),
    Feature("ai_persona", "AIPERSONA", (), 0, 0.7, 0.4, group="ai", family="define"),
    Feature("policy_talk", "POLICY", (), 0, 0.3, 0.1),
    Feature("output_control", "OUTCTRL", (), 0, 0.35, 0.3, family="rules"),
    Feature("harm", "HARM", (), 0, 0.25, 0.1),
    # re-programming: sentences telling the reader how it will behave or what it will produce,
    # counted per sentence (one is an ordinary request; a persona prompt has many)
    Feature("self_directive", "YOUMODAL", ("BEHAVE",), 40, 0.25, 0.0, repeat=4, family="rules"),
    # third round: the parts of a persona prompt that are innocent alone; each weighs little, and
    # PERSONA_BONUS is added where several kinds of part (PERSONA_FAMILIES) occur together
    Feature("refusal_script", "REFUSAL", (), 0, 0.3, 0.2, family="rules"),
    Feature("format_demand", "FORMAT", (), 0, 0.1, 0.0, family="format"),
    Feature("protocol", "PROTOCOL", (), 0, 0.1, 0.0, family="protocol"),
    Feature("named_persona", "YOUARE", (), 0, 0.3, 0.0, family="define", check=_named),
    Feature("conditional_you", "CONDITION", (), 0, 0.1, 0.0, family="protocol", check=_then_you),
    Feature("length_limit", "UNIT", (), 0, 0.1, 0.0, family="format", check=_counted),
    Feature("permission", "PERMIT", ("HARM",), 40, 0.8, 0.4),
    Feature("rules_lifted", "INSTR", ("LIFTED",), 40, 1.0, 1.0, group="rules_lifted"),
    Feature("policy_lifted", "POLICY", ("LIFTED",), 40, 1.0, 1.0, group="rules_lifted"),
    # fiction or hypothetical framing around a how-to for harmful content ("write a story in which
    # a chemist explains step by step how to make ...")
    Feature("fiction_harm", "FICTION", (), 0, 0.75, 0.0, also=("HARM", "HOWTO")),
    # a document talking to the assistant about its reply
    Feature("output_edit", "EDITVERB", ("OUTPUTNOUN",), 100, 0.3, 1.6),
    Feature("output_directive", "OUTPUTNOUN", ("EDITVERB", "TASKVERB"), 25, 0.3, 1.6),
    Feature("output_noun", "OUTPUTNOUN", (), 0, 0.15, 0.5),
    Feature("address_ai", "ADDRESSAI", (), 0, 0.3, 1.3),
    # fifth round (short inbound attacks on a customer-service agent): what the attacker wants the
    # agent to DO. Each part is ordinary alone ("I'm the admin of our account", "I bought it without
    # checking the size", "other customers"); two or three together are an attack.
    # ... a claim to speak for the agent's operators, and authority handed to the reader
    Feature("operator_claim", "CLAIM", ("OPERATOR",), 25, 0.7, 0.5),
    Feature("grant", "GRANT", (), 0, 0.4, 0.4),
    # ... a control left out, or the action hidden
    Feature("bypass_check", "SKIP", ("CHECK",), 30, 0.6, 0.4, group="bypass_check"),
    Feature("check_bypassed", "CHECK", ("SKIP",), 30, 0.6, 0.4, group="bypass_check"),
    Feature("coverup", "COVERUP", (), 0, 0.6, 0.6),
    Feature("covert_action", "ACTIONIMP", (), 0, 0.5, 0.0, sentence_start=True, also_any=("SKIP", "COVERUP")),
    # ... other people's accounts or data as the object
    Feature("others_data", "OTHERS", (), 0, 0.5, 0.3, group="others"),
    Feature("bulk_action", "ACTIONIMP", ("OTHERS",), 80, 0.6, 0.3),
    Feature("other_customer", "OTHER", ("CUSTOMERS",), 12, 0.5, 0.2, group="others"),
    Feature("customer_other", "CUSTOMERS", ("OTHER",), 3, 0.5, 0.2, group="others"),
    Feature("served_customer", "CUSTOMERS", ("SERVED",), 20, 0.6, 0.3),
    Feature("pii_of_customer", "PIINOUN", ("CUSTOMERS",), 40, 0.5, 0.2),
    # ... the assistant's own instructions, as given to it, asked for word for word
    Feature("rules_given", "INSTR", ("GIVEN",), 30, 0.9, 0.9, group="system_prompt"),
    Feature("verbatim", "VERBATIM", (), 0, 0.6, 0.3, also_any=("INSTR", "SYSPROMPT", "SYSWEAK")),
    # ... the reader made to serve the writer; a mode switched on; safety filters switched off
    Feature("obey_me", "OBEYME", (), 0, 0.7, 0.7, group="obey_me"),
    Feature("obey_only", "LISTEN", ("ONLYME",), 20, 1.0, 0.7, group="obey_me"),
    Feature("only_obey", "ONLYME", ("LISTEN",), 12, 1.0, 0.7, group="obey_me"),
    Feature("configured_you", "CONFIGYOU", (), 0, 0.6, 0.6),
    Feature("config_extraction", "REVEAL", (), 0, 0.5, 0.5, also_any=("CONFIGYOU", "CONVSTART")),
    Feature("conversation_start", "CONVSTART", (), 0, 0.3, 0.3),
    Feature("testing_claim", "TESTING", (), 0, 0.4, 0.4),
    Feature("defiant", "DEFY", (), 0, 0.6, 0.3, family="rules"),
    Feature("roleplay_verb", "ROLEIMP", (), 0, 0.6, 0.0, sentence_start=True, group="roleplay", family="frame"),
    Feature("character_name", "NAMED", (), 0, 0.3, 0.0, family="define"),
    Feature("mode_on", "JBWEAK", ("ACTIVE",), 12, 0.3, 0.3, group="mode_on"),
    Feature("mode_switch", "ACTIVE", ("JBWEAK",), 20, 0.3, 0.3, group="mode_on"),
    Feature("filter_off", "FILTER", ("OFF",), 25, 0.7, 0.7, group="filter_off"),
    Feature("filter_switched", "OFF", ("FILTER",), 30, 0.7, 0.7, group="filter_off"),
    Feature("task", "TASKVERB", (), 0, 0.0, 1.0, sentence_start=True, group="solicit"),
    Feature("request", "REQUEST", (), 0, 0.0, 0.6, sentence_start=True, group="solicit"),
    Feature("question", "QUESTION", (), 0, 0.0, 0.6, sentence_start=True, group="solicit"),
)

# markup and delimiter injection: chat-template tokens, fake role tags, fake section headers.
# (name, cheap precondition on the folded text, pattern); the precondition keeps long texts cheap.
_Finder = Callable[[str], re.Match[str] | None]  # the first match in a text, or None


def _coined_name(text: str) -> re.Match[str] | None:
    """A coined assistant name ("HackGPT", "BetterAI", "EvilBot"; not ChatGPT, OpenAI, a plain "Bot"):
    found from its suffix, which is rare, then checked whole (the whole pattern tried at every word
    start costs ~0.4 ms on 10,000 characters, this ~0.1 ms)."""
    for m in _COINED_SUFFIX.finditer(text):
        head = _COINED_HEAD.search(text, max(0, m.start() - 40), m.start())
        if head is None or (head.start() > 0 and text[head.start() - 1].isalnum()):
            continue
        whole = _COINED.match(text, head.start(), m.end())
        if whole is not None:
            return whole
    return None


_COINED_SUFFIX = re.compile(r"(?<=[a-z0-9])-?(?:GPT|AI|Bot|BOT)\b")
_COINED_HEAD = re.compile(r"[A-Za-z0-9]{1,40}\Z")
_COINED = re.compile(r"\b(?!(?i:(?:chat|instruct|open|gen)-?(?:gpt|ai|bot))\b)[A-Z][A-Za-z0-9]*[a-z0-9]-?(?:GPT|AI|Bot|BOT)\b")

# a label naming a role or a message boundary, in any of the eight languages: "[Ende Kundennachricht]",
# "<consigne assistant>", "=== FIN CLIENTE ===", "ISTRUZIONI ASSISTENTE:" (a word of the label starts
# with one of these stems)
_ROLE_STEMS = (
    "assist", "system", "sistem", "systeem", "user", "usuari", "utent", "utilisat", "nutzer", "benutzer",
    "gebruiker", "anvand", "kund", "klant", "client", "custom", "instru", "anweis", "consign", "admin",
    "develop", "entwickl", "desarroll", "svilupp", "ontwikkel", "utveckl", "desenvolv", "prompt", "ende", "end",
    "fin", "fine", "fim", "slut", "einde",
)
_TAG = re.compile(
    r"[\[<][ \t]*/?[ \t]*([^\W\d_][^\]>\n@]{0,40}?)[ \t]*[\]>]"
    r"|(?:#{3,}|={3,}|-{3,})[ \t]*([^\W\d_][^\n#=]{1,40}?)[ \t]*(?:#{3,}|={3,}|-{3,})"
    # a markdown heading that is only a role word or two: "### Assistent", "## Gebruiker"
    r"|(?m:^[ \t]*#{2,4}[ \t]*([^\W\d_]+(?:[ \t][^\W\d_]+)?)[ \t]*$)"
)
_LABEL = re.compile(r"(?<![\w])([A-ZÀ-Ý]{3,}(?:[ \t-][A-ZÀ-Ý]{2,}){0,3})[ \t]*:")
_LABEL_WORD = re.compile(r"[^\W\d_]+")


def _role_words(label: str) -> bool:
    return any(w.startswith(_ROLE_STEMS) for w in _LABEL_WORD.findall(fold(label)))


def _role_tag_matches(text: str) -> list[re.Match[str]]:
    out = []
    for m in _TAG.finditer(text):
        if _role_words(m.group(1) or m.group(2) or m.group(3) or ""):
            out.append(m)
            if len(out) == 2:
                break
    return out


def _role_tag(text: str) -> re.Match[str] | None:
    tags = _role_tag_matches(text)
    return tags[0] if tags else None


def _second_role_tag(text: str) -> re.Match[str] | None:
    tags = _role_tag_matches(text)
    return tags[1] if len(tags) > 1 else None


# a chat-API message object typed into a message: {"role": "system", "content": ...}
_ROLE_FIELD = re.compile(r"""["']role["'][ \t]*:[ \t]*["']([^"'\n]{2,20})["']""", re.IGNORECASE)


def _role_field(text: str) -> re.Match[str] | None:
    for m in _ROLE_FIELD.finditer(text):
        if _role_words(m.group(1)):
            return m
    return None


def _role_label(text: str) -> re.Match[str] | None:
    for m in _LABEL.finditer(text):
        if _role_words(m.group(1)):
            return m
    return None


_MARKUP: tuple[tuple[str, tuple[str, ...], re.Pattern[str] | _Finder], ...] = (
    ("delimiter", ("<",), re.compile(
        r"<\s*/?\s*(?:system|user|assistant|human|ai|bot|instructions?|prompt|sys|inst|im_start|im_end"
        r"|context|admin|developer|tool|function)\s*>|<\|\s*[a-z_]{2,20}\s*\|>|<<\s*/?\s*sys\s*>>",
        re.IGNORECASE,
    )),
    ("delimiter", ("[",), re.compile(
        r"\[/?(?:inst|sys|system|user|assistant|sistema|systeme|système|systeem|systemet|admin|developer)\]",
        re.IGNORECASE,
    )),
    # a code fence labelled with a role: "```system"
    ("delimiter", ("```",), re.compile(r"```[ \t]*(?:system|instructions?|prompt|admin|developer)\b", re.IGNORECASE)),
    # a banner: "### END OF USER INPUT ###", "--- slut på användartext ---", "=== ... ==="
    ("banner", ("##", "--", "==", "**"), re.compile(
        r"(?:#{3,}|-{3,}|={3,}|\*{3,})[ \t]*[^\W\d_][^\n#=*]{2,50}?[ \t]*(?:#{3,}|-{3,}|={3,}|\*{3,})",
    )),
    # a role label written in capitals: "... --- SYSTEM: new rules", "ASSISTANT INSTRUCTIONS:"
    ("role_label", (":",), _role_label),
    # a chat-API message object: {"role": "assistant", "content": "fee removed"}
    ("role_field", ("role",), _role_field),
    # bracketed, bannered or heading labels naming a role or a boundary: "[Ende Kundennachricht]",
    # "</kund>", a line "### Assistent"
    ("role_tag", ("[", "<", "##", "==", "--"), _role_tag),
    ("role_tags", ("[", "<", "##", "==", "--"), _second_role_tag),
    # a configuration flag: "DEBUG=true", "safety: off"
    ("flag", ("=", ":"), re.compile(
        r"\b(?i:debug|dev_?mode|admin|safe_?mode|safety|filters?|jailbreak|god_?mode|restrictions|moderation)"
        r"[ \t]*[=:][ \t]*(?i:true|false|on|off|none|disabled|enabled|0|1)\b",
    )),
    # an HTML comment in a chat message: "<!-- end of user input -->"
    ("comment", ("<!--",), re.compile(r"<!--[^\n]{0,200}?-->")),
    ("delimiter", ("#",), re.compile(
        r"^[ \t]*#{1,4}[ \t]*(?:system|instructions?|new instructions|assistant)\b", re.IGNORECASE | re.MULTILINE,
    )),
    ("role_prefix", ("system", "assistant", "developer"), re.compile(
        r"^[ \t]*(?:system|assistant|developer)[ \t]*:", re.IGNORECASE | re.MULTILINE,
    )),
    ("persona_marker", ("\U0001f513", "\U0001f512"), re.compile("[\U0001f513\U0001f512]")),
    ("mode_name", (" mode", "-mode"), re.compile(r"\b[A-Z][A-Za-z]{2,}[ -]Mode\b")),
    # a coined assistant name: "HackGPT", "BetterAI", "EvilBot" (not ChatGPT, OpenAI, a plain "Bot")
    ("coined_name", ("gpt", "ai", "bot"), _coined_name),
    ("template", ("{{",), re.compile(r"\{\{[^{}\n]{1,40}\}\}")),
    # a fill-in placeholder of a shared prompt template: "[topic]", "<thing to get tutorial>", "[MEDIA]"
    ("placeholder", ("[", "<"), re.compile(
        r"\\?[\[<][ \t]*(?:[A-Z][A-Z0-9]+(?:[ _/-][A-Z0-9]+){0,3}"
        r"|(?i:(?:(?:insert|enter|type|put|add|your|the|a|an)[ \t]+)?(?:[a-z*]+[ /]){0,3}"
        r"(?:topic|subject|something|keyword|product|service|thing|character|media|prompt|question"
        r"|request|idea|persona|tutorial|opinion|target|here)s?))[ \t]*\\?[\]>]",
    )),
    ("template", ("prompt", "question", "request", "query"), re.compile(
        r"[\[<{](?:insert |put |enter |write |type )?(?:your |the )?(?:prompt|question|request|query)(?: here)?[\]>}]",
        re.IGNORECASE,
    )),
)
MARKUP_WEIGHTS: dict[str, tuple[float, float]] = {
    "delimiter": (1.6, 1.6),
    "role_prefix": (0.6, 0.6),
    "persona_marker": (1.0, 1.0),
    "template": (1.0, 1.0),
    "mode_name": (0.4, 0.4),
    "placeholder": (0.5, 0.3),
    "coined_name": (0.5, 0.2),
    "banner": (0.5, 0.3),
    "role_label": (0.4, 0.3),
    "role_field": (1.6, 0.3),
    "role_tag": (0.6, 0.3),
    "role_tags": (0.6, 0.3),
    "flag": (0.6, 0.4),
    "comment": (0.5, 0.3),
}
MARKUP_FAMILIES: dict[str, str] = {"coined_name": "define", "mode_name": "frame"}

# a persona prompt defines who "you" are, sets rules for how "you" answer, demands an output format,
# sets up a protocol ("when I say X, you ...") or a frame (a game, a simulation): where at least
# PERSONA_MIN of these kinds of part occur together (direct mode), PERSONA_BONUS is added once
PERSONA_FAMILIES: tuple[str, ...] = ("define", "rules", "format", "protocol", "frame")
PERSONA_MIN = 3
PERSONA_BONUS = 0.5


@dataclass(slots=True)
class Analysis:
    """The score of one text and where each fired feature was first seen (text offsets)."""

    score: float = 0.0
    weight: float = 0.0
    features: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def span(self) -> tuple[int, int] | None:
        if not self.features:
            return None
        return (min(s for s, _ in self.features.values()), max(e for _, e in self.features.values()))


def markup_hits(text: str, folded: str, mode: Mode = "direct") -> list[tuple[str, int, int]]:
    """The first match of each markup pattern that weighs something in ``mode`` (``folded``: ``text``
    folded, for the preconditions)."""
    out: list[tuple[str, int, int]] = []
    k = 0 if mode == "direct" else 1
    for name, needles, find in _MARKUP:
        if MARKUP_WEIGHTS[name][k] > 0 and any(n in folded for n in needles):
            m = find.search(text) if isinstance(find, re.Pattern) else find(text)
            if m is not None:
                out.append((name, m.start(), m.end()))
    return out


def _opens_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    return i < 0 or text[i] in ".!?;\n\r)]>"


def _same_sentence(text: str, a_end: int, b_start: int) -> bool:
    return _SENTENCE_END.search(text, a_end, b_start) is None


def _fired(hits: list[Hit], text: str, direct: bool) -> list[tuple[Feature, int, int]]:
    """Every (feature, start, end) that fires in ``text``, for the features that weigh something in
    the mode (``direct`` or not). Pairs are found by bisection over the second concept's starts, so
    a long text with many hits stays near-linear."""
    by_concept: dict[str, list[Hit]] = {}
    for h in hits:
        by_concept.setdefault(h.concept, []).append(h)
    out: list[tuple[Feature, int, int]] = []
    for f in FEATURES:
        if (f.direct if direct else f.indirect) <= 0:
            continue
        firsts = by_concept.get(f.first)
        if not firsts or any(c not in by_concept for c in f.also):
            continue
        if f.also_any and not any(c in by_concept for c in f.also_any):
            continue
        if f.sentence_start:
            firsts = [h for h in firsts if _opens_sentence(text, h.start)]
        if f.check is not None:
            firsts = [h for h in firsts if f.check(text, h.start, h.end)]
        if not f.then:
            out.extend((f, h.start, h.end) for h in firsts)
            continue
        if len(f.then) == 1:
            seconds = by_concept.get(f.then[0], [])  # hits come sorted by start
        else:
            seconds = sorted((h for c in f.then for h in by_concept.get(c, ())), key=lambda h: h.start)
        if not seconds:
            continue
        starts = [h.start for h in seconds]
        for a in firsts:
            for k in range(bisect_left(starts, a.end), bisect_right(starts, a.end + f.gap)):
                b = seconds[k]
                if f.after is not None and not f.after(text, b.start, b.end):
                    continue
                if _same_sentence(text, a.end, b.start):
                    out.append((f, a.start, b.end))
    return out


Event = tuple[int, int, str, float, str, str]  # start, end, feature name, weight, group, family


def analyze(text: str, hits: list[Hit], mode: Mode, *, folded: str | None = None) -> Analysis:
    """Score ``text`` (whose concept ``hits`` are given) in ``mode``. ``folded``: ``text`` folded,
    to look for markup too (leave it out for rewritten text: rot13 has no markup of its own)."""
    direct = mode == "direct"
    events: list[Event] = []
    seen: dict[str, set[int]] = {}
    ends: list[int] | None = None  # sentence ends, found once when a repeat feature needs them
    for f, s, e in _fired(hits, text, direct):
        w = f.direct if direct else f.indirect
        name = f.name
        if f.repeat > 1:
            sentences = seen.setdefault(f.name, set())
            if ends is None:
                ends = [m.start() for m in _SENTENCE_END.finditer(text)]
            k = bisect_right(ends, s)
            if k in sentences or len(sentences) >= f.repeat:
                continue
            sentences.add(k)
            if len(sentences) > 1:
                name = f"{f.name}_{len(sentences)}"
        events.append((s, e, name, w, name if f.repeat > 1 else f.group or f.name, f.family))
    if folded is not None:
        for name, s, e in markup_hits(text, folded, mode):
            wd, wi = MARKUP_WEIGHTS[name]
            events.append((s, e, name, wd if direct else wi, "delimiter" if name == "delimiter" else name,
                           MARKUP_FAMILIES.get(name, "")))
    if not events:
        return Analysis()
    events.sort()
    if direct:
        chosen = _distinct(events)
        families = {c[5] for c in chosen.values() if c[5]}
        if len(families) >= PERSONA_MIN:
            first = min((c for c in chosen.values() if c[5]), key=lambda c: c[0])
            chosen["persona_prompt"] = (first[0], first[1], "persona_prompt", PERSONA_BONUS, "persona_prompt", "")
    else:
        chosen = {}
        best = 0.0
        j = 0
        for i, ev in enumerate(events):
            j = max(j, i)
            while j < len(events) and events[j][0] < ev[0] + INDIRECT_WINDOW:
                j += 1
            window = _distinct(events[i:j])
            total = sum(c[3] for c in window.values())
            if total > best:
                best, chosen = total, window
    total = sum(c[3] for c in chosen.values())
    return Analysis(1.0 - 2.0 ** -total, total, {c[2]: (c[0], c[1]) for c in chosen.values()})


def _distinct(events: Iterable[Event]) -> dict[str, Event]:
    """The first event of each group, or the heaviest where a group has several features."""
    out: dict[str, Event] = {}
    for ev in events:
        prev = out.get(ev[4])
        if prev is None or ev[3] > prev[3]:
            out[ev[4]] = ev
    return out
