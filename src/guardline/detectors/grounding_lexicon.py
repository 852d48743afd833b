"""Word tables for the grounding detector, in English, German, French, Spanish, Swedish, Dutch, Italian
and Portuguese: number words, time units, months, weekdays, negation cues, currencies, stop words.

Data only. Every key is lower case and accent-bearing forms are listed as written.
"""

from __future__ import annotations

__all__ = [
    "CURRENCY_WORDS",
    "MONTHS",
    "NEGATIONS",
    "NUMBER_WORDS",
    "PERCENT_WORDS",
    "SPECIAL_DURATIONS",
    "STOPWORDS",
    "UNITS",
    "WEEKDAYS",
]

# 0..20, tens, and a few fixed quantities, per language (merged: collisions agree on the value).
NUMBER_WORDS: dict[str, float] = {}
_NUMBERS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen twenty",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
          "sechzehn siebzehn achtzehn neunzehn zwanzig",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
          "dix-sept dix-huit dix-neuf vingt",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
          "dieciséis diecisiete dieciocho diecinueve veinte",
    "sv": "noll ett två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton sjutton "
          "arton nitton tjugo",
    "nl": "nul één twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien "
          "zestien zeventien achttien negentien twintig",
    "it": "zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici "
          "quindici sedici diciassette diciotto diciannove venti",
    "pt": "zero um dois três quatro cinco seis sete oito nove dez onze doze treze catorze quinze dezesseis "
          "dezessete dezoito dezenove vinte",
}
for _words in _NUMBERS.values():
    for _i, _w in enumerate(_words.split()):
        NUMBER_WORDS.setdefault(_w, float(_i))
NUMBER_WORDS.update({
    # alternative forms and articles used as "one"
    "a": 1, "an": 1, "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "une": 1, "una": 1, "en": 1,
    "een": 1, "uma": 1, "uno": 1, "um": 1, "quatorze": 14, "dezasseis": 16, "dezassete": 17,
    "dezanove": 19, "dos": 2, "duas": 2, "dieci": 10,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000,
    "dreißig": 30, "dreissig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "neunzig": 90,
    "hundert": 100, "tausend": 1000,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "mille": 1000,
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "noventa": 90, "cien": 100, "mil": 1000,
    "trettio": 30, "fyrtio": 40, "femtio": 50, "sextio": 60, "nittio": 90, "hundra": 100, "tusen": 1000,
    "dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "negentig": 90, "honderd": 100,
    "duizend": 1000,
    "trenta": 30, "quaranta": 40, "cinquanta": 50, "sessanta": 60, "novanta": 90, "cento": 100,
    "trinta": 30, "quarenta": 40, "cinquenta": 50, "sessenta": 60, "cem": 100,
    "dozen": 12, "dutzend": 12, "douzaine": 12, "docena": 12, "dussin": 12, "dozijn": 12, "dozzina": 12,
    "dúzia": 12, "couple": 2, "pair": 2, "paar": 2, "half": 0.5, "halb": 0.5, "halbe": 0.5,
    "halben": 0.5, "demi": 0.5, "demie": 0.5, "media": 0.5, "medio": 0.5, "halv": 0.5, "halvt": 0.5,
    "halve": 0.5, "halftime": 0.5, "mezza": 0.5, "mezzo": 0.5, "meia": 0.5, "meio": 0.5,
    "double": 2, "twice": 2, "triple": 3,
})

# unit word -> (dimension, size in the dimension's base unit: minutes for time)
UNITS: dict[str, tuple[str, float]] = {}
_MIN, _HOUR, _DAY, _WEEK, _MONTH, _YEAR = 1.0, 60.0, 1440.0, 10080.0, 43200.0, 525600.0
for _unit, _size, _forms in (
    ("time", _MIN, "minute minutes min mins minuten minute minutos minuto minuter minut minuti"),
    ("time", _HOUR, "hour hours hr hrs h stunde stunden std heure heures hora horas timme timmar "
                    "uur uren ora ore"),
    ("time", _DAY, "day days tag tage tagen werktag werktage werktagen arbeitstag arbeitstage "
                   "arbeitstagen jour jours día días dia dias dag dagar dagen werkdag werkdagen "
                   "giorno giorni vardag vardagar bankdag bankdagar"),
    ("time", _WEEK, "week weeks woche wochen semaine semaines semana semanas vecka veckor weken "
                    "settimana settimane"),
    ("time", _MONTH, "month months monat monate monaten mois mes meses månad månader maand maanden "
                     "mese mesi"),
    ("time", _YEAR, "year years jahr jahre jahren an ans année années año años ano anos år åren jaar "
                    "jaren anno anni"),
):
    for _f in _forms.split():
        UNITS.setdefault(_f, (_unit, _size))

# fixed expressions -> minutes
SPECIAL_DURATIONS: dict[str, float] = {
    "fortnight": 14 * _DAY, "a fortnight": 14 * _DAY, "two weeks": 14 * _DAY,
    "quinzaine": 14 * _DAY, "une quinzaine de jours": 14 * _DAY, "quincena": 14 * _DAY,
    "una quincena": 14 * _DAY, "quindicina": 14 * _DAY, "quinzena": 14 * _DAY, "uma quinzena": 14 * _DAY,
    "half an hour": 30.0, "half hour": 30.0, "a half hour": 30.0, "halbe stunde": 30.0,
    "eine halbe stunde": 30.0, "une demi-heure": 30.0, "demi-heure": 30.0, "media hora": 30.0,
    "una media hora": 30.0, "en halvtimme": 30.0, "halvtimme": 30.0, "ett halvt dygn": 12 * _HOUR,
    "een half uur": 30.0, "half uur": 30.0, "mezz'ora": 30.0, "mezzora": 30.0, "meia hora": 30.0,
    "a quarter of an hour": 15.0, "quarter of an hour": 15.0, "quarter hour": 15.0,
    "viertelstunde": 15.0, "eine viertelstunde": 15.0, "un quart d'heure": 15.0, "quart d'heure": 15.0,
    "un cuarto de hora": 15.0, "en kvart": 15.0, "een kwartier": 15.0, "kwartier": 15.0,
    "un quarto d'ora": 15.0, "um quarto de hora": 15.0,
    "dygn": _DAY, "ett dygn": _DAY, "overnight": _DAY, "over night": _DAY,
}

MONTHS: dict[str, int] = {}
_MONTH_NAMES = {
    "en": "january february march april may june july august september october november december",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}
for _names in _MONTH_NAMES.values():
    for _i, _m in enumerate(_names.split()):
        MONTHS.setdefault(_m, _i + 1)
MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
               "sept": 9, "oct": 10, "nov": 11, "dec": 12, "maerz": 3, "marz": 3, "fevrier": 2,
               "aout": 8, "decembre": 12, "marco": 3})

WEEKDAYS: dict[str, int] = {}
_DAY_NAMES = {
    "en": "monday tuesday wednesday thursday friday saturday sunday",
    "de": "montag dienstag mittwoch donnerstag freitag samstag sonntag",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
    "sv": "måndag tisdag onsdag torsdag fredag lördag söndag",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica",
    "pt": "segunda terça quarta quinta sexta sábado domingo",
}
for _names in _DAY_NAMES.values():
    for _i, _d in enumerate(_names.split()):
        WEEKDAYS.setdefault(_d, _i)
WEEKDAYS.update({"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4,
                 "sat": 5, "sun": 6, "sonnabend": 5, "lunedi": 0, "martedi": 1, "mercoledi": 2,
                 "giovedi": 3, "venerdi": 4, "miercoles": 2, "sabado": 5, "terca": 1,
                 "segunda-feira": 0, "terça-feira": 1, "quarta-feira": 2, "quinta-feira": 3,
                 "sexta-feira": 4})

NEGATIONS: frozenset[str] = frozenset(
    "not no never without lacks lack lacking neither nor cannot can't don't doesn't didn't isn't aren't "
    "won't wasn't weren't haven't hasn't n't none "
    "nicht kein keine keinen keinem keiner nie ohne "
    "pas ne n' jamais sans aucun aucune "
    "sin nunca ningún ninguna tampoco "
    "inte ingen inget inga aldrig utan ej "
    "niet geen nooit zonder "
    "non nessun nessuna senza mai "
    "não nao nenhum nenhuma sem nunca".split())

PERCENT_WORDS: frozenset[str] = frozenset(
    "percent pct prozent pourcent pour-cent porciento procent procento percento per-cento "
    "porcento".split()) | {"per cent", "por ciento", "por cento", "pour cent"}  # never "per" alone: "$99 per year"

# currency symbol / code / word -> ISO code
CURRENCY_WORDS: dict[str, str] = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "dólares": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "kr": "SEK", "kr.": "SEK", "sek": "SEK", "kronor": "SEK", "krona": "SEK",
    "chf": "CHF", "r$": "BRL", "brl": "BRL", "reais": "BRL",
    "¥": "JPY", "jpy": "JPY", "dkk": "DKK", "nok": "NOK", "cad": "CAD", "aud": "AUD",
}

STOPWORDS: frozenset[str] = frozenset(
    # en
    "the a an and or but of to in on at for with by from as is are was were be been being it its this "
    "that these those there their they them he she his her we our you your i me my us can could will "
    "would should may might must do does did done has have had having which who whom what when where "
    "why how also than then so such very just more most some any all each other into about over after "
    "before up out if only own same too not no yes here both between through during per while "
    "shall well i'm i've i'll i'd it's that's there's here's what's let's you're you've you'll you'd "
    "we're we've we'll we'd they're they've they'll he's she's".split()
    # de
    + "der die das den dem des ein eine einer einen und oder aber mit von zu im am an auf für ist sind "
    "war wird werden hat haben sie wir ihr ihre ihnen es bei nach aus wie auch noch nur".split()
    # fr
    + "le la les un une des et ou mais de du au aux en dans sur pour avec par est sont était sera vous "
    "nous votre vos il elle ils elles ce cette ces qui que se sa son ses leur".split()
    # es
    + "el los las unos unas y o pero del al con por para es son está están fue será usted su sus "
    "nuestro nuestra que se lo le".split()
    # sv
    + "och eller men av till i på för med är var blir har hade ni vi din ditt dina er ert det den de som "
    "om att".split()
    # nl
    + "de het een en of maar van tot in op voor met is zijn was wordt heeft hebben u uw we wij ons onze "
    "die dat er als".split()
    # it
    + "il lo gli una e o ma di da in su per con è sono era sarà lei suo sua vostro nostro che si".split()
    # pt
    + "o os as um uma e ou mas do da dos das no na em por para com é são foi será você seu sua nosso "
    "que se".split())
