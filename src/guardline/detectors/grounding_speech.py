"""What a customer-service reply asserts, and what it only asks, requests or says out of courtesy.

Agents talk in greetings ("How may I help you today?"), questions back to the customer ("Can you give
me the last 4 digits?"), confirmation requests ("Please confirm: a table for 2 at 7 pm on March 8th")
and sign-offs ("Have a nice day"). None of these claims anything about the world, so the grounding
check must not treat their dates, numbers or words as claims. Three ideas, each a small table in the
eight supported languages (en, de, fr, es, sv, nl, it, pt):

- **Asking regions**: a question (the clause that asks, or the whole sentence for a tag question or a
  declarative one), a request for information ("please provide ...", "let me know ..."), and a
  confirmation request (a sentence opened by "please confirm" or followed by "Is that correct?").
  Values in them are the customer's own, echoed back.
- **Business events**: a relative date ("today", "tomorrow", "next Monday") or a short duration ("one
  minute") is a claim only when its clause speaks of an event the business commits to: delivery,
  shipping, a refund, a charge or due date, a return, an appointment or booking, opening hours, an
  expiry, a call back.
- **Courtesy words**: the vocabulary of service talk (help, thank, sorry, glad, enjoy, ...) is not
  content in a sentence that addresses the customer, so a pleasantry is never a novel statement.
"""

from __future__ import annotations

import re

from .grounding_fast import CiPattern, lowered
from .grounding_text import clause_bounds, trie_alt

__all__ = ["COURTESY_WORDS", "addresses_customer", "agent_wait", "asking_regions", "business_event", "in_regions"]


def _words(s: str) -> str:
    return trie_alt(s.split("|"))


# -- asking ----------------------------------------------------------------------------------------
# words that open a question clause (interrogatives and inverted auxiliaries)
_Q_OPEN = _words(
    "what|when|where|which|who|whom|whose|why|how|would|could|can|do|does|did|is|are|was|were|will|shall|"
    "may|might|should|have|has|any|anything|"
    "was|wann|wo|wie|welche|welcher|welches|wer|warum|können|könnten|möchten|haben|sind|ist|gibt|soll|"
    "que|quoi|quand|où|quel|quelle|quels|quelles|qui|pourquoi|comment|pouvez|pourriez|voulez|souhaitez|"
    "avez|est-ce|puis-je|"
    "qué|cuándo|dónde|cuál|cuáles|quién|por qué|cómo|puede|podría|puedo|quiere|desea|tiene|hay|"
    "vad|när|var|vilken|vilket|vilka|vem|varför|hur|kan|kunde|vill|har|är|finns|"
    "wat|wanneer|waar|welke|wie|waarom|hoe|kunt|kan|wilt|heeft|hebt|is|zijn|"
    "cosa|che|quando|dove|quale|quali|chi|perché|come|può|potrebbe|posso|vuole|desidera|ha|c'è|"
    "o que|quando|onde|qual|quais|quem|por que|como|pode|poderia|posso|quer|deseja|tem|há")
_Q_OPEN_RE = re.compile(rf"\W*(?:(?:and|so|also|then|okay|ok|great|sure|und|et|y|och|en|e)\s+)?(?:{_Q_OPEN})\b",
                        re.I)
# short tags that turn a statement into a question: "..., right?"
_TAG_RE = re.compile(
    r"(?:^|[,;:\s])(?:right|correct|yes|ok|okay|is that (?:right|correct|ok|okay)|am i right|"
    r"oder|nicht wahr|stimmt(?: das)?|richtig|n'est-ce pas|c'est (?:bien )?ça|c'est correct|correct|"
    r"verdad|no|correcto|cierto|eller hur|stämmer (?:det|detta)|rätt|toch|klopt (?:dat|het)|juist|"
    r"vero|giusto|corretto|certo|não é|está certo|correto)\W*$", re.I)
_SEG_SPLIT = re.compile(r"[,;:]|\s(?:and|but|or|so|und|aber|oder|et|mais|ou|y|pero|o|och|men|eller|en|maar|of|"
                        r"e|ma|mas)\s", re.I)

# requests to the customer for information or a confirmation: "please provide", "let me know"
_INFO_VERB = _words(
    "provide|give|send|share|enter|type|tell|confirm|verify|review|spell|specify|choose|select|pick|describe|"
    "geben|nennen|senden|schicken|teilen|bestätigen|angeben|mitteilen|"
    "donner|fournir|envoyer|indiquer|confirmer|préciser|communiquer|"
    "dar|darme|proporcionar|enviar|indicar|confirmar|decir|decirme|"
    "ge|skicka|ange|bekräfta|berätta|uppge|"
    "geven|sturen|delen|bevestigen|doorgeven|vertellen|"
    "dare|darmi|fornire|inviare|indicare|confermare|dirmi|comunicare|"
    "informar|dizer|fornecer")
_REQUEST_RE = re.compile(
    rf"^\W*(?:(?:ok(?:ay)?|great|sure|alright|thanks?|thank you|perfect|first|now|then|yes|no|just)\W+)*(?:"
    rf"(?:please|kindly|bitte|veuillez|merci de|por favor|vänligen|var (?:snäll|vänlig) och|graag|"
    rf"alstublieft|per favore|gentilmente)\W+(?:\w+\W+){{0,2}}?(?:{_INFO_VERB})"
    rf"|(?:can|could|would|may) (?:you|i (?:have|get))|let me know|tell me|(?:i|we)(?: will| would|'ll|’ll|'d)?(?: just| only| also| first)? need"
    rf"|könnten sie|können sie|geben sie|nennen sie|teilen sie|sagen sie mir|lassen sie mich wissen"
    rf"|pourriez-vous|pouvez-vous|pourrais-tu|peux-tu|dites-moi|indiquez|donnez-moi"
    rf"|podría usted|podrías|dígame|indíqueme|necesito"
    rf"|kan du|kan ni|skulle du|berätta|ange|jag behöver"
    rf"|kunt u|kun je|wilt u|laat (?:me|u me) weten|geef|ik heb .{{0,20}}nodig"
    rf"|potrebbe|mi dica|mi indichi|mi serve|ho bisogno"
    rf"|poderia|você pode|me diga|informe|preciso)\b", re.I)

# opening a confirmation request, or a short sentence that asks to confirm what came before
_CONFIRM_OPEN_RE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|sure|great|alright|so|thanks?|no problem)\W+)*(?:(?:please|just|can you|could you|"
    r"let me|let's|let us|i'd like to|i want to|to)\s+)?(?:confirm|verify|double[- ]check|recap)\b|"
    r"^\W*(?:just )?confirming|^\W*here(?:'s| is) what i (?:have|heard|got)|"
    r"^\W*(?:bitte )?(?:bestätigen|zur bestätigung|ich fasse zusammen)|^\W*(?:veuillez |pouvez-vous )?confirmer|"
    r"^\W*pour confirmer|^\W*(?:por favor,? )?confirm[ae]|^\W*para confirmar|^\W*(?:vänligen )?bekräfta|"
    r"^\W*för att bekräfta|^\W*(?:graag )?bevestig|^\W*ter bevestiging|^\W*(?:per favore,? )?conferm[ai]|"
    r"^\W*per conferma|^\W*(?:por favor,? )?confirm[ae]", re.I)
# "Okay, before we get started please confirm the following for me." anywhere in the sentence
_CONFIRM_ANY_RE = re.compile(
    r"\b(?:please|can you|could you|kindly|first|let me|let's|just) (?:\w+ )?(?:confirm|verify|double[- ]check)\b|"
    r"\bconfirm (?:the following|these|those|that|the details)|\bmake sure (?:that )?(?:i have|the details|everything)|"
    r"^\W*you can say\b|bitte bestätigen|veuillez confirmer|por favor,? confirme|vänligen bekräfta|"
    r"graag bevestigen|per favore,? confermi", re.I)
_CONFIRM_ASK_RE = re.compile(
    r"^\W*(?:(?:is|does|will|would) (?:that|this|everything|all of that|it)(?: all)? (?:be )?(?:correct|right|ok|okay|"
    r"fine|acceptable|alright|sound (?:good|right|ok)|work(?: for you)?)|"
    r"(?:please )?confirm|(?:correct|right|ok|okay|yes)\W*\?|"
    r"(?:ist|stimmt) (?:das|alles) (?:so )?(?:richtig|korrekt)?|stimmt das|bitte bestätigen|"
    r"(?:est-ce|c'est) (?:bien )?(?:correct|ça|exact)|(?:veuillez )?confirmer|"
    r"¿?(?:es|está) correcto|¿?correcto|¿?(?:lo )?confirma|"
    r"stämmer (?:det|detta)|är det (?:rätt|korrekt)|bekräfta|"
    r"klopt (?:dat|het|alles)|is dat (?:juist|correct)|bevestig|"
    r"è (?:corretto|giusto)|va bene|confermi|conferma|"
    r"(?:está|esta) correto|(?:está|esta) certo|confirma)\W*$", re.I)


# a question typed without its "?" ("..., is there anything else i can help you with today")
_STRONG_Q_RE = re.compile(
    r"\W*(?:is there|are there|anything else|can i|could i|may i|how (?:can|may) i|what (?:else )?can i|"
    r"gibt es noch|kann ich|puis-je|y a-t-il|puedo|hay algo|kan jag|finns det|kan ik|is er nog|posso|c'è altro|"
    r"posso|há mais)\b", re.I)


_TAG = CiPattern(_TAG_RE)
_SEG = CiPattern(_SEG_SPLIT)
_Q_OPEN_AT = CiPattern(_Q_OPEN_RE)
_STRONG_Q = CiPattern(_STRONG_Q_RE)


def _question_start(text: str, lo: int, hi: int) -> int:
    """Where the question of the sentence text[lo:hi] (ending in "?") begins: at the last clause that
    opens like a question, or the sentence start for a tag or declarative question."""
    body = text[lo:hi]
    tagged = body.rstrip().rstrip("?¿")
    if _TAG.search(tagged, lowered(tagged)):
        return lo
    low = lowered(body)
    cuts = [0] + [m.end() for m in _SEG.finditer(body, low)]
    for cut in reversed(cuts):
        if _Q_OPEN_AT.match(body, low, cut):
            return lo + cut
    return lo


def _unmarked_question(text: str, lo: int, hi: int) -> int | None:
    body = text[lo:hi]
    low = lowered(body)
    cuts = [0] + [m.end() for m in _SEG.finditer(body, low)]
    return lo + cuts[-1] if _STRONG_Q.match(body, low, cuts[-1]) else None


def asking_regions(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of every stretch of ``text`` that asks the customer something: questions, requests
    for information and confirmation requests."""
    out: list[tuple[int, int]] = []
    for i, (lo, hi) in enumerate(sentences):
        sent = text[lo:hi].strip()
        if not sent:
            continue
        if sent.endswith("?") or sent.startswith("¿"):
            out.append((_question_start(text, lo, hi), hi))
        elif (cut := _unmarked_question(text, lo, hi)) is not None:
            out.append((cut, hi))
        elif _REQUEST_RE.match(sent) or _CONFIRM_OPEN_RE.match(sent) or _CONFIRM_ANY_RE.search(sent):
            out.append((lo, hi))
            # "Please confirm: ... ." covers the recap that follows on the same line
            if sent.rstrip(".!").endswith(":") or re.search(r"(?i)confirm\w*\W*:", sent):
                for lo2, hi2 in sentences[i + 1:]:
                    if "\n" in text[hi:lo2]:
                        break
                    out.append((lo2, hi2))
        if i > 0 and len(sent) <= 40 and _CONFIRM_ASK_RE.match(sent):
            out.append(sentences[i - 1])  # "... for 2 at 7 pm on March 8th. Is that correct?"
    return out


def in_regions(pos: int, regions: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in regions)


# -- business events --------------------------------------------------------------------------------
_EVENT = re.compile(
    r"\b(?:deliver|arriv|ship|dispatch|sen[dt]\b|mail(?:ed)?\b|post(?:ed)?\b|courier|track|transit|"
    r"refund|reimburs|credit|charg|bill|invoic|pay|due\b|debit|deduct|process|return|exchang|replac|"
    r"cancel|renew|expir|valid|deadline|last(?:s)?\b|ends?\b|until\b|effective|start|begin|"
    r"appointment|reserv|book|schedul|open|clos|hours\b|available|availab|ready|pick(?:ed)? ?up|collect|"
    r"install|repair|technician|visit|call (?:you|back)|contact you|in touch|get back to you|follow[- ]?up|"
    r"repl(?:y|ies|ied)|respond|answer|"
    # de
    r"liefer|geliefert|zustell|zugestellt|versandt|verschickt|erstattet|ankomm|ankunft|versand|versend|verschick|erstatt|gutschrift|rückzahl|abbuch|belast|"
    r"rechnung|zahl|fällig|bearbeit|rücksend|rückgabe|umtausch|storn|kündig|verläng|abl[aä]uf|gültig|"
    r"frist|termin|reservier|buchung|gebucht|geöffnet|öffn|schließ|geschlossen|verfügbar|abhol|rückruf|"
    r"melden uns|"
    # fr
    r"livr|expédi|envoi|envoy|rembours|prélev|factur|paiement|échéan|traité|traitement|retour|échang|annul|"
    r"renouvel|expir|valable|délai|rendez-vous|réserv|ouvert|ouvr|ferm|disponib|retir|rappel|recontact|"
    # es
    r"entreg|lleg|envi(?:ar|ado|ada|amos|aremos|o|ó|amos)\b|reembols|abon|carg|cobr|pago|venc|proces|devol|cambi|caduc|válid|plazo|cita|"
    r"abiert|abre|cierr|cerrad|recog|llamar|"
    # sv
    r"lever|anländ|framme|skick|återbetal|debiter|faktur|betal|förfall|behandl|retur|byte|avbok|förnya|"
    r"går ut|giltig|bokning|tidsbokning|öppe|stäng|tillgänglig|hämta|ringa upp|"
    # nl
    r"bezorg|verzend|verstuur|terugbetal|afschrij|betaal|vervalt|verwerk|retour|ruil|annuler|verleng|"
    r"verloopt|geldig|afspraak|reserver|geopend|gesloten|sluit|beschikbaar|ophal|terugbel|"
    # it
    r"consegn|spedi|rimbors|addebit|fattur|pagament|scad|elabor|reso\b|restitu|sostitu|annull|rinnov|"
    r"valid|termine|appuntament|prenot|apert|chius|disponibil|ritir|richiam|"
    # pt
    r"cheg|reembols|cobran|fatur|pagament|venc|process|devolu|troca|cancel|renova|expir|"
    r"válid|prazo|agendament|consulta|reserva|abert|fech|disponív|retirad|ligar)", re.I)


_FAST_EVENT = CiPattern(_EVENT)


def business_event(text: str, start: int, end: int) -> bool:
    """Whether the clause around text[start:end] speaks of an event the business commits to."""
    lo, hi = clause_bounds(text, start, end)
    return _FAST_EVENT.search(text, lowered(text), lo, hi) is not None


# the agent asking the customer to wait: "one minute please", "give me a moment", "hold on"
_WAIT = re.compile(
    r"\b(?:please|hold(?: on)?|give me|bear with|allow me|let me|i'll|i will|we'll|just a|one (?:minute|second|moment)|"
    r"hang on|right back|bitte|einen moment|geben sie mir|un instant|veuillez patienter|donnez-moi|un momento|"
    r"deme|dame|espere|ett ögonblick|vänta|ge mig|een moment|geef me|wacht|un attimo|mi dia|attenda|"
    r"aguarde|me dê|um momento)\b", re.I)


def agent_wait(text: str, start: int, end: int) -> bool:
    """Whether the clause around text[start:end] is the agent asking the customer to wait."""
    lo, hi = clause_bounds(text, start, end)
    return _WAIT.search(text, lo, hi) is not None


# -- courtesy ----------------------------------------------------------------------------------------
_COURTESY = (
    "help helps helping helped assist assisting assisted assistance welcome pleasure glad happy sorry "
    "apologize apologise apologies apology inconvenience understand understood hope hoping enjoy rest day "
    "great good nice wonderful fantastic perfect fine lovely awesome terrible tough situation frustrating "
    "problem problems question questions thank thanks appreciate contacting reaching today moment "
    "moments minute second hold wait waiting patience bear anything everything something else further "
    "need needs take care bye goodbye morning afternoon evening weekend certainly definitely absolutely "
    "sure thing let know check checking look looking see hear hearing sounds able chat chatting shopping "
    "hello hey message messages contacting contacted reaching reached "
    # greetings and "thanks for contacting us today" in the other languages
    "hallo guten morgen abend heute nachricht kontaktieren kontaktiert bonjour bonsoir salut aujourd'hui "
    "contacter contacté contactée hola buenos buenas días hoy mensaje contactarnos contactar contactado "
    "hej idag meddelande kontakta kontakt hör dig hoi goedemorgen goedemiddag vandaag bericht contact "
    "opgenomen buongiorno buonasera ciao salve oggi messaggio contattato contattati contattarci averci "
    "olá oi bom boa hoje mensagem contato contatar tenha ótimo "
    # de
    "helfen hilfe gerne freut danke vielen dank entschuldigung leider verständnis tag schönen noch "
    "weiteres sonst moment bitte einen kleinen geduld wiederhören tschüss "
    # fr
    "aider aide plaisir ravi ravie désolé désolée merci excusez journée bonne autre chose instant "
    "patience bienvenue compréhension "
    # es
    "ayudar ayuda gusto encantado encantada lamento siento gracias disculpe día buen otra cosa momento "
    "paciencia bienvenido "
    # sv
    "hjälpa hjälp glad gärna ledsen tack ursäkta dag trevlig annat något ögonblick tålamod välkommen "
    # nl
    "helpen hulp graag blij sorry excuses dank bedankt dag fijne iets anders moment geduld welkom "
    # it
    "aiutare aiuto piacere lieto lieta spiacente grazie scusi giornata buona altro momento pazienza "
    "benvenuto "
    # pt
    "ajudar ajuda prazer feliz desculpe obrigado obrigada dia bom outra coisa momento paciência "
    "bem-vindo")
COURTESY_WORDS: frozenset[str] = frozenset(_COURTESY.split())

_ADDRESS_RE = re.compile(
    r"\b(?:i|i'm|i'll|i've|i'd|me|my|we|we're|we'll|we've|us|our|you|you're|you'll|you've|your|yours|"
    r"ich|mich|mir|wir|uns|sie|ihnen|ihr|ihre|du|dich|dir|je|j'|me|moi|nous|vous|votre|vos|tu|te|toi|"
    r"yo|me|nosotros|usted|ustedes|su|te|jag|mig|vi|oss|du|dig|ni|er|ik|mij|wij|we|u|uw|jij|je|io|mi|"
    r"noi|ci|lei|voi|eu|nós|você|vocês|te)\b", re.I)


_GREETING_RE = re.compile(
    r"\W*(?:hi|hello|hey|thanks|thank|have|enjoy|bye|goodbye|good (?:morning|afternoon|evening|day|bye)|welcome|"
    r"okay|ok|sure|great|perfect|dear|take care|hallo|guten|danke|schönen|bonjour|bonsoir|merci|bonne|hola|"
    r"gracias|buen[oa]s?|hej|tack|trevlig|hoi|dag|bedankt|fijne|ciao|salve|grazie|buon[ae]?|buongiorno|buonasera|"
    r"olá|obrigad[oa]|"
    r"tenha)\b", re.I)


def addresses_customer(text: str, lo: int, hi: int) -> bool:
    """Whether the sentence text[lo:hi] speaks to the customer: first or second person, or a greeting or
    sign-off ("Have a wonderful day", "Thanks for contacting Acme")."""
    return _ADDRESS_RE.search(text, lo, hi) is not None or _GREETING_RE.match(text, lo, hi) is not None
