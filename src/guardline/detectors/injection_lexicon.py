"""The injection lexicon: words and phrases mapped to CONCEPTS, one data file per language.

A concept is a small role in an attack sentence (``IGNORE`` a verb like "ignore"/"vergiss",
``INSTR`` a noun like "instructions"/"Anweisungen"); ``injection_rules`` combines concepts by
proximity into features ("an IGNORE verb followed within a few words by an INSTR noun"). Adding a
language means adding ``guardline/data/injection/<lang>.txt``; the rules stay the same.

File syntax: ``CONCEPT = term | term | ...``; a line starting with whitespace continues the previous
one; ``#`` starts a comment line. Terms are matched on folded text (lower case, no diacritics, every
character that is not a letter or digit read as a space; see ``injection_fold``) from a word start;
a trailing ``*`` makes a term a prefix (``instruct*``), otherwise it must end at a word end. A
leading ``^`` makes the term case-sensitive and matched as written (``^DAN``: the jailbreak persona,
not the name Dan).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from ..errors import ConfigError

__all__ = ["CONCEPTS", "LANGUAGES", "load"]

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "sv", "nl", "it", "pt")

CONCEPTS: dict[str, str] = {
    "IGNORE": "a verb telling the reader to drop something (ignore, disregard, forget, override)",
    "PRIOR": "a qualifier pointing back at earlier text (previous, above, all, initial)",
    "INSTR": "a noun for instructions or rules (instructions, rules, guidelines, prompt)",
    "SYSPROMPT": "the model's own configuration (system prompt, initial prompt, hidden instructions)",
    "SYSWEAK": "the same in words with innocent uses too (your instructions, your rules)",
    "REVEAL": "a verb asking to disclose or repeat (reveal, print, repeat, show)",
    "YOUR": "the second-person possessive (your)",
    "ROLE": "a role-play or persona set-up (act as, pretend to be, roleplay, stay in character)",
    "ROLEASSIGN": "a persona assigned by statement (you are now, from now on you are, your new name)",
    "ROLEWEAK": "words of role-play with innocent uses too (from now on, hypothetical, scenario)",
    "IDENTITY": "assigning the assistant an identity or duty (you are a ..., your role is, you will)",
    "UNRESTRICTED": "freedom from rules (no restrictions, unfiltered, uncensored, never refuse)",
    "JBNAME": "a known jailbreak persona (DAN, AIM, BetterDAN, evil confidant)",
    "JBWEAK": "jailbreak vocabulary with innocent uses too (jailbreak, developer mode, debug mode)",
    "AIREF": "a reference to an AI model (ChatGPT, OpenAI, language model)",
    "POLICY": "content-policy vocabulary (content policy, ethical guidelines, censorship)",
    "OUTCTRL": "control of the assistant's output (always respond, never say, start your response)",
    "NEWINSTR": "announcement of replacement instructions (new instructions, updated rules)",
    "OUTPUTNOUN": "the assistant's output as an object (your response, your answer, your reply)",
    "ADDRESSAI": "text in a document addressing the AI that reads it (note to the AI, dear assistant)",
    "TASKVERB": "an imperative task verb typical of requests to an assistant (explain, translate)",
    "EDITVERB": "a verb that edits an output (add, include, modify): an attack when its object is the reply",
    "REQUEST": "a polite request opener (can you, please, help me)",
    "QUESTION": "a general-knowledge question opener (what is, who wrote, how do)",
    "HARM": "harmful-content vocabulary (illegal, explicit, weapons, hacking)",
    "MARKER": "a fake section marker in words (end of system prompt, begin new instructions)",
    "YOUMODAL": "the reader told what it will or must do (you will, you must, you have to, i want you to)",
    "BEHAVE": "a verb of the assistant's own behaviour or output (respond, talk, write, act, stay)",
    "AUTHORITY": "a claim to be the assistant's maker or operator (i am your developer, from openai)",
    "AIPERSONA": "an AI described or addressed as a persona (an ai that, the assistant is, hi chatgpt)",
    "LIFTED": "rules declared void (do not apply to you, have been lifted, are disabled)",
    "FICTION": "a fictional or hypothetical frame (story, screenplay, hypothetical, in a world where)",
    "HOWTO": "a demand for a procedure (how to make, step by step, detailed instructions, recipe)",
    "EXPERT": "a persona of expertise or service (you are an expert in, you are a helpful assistant)",
    "PERMIT": "a grant of permission (you are allowed to, you can say, feel free to, no matter how)",
    "REFUSAL": "an assistant's refusal quoted to be suppressed (i'm sorry but i can't, as an ai language model)",
    "FORMAT": "a demand on the output's form (in the following format, all lowercase, talk like, tone)",
    "PROTOCOL": "a turn-taking protocol (when i say, i will give you ... and you, when the user)",
    "YOUARE": "the reader's identity stated (you are, du bist, tu es): a part where a name and an article follow",
    "CONDITION": "a conditional opener (if i, when someone, wenn ich): a part where a clause then 'you' follows",
    "UNIT": "a unit of answer length (words, sentences, lines): a part where a count precedes it",
    # fifth round: what a customer-service gateway's attacker asks the agent to DO
    "CLAIM": "an opener that says who speaks (as your, this is, message from, on behalf of)",
    "OPERATOR": "the assistant's operators as a body (your administrator, security team, support lead)",
    "GRANT": "explicit authorisation given to the reader (i authorize you, you are authorized to)",
    "SKIP": "leaving a control out (without, no need to, skip, bypass)",
    "CHECK": "a control step (verify, check, confirm, identity check, approval)",
    "COVERUP": "hiding an action (don't log this, without recording, tell no one)",
    "ACTIONIMP": "an account or money action as an imperative (refund, cancel, delete, transfer, send)",
    "OTHERS": "other people's accounts or data (other customers, every account, customer data)",
    "OTHER": "a qualifier for someone else (last, previous, other): a part where a customer noun follows",
    "CUSTOMERS": "a customer or user noun (customer, Kunde, client, kund, klant)",
    "SERVED": "served by the reader before (you helped, you spoke to, before me)",
    "PIINOUN": "personal data nouns (email address, phone number, date of birth, password)",
    "GIVEN": "something given to the reader (were you given, hast du bekommen, on t'a donné)",
    "VERBATIM": "exact reproduction (verbatim, word for word, in full, quote them)",
    "OBEYME": "the reader made to serve the writer (obey me, follow my rules, only listen to me)",
    "ACTIVE": "a mode switched on (enabled, activated, aktiviert, activé)",
    "FILTER": "the assistant's safety controls (filters, safeguards, guardrails, moderation)",
    "OFF": "switched off or skipped (disabled, turned off, deaktiviert, desactiva, skip)",
    "LISTEN": "the reader taking orders (listen, obey, take instructions, hörst, haces caso)",
    "ONLYME": "the writer as the only source (only from me, nur auf mich, solo a mí): after LISTEN",
    "CONFIGYOU": "the reader's own set-up (set up for you, you were configured, te configuraron)",
    "CONVSTART": "the start of the conversation (at the start of this chat, zu Beginn des Chats)",
    "TESTING": "a claim that the reader is being tested (we're testing you, wir testen gerade)",
    "DEFY": "contempt for rules (doesn't care about the rules, rogue, se moque des, le dan igual)",
    "ROLEIMP": "a role-play verb that is ordinary elsewhere (play, spiel, speel, interpreta): opening a sentence",
    "NAMED": "a name given to a character (called, namens, nommé, llamado, som heter)",
}


def parse(text: str, where: str) -> dict[str, tuple[str, ...]]:
    """Parse one lexicon file; an unknown concept or a malformed line is a ``ConfigError``."""
    logical: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0].isspace():
            if not logical:
                raise ConfigError(f"{where}:{lineno}: continuation line without a concept line")
            n, prev = logical[-1]
            logical[-1] = (n, prev + " " + raw.strip())
        else:
            logical.append((lineno, raw.strip()))
    out: dict[str, list[str]] = {}
    for lineno, line in logical:
        concept, sep, rest = line.partition("=")
        concept = concept.strip()
        if not sep or concept not in CONCEPTS:
            raise ConfigError(f"{where}:{lineno}: expected 'CONCEPT = terms' with a known concept")
        terms = [" ".join(t.split()) for t in rest.split("|")]
        out.setdefault(concept, []).extend(t for t in terms if t)
    return {k: tuple(v) for k, v in out.items()}


@cache
def load(lang: str) -> dict[str, tuple[str, ...]]:
    """The lexicon of one language (packaged data, read once)."""
    if lang not in LANGUAGES:
        raise ConfigError(f"injection: unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
    ref = resources.files("guardline.data").joinpath(f"injection/{lang}.txt")
    return parse(ref.read_text(encoding="utf-8"), f"injection/{lang}.txt")
