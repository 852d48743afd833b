"""The compiled patterns of the PII detector: one table per concept, compiled once at import.

Patterns only propose candidates; validators (python-stdnum checksums, phonenumbers, ``ipaddress``,
calendar dates) confirm them in the sibling modules. Everything here runs on NORMALISED text
(zero-width characters already removed, full-width digits folded).
"""

from __future__ import annotations

import re

__all__ = [
    "ADDRESS_LABEL",
    "ADDRESS_PART_AFTER",
    "ADDRESS_PART_BEFORE",
    "AMOUNT_AFTER",
    "AMOUNT_BEFORE",
    "CARD_CONTEXT",
    "CARD_WORDS",
    "DIGIT_RUN",
    "DOB",
    "DOT_WORD",
    "EMAIL",
    "EMAIL_OBFUSCATED",
    "EU_STREET_SUFFIXES",
    "GREETING_WORDS",
    "IBAN_CANDIDATE",
    "ID_CONTEXT",
    "ID_CONTEXT_KINDS",
    "IPV4",
    "IPV6_CANDIDATE",
    "LETTER_IDS",
    "NAME_CUE",
    "NAME_GREETING",
    "NAME_SIGNATURE",
    "NAME_THIS_IS",
    "NAME_TITLE",
    "NOT_PHONE_WORDS",
    "OBFUSCATION_HINT",
    "PHONE_CONTEXT",
    "PHONE_LABEL_AFTER",
    "PHONE_NEGATIVE",
    "PHONE_WORDS",
    "SECRET_CUE",
    "SECRET_TOKEN",
    "STREET",
    "STREET_LEADS",
    "STREET_ROMANCE_WORDS",
    "STREET_SUFFIX_WORDS",
    "URL",
]

# -- e-mail ----------------------------------------------------------------------------------------
EMAIL = re.compile(
    r"(?<![\w.%+-])[\w%+-](?:[\w.%+-]{0,62}[\w%+-])?@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-])")

_DOT = r"(?:[ \t]*[(\[{<][ \t]*dot[ \t]*[)\]}>][ \t]*|[ \t]+dot[ \t]+|\.)"
_AT = r"(?:[ \t]*[(\[{<][ \t]*at[ \t]*[)\]}>][ \t]*|[ \t]+at[ \t]+|[ \t]+@[ \t]*|[ \t]*@[ \t]+)"
_LABEL = r"[\w%+-]+"
# a known generic TLD or any two-letter country code, so that "me at anna dot berg" is no e-mail
_TLD = r"(?:com|org|net|edu|gov|info|biz|io|ai|app|dev|co|me|mail|online|[a-z]{2})"
EMAIL_OBFUSCATED = re.compile(
    rf"(?i)(?<![\w.@])(?P<local>{_LABEL}(?:{_DOT}{_LABEL})*){_AT}"
    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}{_TLD})(?![\w@-])")
# the word "dot" as an obfuscated "." ("anna dot berg", "example (dot) org")
DOT_WORD = re.compile(r"(?i)[ \t(\[{<]dot[ \t)\]}>]")
# cheap test that obfuscation may be present at all (the obfuscated pattern is the costlier one)
OBFUSCATION_HINT = re.compile(r"\w\.\w+[ \t]+at[ \t]+\w")  # run on lower-cased text, after substring tests

# -- digits: one pattern proposes every digit-bearing candidate (phones, cards, national ids) -------
# groups of digits joined by at most one separator (space, dash, dot, slash, parentheses)
_SEP = r"(?:[ \t]?[-./][ \t]?|[ \t]{1,2}|[ \t]?\(|\)[ \t]?[-.]?[ \t]?)"
DIGIT_RUN = re.compile(
    rf"(?<![\w@/.+-])(?P<plus>\+[ \t]?)?\(?\d+(?:{_SEP}\d+)*\)?"
    r"(?P<ext>[ \t]?(?:x|ext\.?|#)[ \t]?\d{1,5})?(?![\w@])")

# -- IBAN: country, check digits, BBAN in groups of four (optionally spaced) -----------------------
IBAN_CANDIDATE = re.compile(
    r"(?i)(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w])")

# -- IP addresses ------------------------------------------------------------------------------------
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.\d)")
IPV6_CANDIDATE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")

URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")

# -- national ids that carry letters --------------------------------------------------------------
_CF_DIGIT = r"[\dLMNPQRSTUV]"
LETTER_IDS = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<gb_nino>(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])"
    r"|(?P<es_dni>\d{8}[- ]?[A-Za-z])"
    r"|(?P<es_nie>[XYZxyz][- ]?\d{7}[- ]?[A-Za-z])"
    rf"|(?P<it_codicefiscale>[A-Za-z]{{6}}(?i:{_CF_DIGIT}{{2}}[ABCDEHLMPRST]{_CF_DIGIT}{{2}}[A-Z]{_CF_DIGIT}{{3}})[A-Za-z])"
    r"|(?P<fi_hetu>\d{6}[-+A-FU-Y]\d{3}[0-9A-Y])"
    r")(?![\w-])")

# -- context cues (searched in a short window BEFORE a candidate) ---------------------------------
# keyword -> national-id kinds it points at; "personnummer" is both Swedish and Norwegian.
ID_CONTEXT_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"ssn|social[ \t]+security", ("us_ssn",)),
    (r"nhs", ("gb_nhs",)),
    (r"bsn|burgerservicenummer|sofinummer", ("nl_bsn",)),
    (r"steuer-?id|steuer-?identifikationsnummer|idnr|tax[ \t]+id|steuernummer", ("de_idnr",)),
    (r"nir|s[ée]curit[ée][ \t]+sociale|num[ée]ro[ \t]+de[ \t]+s[ée]cu", ("fr_nir",)),
    (r"cpf", ("br_cpf",)),
    (r"aadhaa?r|uidai", ("in_aadhaar",)),
    (r"pesel", ("pl_pesel",)),
    (r"cpr", ("dk_cpr",)),
    (r"hetu|henkil[öo]tunnus", ("fi_hetu",)),
    (r"f[øo]dselsnummer", ("no_fodselsnummer",)),
    (r"personnummer|personnr|person[ \t]+number",
     ("se_personnummer", "no_fodselsnummer")),
    (r"national[ \t]+id|id[ \t]+number|identity[ \t]+number|personal[ \t]+(?:id|number|code)|id[ \t]+no",
     ("*",)),
)
ID_CONTEXT = re.compile(
    r"(?i)\b(?:" + "|".join(f"(?P<k{i}>{pat})" for i, (pat, _) in enumerate(ID_CONTEXT_KINDS)) + r")\b")

CARD_WORDS = (r"card|cards|credit|debit|visa|master[ \t]?card|amex|american[ \t]+express|maestro|cc|pan|"
              r"kort|karte|kreditkarte|carte|tarjeta|carta|kaart")
CARD_CONTEXT = re.compile(rf"(?i)\b(?:{CARD_WORDS})\b")

PHONE_WORDS = (r"phone|phones|tel|tele|telephone|mobile|mob|cell|cellphone|fax|call|calls|calling|ring|"
               r"text|sms|whatsapp|reach|contact|dial|landline|hotline|office|desk|home|work|number|nr|"
               r"telefon|telefoon|t[ée]l[ée]phone|portable|handy|puhelin|tel[ée]fono|n[úu]mero|numero")
PHONE_CONTEXT = re.compile(rf"(?i)\b(?:{PHONE_WORDS})\b")
# a label right AFTER a number ("416 60 039 office", "555-1234 (mobile)")
PHONE_LABEL_AFTER = re.compile(
    r"(?i)[ \t]*[-,(]?[ \t]*(?:office|mobile|mob|cell|fax|home|work|tel|phone|landline|direct|desk)\b")
NOT_PHONE_WORDS = (r"order|booking|reservation|confirmation|reference|ref|invoice|ticket|tracking|account|"
                   r"acct|case|claim|policy|member|membership|serial|item|sku|model|flight|iban|ssn|zip|postal|"
                   r"postcode|license|licence|passport|id|transaction|receipt|amount|price|total|card")
PHONE_NEGATIVE = re.compile(rf"(?i)(?:\b(?:{NOT_PHONE_WORDS})\b[^\n]{{0,12}}|#[ \t]*)$")

# an amount or a count, not a phone: a currency just before, a currency or unit just after (checked only
# for numbers that no hinted region and no keyword confirm)
AMOUNT_BEFORE = re.compile(
    r"(?i)(?:[$€£¥₹¢₩₽₺₪]|\b(?:usd|eur|gbp|sek|nok|dkk|chf|inr|jpy|cny|brl|rs|kr|about|approx(?:imately)?|"
    r"over|under|nearly|almost|around|some|than|up[ \t]+to|of)\b)[ \t]*$")
AMOUNT_AFTER = re.compile(
    r"(?i)[ \t]*(?:[%$€£¥₹]|(?:,|\.)\d|(?:usd|eur|gbp|sek|nok|dkk|chf|inr|jpy|cny|brl|kr|kronor|kroner|"
    r"euros?|dollars?|pounds?|yen|yuan|rupees?|reais|francs?|pesos?|cents?|people|persons|users|customers|"
    r"visitors|members|residents|inhabitants|units|items|pieces|pcs|points|views|downloads|copies|times|"
    r"years|days|hours|minutes|seconds|km|miles|mi|kg|lbs?|tons?|tonnes|meters|metres|m|ft|feet|"
    r"bytes|kb|mb|gb|tb|calories|kcal|steps|votes|tickets|shares|records|rows|words)\b)")
# a house number, a suite or a post-box number, not a phone: a unit word just before, or a street name
# (a capitalised word, or a street or compass word within three words) just after on the same line;
# "lives at" before
ADDRESS_PART_BEFORE = re.compile(
    r"(?i)(?:\b(?:suite|ste|apt|apartment|unit|box|room|rm|floor|fl|flat|bldg|building|house|lot|p\.?o)\.?"
    r"[ \t]*#?|\b(?:lives?|living|located|situated|based|stay(?:s|ing)?)[ \t]+(?:at|in|on))[ \t]*$")
ADDRESS_PART_AFTER = re.compile(
    r"[ \t]+(?:[A-ZÀ-ÖØ-Þ]|(?i:[^\W\d_][\w'’.-]*[ \t]+){0,3}(?i:street|st|road|rd|avenue|ave|boulevard|blvd|"
    r"lane|ln|drive|dr|court|ct|way|place|pl|square|sq|terrace|parkway|pkwy|highway|hwy|circle|crescent|"
    r"close|alley|row|gatan|gata|vägen|straße|strasse|str|weg|straat|katu|rue|via|calle|rua|"
    r"north|south|east|west|[nsew]|n[ew]|s[ew])\b)")

# -- dates of birth ----------------------------------------------------------------------------
_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE = (rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?(?:{_MONTHS})\.?,?[ \t]+\d{{4}}"
         rf"|(?:{_MONTHS})\.?[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}})")
DOB = re.compile(
    r"(?i)\b(?:born(?:[ \t]+on)?|date[ \t]+of[ \t]+birth|birth[ \t]?date|d\.?o\.?b\.?|birthday|"
    r"geburtsdatum|geboren(?:[ \t]+am)?|f[öo]delsedatum|f[öo]dd(?:[ \t]+den)?|n[ée]e?[ \t]+le|"
    r"date[ \t]+de[ \t]+naissance|fecha[ \t]+de[ \t]+nacimiento|data[ \t]+di[ \t]+nascita|nat[oa][ \t]+il)"
    rf"(?![\w])[ \t:,-]*(?:is[ \t]+|was[ \t]+|on[ \t]+|the[ \t]+)*(?P<date>{_DATE})(?![\w])")

# -- credentials ----------------------------------------------------------------------------------
SECRET_TOKEN = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<aws_key>AKIA[0-9A-Z]{16})"
    r"|(?P<github_token>gh[pousr]_[A-Za-z0-9]{36,255})"
    r"|(?P<slack_token>xox[abposr]-[A-Za-z0-9-]{10,})"
    r"|(?P<stripe_key>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})"
    r"|(?P<openai_key>sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,})"
    r"|(?P<google_key>AIza[0-9A-Za-z_-]{35})"
    r"|(?P<jwt>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
    r"|(?P<private_key>-----BEGIN[A-Z ]*PRIVATE KEY-----)"
    r")(?![\w-])")
SECRET_CUE = re.compile(
    r"(?i)\b(?P<cue>pass(?:word|wd|phrase|code)|pwd|pin(?:[ \t]+code)?|"
    r"one[- ]time[ \t]+(?:code|password|passcode|pin)|otp(?:[ \t]+(?:code|password))?|verification[ \t]+code|security[ \t]+code|"
    r"auth(?:entication|orization)?[ \t]+code|2fa[ \t]+code|log[- ]?in[ \t]+code|access[ \t]+code|"
    r"sign[- ]in[ \t]+code|api[ _-]?key|secret(?:[ _-]key)?|access[ _-]?token|auth[ _-]?token|bearer|"
    r"cvv2?|cvc2?|l[öo]senord|passwort|kennwort|mot[ \t]+de[ \t]+passe|contrase[ñn]a)\b"
    r"(?P<link>[ \t]*(?:is|was|=|:|->|är|ist|est|es)(?![\w])[ \t]*[:=]?|[ \t]*[:=])?[ \t]*[\"'`]?"
    r"(?P<val>[^\s\"'`]{3,200})")

# -- names ------------------------------------------------------------------------------------------
# The cue patterns below are ANCHORED: ``pii_cues`` finds where a cue word starts (one Aho-Corasick
# pass) and the pattern is tried there with ``.match(text, pos)``.
_TOKEN = r"[^\W\d_][\w'’.-]*"
_NAME = rf"(?P<name>{_TOKEN}(?:[ \t]+{_TOKEN}){{0,3}})"
NAME_CUE = re.compile(
    r"(?i:my[ \t]+(?:full[ \t]+)?name[ \t]+is|my[ \t]+name's|(?:full[ \t]+)?name[ \t]*:"
    r"|i[ \t]+am[ \t]+called|i['’]m|i[ \t]+am|call[ \t]+me|jag[ \t]+heter|ich[ \t]+hei(?:ß|ss)e"
    r"|je[ \t]+m'appelle|me[ \t]+llamo|mi[ \t]+chiamo|ik[ \t]+heet)[ \t]*\n?[ \t]*" + _NAME)
NAME_TITLE = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Herr|Frau|Fru|Mme|Mlle|Sr|Sra|Sig)\.?[ \t]+" + _NAME)
NAME_SIGNATURE = re.compile(
    r"(?i:regards|wishes|thanks|best|thank[ \t]+you|cheers|sincerely|yours(?:[ \t]+(?:truly|sincerely))?|"
    r"mvh|h[äa]lsningar|gr[üu](?:ß|ss)e|cordialement|saludos)"
    rf"[ \t]*[,.!]?[ \t]*\n+[ \t]*{_NAME}[ \t]*(?=\n|$)")
# scanned (not anchored): start-of-line patterns are cheap for the regex engine
GREETING_WORDS = (r"hi|hello|hey|dear|good[ \t]+(?:morning|afternoon|evening)|hej|hallo|bonjour|"
                  r"hola|ciao|moin|hei")
NAME_GREETING = re.compile(rf"(?im)^[ \t]*(?:{GREETING_WORDS})[ \t,]+{_NAME}(?=[ \t]*(?:[,!.:;\n-]|$))")
NAME_THIS_IS = re.compile(r"(?im)^[ \t]*(?:(?:hi|hello|hey)[ \t,!]+)?this[ \t]+is[ \t]+" + _NAME)

# -- street addresses -------------------------------------------------------------------------------
# the words that end an English street line ("12 Main Street") or start a Romance one ("12 rue de la
# Paix"); ``pii_cues`` derives from them the cue words without which no street line starts at a number
STREET_SUFFIX_WORDS = (r"Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
                       r"Square|Sq|Squares|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Crescent|Close|Route|Trail|"
                       r"Plaza|Row|Walk|Mews|Grove|Gardens|Streets|Roads|Avenues")
STREET_ROMANCE_WORDS = (r"rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|via|viale|piazza|corso|calle|"
                        r"avenida|plaza|paseo|rua|travessa")
_SUFFIX_EN = f"(?:{STREET_SUFFIX_WORDS})"
_UNIT = r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Flat)\.?[ \t]*#?[\w-]+)?"
# street words of continental Europe: suffixes of the street name ("Storgatan 12") and names that lead
# ("Via dei Mille 12"); also read by ``pii_scan`` to know where a street line can start
EU_STREET_SUFFIXES = ("gatan", "gata", "vägen", "väg", "gränd", "torget", "gate", "veien", "vei", "gade", "vej",
                      "straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "straat", "laan", "plein",
                      "gracht", "katu", "tie", "kuja", "utca", "út", "tér")
STREET_LEADS = ("Via", "Viale", "Piazza", "Corso", "Calle", "Avenida", "Plaza", "Paseo", "Rua", "Travessa",
                "Rue", "Ulica", "ul.")
_EU_SUFFIX = "(?:" + "|".join(re.escape(w) for w in EU_STREET_SUFFIXES) + ")"
STREET = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?:[ \t]+(?:[NSEW]\.?|[A-Z][\w'’.-]*)){{1,4}}?[ \t]+{_SUFFIX_EN}\b\.?{_UNIT}"
    rf"|\b[A-ZÄÖÜÅØÆ][^\W\d_]*{_EU_SUFFIX}[ \t]+\d{{1,4}}[A-Za-z]?\b{_UNIT}"
    rf"|\b\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:{STREET_ROMANCE_WORDS})[ \t]+(?:[\w'’-]+[ \t]+){{0,3}}?"
    r"[A-Z][\w'’-]+"
    r"|\b(?:" + "|".join(re.escape(w) for w in STREET_LEADS) + ")"
    r"[ \t]+(?:[\w'’-]+[ \t]+){0,3}?\d{1,4}[A-Za-z]?\b")
ADDRESS_LABEL = re.compile(  # anchored at the keyword
    r"(?i)(?:address|adress|adresse|dirección|indirizzo|endereço)\b"
    r"(?:[ \t]+is|[ \t]*:)[ \t]*\n?[ \t]*(?P<addr>[^\n]{4,100})")
