"""Canonical genres: Google's BISAC-style categories and Open Library's subjects mapped onto one
documented taxonomy (README.md, "Genre taxonomy"), plus a fiction/nonfiction decision.

Only subjects that match a rule produce genres, so places, people, centuries and catalogue tags
fall away; the obvious catalogue tags are also removed from the raw subjects kept beside.
A rule names two variants of its genre, one for fiction and one for nonfiction ("History" in a
novel is "Historical Fiction"; "Magic" in a nonfiction book is no genre at all), so when the
sources disagree the fiction decision is made first and every piece of evidence is read in it.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

FictionLabel = Literal["fiction", "nonfiction"]


class Kind(enum.Enum):
    FICTION = "fiction"
    NONFICTION = "nonfiction"
    EITHER = "either"


@dataclasses.dataclass(frozen=True)
class Genre:
    name: str
    kind: Kind


GENRES: tuple[Genre, ...] = (
    # Fiction
    Genre("Fantasy", Kind.FICTION),
    Genre("Science Fiction", Kind.FICTION),
    Genre("Dystopian", Kind.FICTION),
    Genre("Mystery & Crime", Kind.FICTION),
    Genre("Thriller & Suspense", Kind.FICTION),
    Genre("Horror", Kind.FICTION),
    Genre("Romance", Kind.FICTION),
    Genre("Historical Fiction", Kind.FICTION),
    Genre("Literary Fiction", Kind.FICTION),
    Genre("Action & Adventure", Kind.FICTION),
    Genre("Westerns", Kind.FICTION),
    Genre("Short Stories", Kind.FICTION),
    # Either: audiences, forms and themes found on both sides
    Genre("Classics", Kind.EITHER),
    Genre("Young Adult", Kind.EITHER),
    Genre("Children's", Kind.EITHER),
    Genre("Graphic Novels & Comics", Kind.EITHER),
    Genre("Poetry", Kind.EITHER),
    Genre("Drama", Kind.EITHER),
    Genre("Humor", Kind.EITHER),
    Genre("Mythology & Folklore", Kind.EITHER),
    Genre("LGBTQ+", Kind.EITHER),
    Genre("Military & War", Kind.EITHER),
    # Nonfiction
    Genre("Biography & Memoir", Kind.NONFICTION),
    Genre("History", Kind.NONFICTION),
    Genre("True Crime", Kind.NONFICTION),
    Genre("Science", Kind.NONFICTION),
    Genre("Mathematics", Kind.NONFICTION),
    Genre("Computers & Programming", Kind.NONFICTION),
    Genre("Technology & Engineering", Kind.NONFICTION),
    Genre("Medicine", Kind.NONFICTION),
    Genre("Health & Fitness", Kind.NONFICTION),
    Genre("Psychology", Kind.NONFICTION),
    Genre("Philosophy", Kind.NONFICTION),
    Genre("Religion & Spirituality", Kind.NONFICTION),
    Genre("Self-Help", Kind.NONFICTION),
    Genre("Business & Economics", Kind.NONFICTION),
    Genre("Politics & Government", Kind.NONFICTION),
    Genre("Social Science", Kind.NONFICTION),
    Genre("Law", Kind.NONFICTION),
    Genre("Education", Kind.NONFICTION),
    Genre("Language & Linguistics", Kind.NONFICTION),
    Genre("Literary Criticism", Kind.NONFICTION),
    Genre("Essays & Letters", Kind.NONFICTION),
    Genre("Reference", Kind.NONFICTION),
    Genre("Art & Design", Kind.NONFICTION),
    Genre("Photography", Kind.NONFICTION),
    Genre("Music", Kind.NONFICTION),
    Genre("Performing Arts", Kind.NONFICTION),
    Genre("Travel", Kind.NONFICTION),
    Genre("Nature & Animals", Kind.NONFICTION),
    Genre("Cooking & Food", Kind.NONFICTION),
    Genre("Home & Garden", Kind.NONFICTION),
    Genre("Crafts & Hobbies", Kind.NONFICTION),
    Genre("Sports & Recreation", Kind.NONFICTION),
    Genre("Parenting & Family", Kind.NONFICTION),
)
GENRE_NAMES = frozenset(g.name for g in GENRES)
GENRE_KINDS = {g.name: g.kind for g in GENRES}

# At most this many genres per book, the best supported first.
MAX_GENRES = 5
# From this many meaningful Open Library subjects on, a genre that a single subject suggests
# (and Google does not) is an aside, not what the book is about.
LONG_SUBJECT_LIST = 12
# Raw subjects kept per book, in source order.
MAX_RAW_SUBJECTS = 50


@dataclasses.dataclass(frozen=True)
class Rule:
    """A topic: the genre it means in fiction and in nonfiction (None: no genre there)."""

    pattern: re.Pattern[str]
    fiction: str | None
    nonfiction: str | None

    def variant(self, label: FictionLabel) -> str | None:
        return self.fiction if label == "fiction" else self.nonfiction

    @property
    def kind(self) -> Kind:
        if self.fiction and not self.nonfiction:
            return Kind.FICTION
        if self.nonfiction and not self.fiction:
            return Kind.NONFICTION
        return Kind.EITHER


def _rule(words: str, fiction: str | None, nonfiction: str | None) -> Rule:
    return Rule(re.compile(rf"\b(?:{words})"), fiction, nonfiction)


def _both(words: str, genre: str) -> Rule:
    return _rule(words, genre, genre)


# Order matters: a match consumes its words, so specific phrases come before the general words
# they contain ("science fiction" before "science", "history and criticism" before "history").
TOPIC_RULES: tuple[Rule, ...] = (
    _rule(r"true crime", "Mystery & Crime", "True Crime"),
    _rule(
        r"science fiction|sci-fi|space opera|star wars|star trek|cyberpunk|time travel|life on other planets"
        r"|interplanetary|space warfare|extraterrestrial|robots\b|androids\b|alien contact",
        "Science Fiction",
        None,
    ),
    _rule(r"dystopi|post-apocalyptic|utopias", "Dystopian", None),
    _rule(
        r"fantasy|magic\b|wizards?\b|witch|dragons?\b|elves\b|dwarfs\b|dwarves\b"
        r"|imaginary wars and battles|sword and sorcery|paranormal",
        "Fantasy",
        None,
    ),
    _both(r"fairy tales|folklore|mytholog|myths\b|legends\b", "Mythology & Folklore"),
    _rule(r"horror|ghost stor|ghosts\b|vampires?\b|werewolves\b|zombies\b|haunted", "Horror", None),
    _rule(r"law\b|legal\b|constitutional|courts\b|criminal justice|jurisprudence", None, "Law"),
    _rule(
        r"detective|myster|private investigators|police procedural|crime\b|murder|criminals\b"
        r"|homicide|serial murder",
        "Mystery & Crime",
        "True Crime",
    ),
    _rule(
        r"thriller|suspense|espionage|spy stor|spies\b|secret service|conspiracies",
        "Thriller & Suspense",
        None,
    ),
    _rule(r"romance|love stor|romantic", "Romance", None),
    _rule(
        r"literary criticism|criticism and interpretation|history and criticism|criticism\b",
        None,
        "Literary Criticism",
    ),
    _rule(r"biographical", "Historical Fiction", "Biography & Memoir"),
    _rule(r"historical fiction|histor", "Historical Fiction", "History"),
    _rule(
        r"action (?:&|and) adventure|adventure stor|adventure and adventurers|sea stor|quests\b"
        r"|adventure\b",
        "Action & Adventure",
        None,
    ),
    _rule(r"westerns?\b|western stor|cowboys\b|frontier and pioneer life", "Westerns", "History"),
    _rule(
        r"literary\b|psychological fiction|domestic fiction|bildungsroman|coming of age"
        r"|magical realism",
        "Literary Fiction",
        None,
    ),
    _rule(r"family life", "Literary Fiction", "Parenting & Family"),
    _rule(r"psycholog", "Literary Fiction", "Psychology"),
    _both(r"classics?\b|classic literature|classical literature", "Classics"),
    _rule(r"short stor", "Short Stories", None),
    _both(r"young adult|teen\b|teenagers?\b", "Young Adult"),
    _both(
        r"juvenile (?:fiction|literature|poetry|drama|nonfiction|humor)|children'?s"
        r"|picture books|juvenile\b(?! delinquen)",
        "Children's",
    ),
    _both(
        r"graphic novels?|comic books|comics\b|manga\b|cartoons and comics|comic strips",
        "Graphic Novels & Comics",
    ),
    _both(r"poetry|poems\b|verse\b|sonnets|haiku", "Poetry"),
    _both(r"drama\b|plays\b|tragedies|tragedy\b", "Drama"),
    _rule(
        r"performing arts|theater|theatre|motion pictures|film\b|films\b|television|acting\b|dance\b",
        None,
        "Performing Arts",
    ),
    _both(r"humor|humour|humorous|wit and humor|satire|parodies|comedy\b", "Humor"),
    _both(r"lgbt|gay\b|gays\b|lesbian|bisexual|transgender|queer|homosexuality", "LGBTQ+"),
    _both(
        r"war\b|wars\b|military|soldiers\b|battles\b|armed forces|warfare|army\b|navy\b",
        "Military & War",
    ),
    _rule(
        r"biography|autobiograph|memoirs?\b|diaries\b|personal narratives|correspondence",
        None,
        "Biography & Memoir",
    ),
    _rule(r"essays|speeches|addresses|letters\b", None, "Essays & Letters"),
    _rule(
        r"philosoph|ethics|metaphysics|stoics|existentialism|epistemology|logic\b",
        None,
        "Philosophy",
    ),
    _rule(
        r"religio|christian|bible|god\b|theolog|church|spiritual|buddhis|islam|judaism|hindu"
        r"|prayer|faith\b|occult|new age|meditation|body, mind & spirit",
        None,
        "Religion & Spirituality",
    ),
    _rule(
        r"self-help|self help|self-actualization|success\b|conduct of life|happiness|habits?\b"
        r"|motivation|personal growth|self-improvement|time management",
        None,
        "Self-Help",
    ),
    _rule(
        r"business|economic|management\b|finance|financial|investments?\b|investing"
        r"|entrepreneur|marketing|leadership|money\b|capitalism|industries|labor\b",
        None,
        "Business & Economics",
    ),
    _rule(
        r"political|politics|government|democracy|public policy|social policy|conservatism"
        r"|liberalism|elections|international relations|geopolitics|civil rights|public welfare",
        None,
        "Politics & Government",
    ),
    _rule(
        r"sociology|social science|social conditions|social classes|social problems"
        r"|race relations|racism|race\b|anthropology|poverty|poor\b|popular culture|feminism"
        r"|women'?s studies|gender|demography|ethnic",
        None,
        "Social Science",
    ),
    _rule(r"mathemat|statistics|probabilit|algebra|geometry|calculus", None, "Mathematics"),
    _rule(
        r"computer|programming|software|algorithms|artificial intelligence|machine learning"
        r"|internet\b|data processing",
        None,
        "Computers & Programming",
    ),
    _rule(
        r"technolog|engineering|inventions|transportation|electronics|aeronautics",
        None,
        "Technology & Engineering",
    ),
    _rule(
        r"medicine|medical|diseases|physicians|surgery|nursing|psychiatry|cancer\b|epidemics",
        None,
        "Medicine",
    ),
    _rule(
        r"health|fitness|nutrition|diet\b|exercise\b|weight loss|wellness", None, "Health & Fitness"
    ),
    _rule(
        r"cooking|cookery|cookbooks|recipes|food\b|baking|wine\b|beverages|gastronomy",
        None,
        "Cooking & Food",
    ),
    _rule(r"travel|voyages|guidebooks", None, "Travel"),
    _rule(
        r"sports?\b|baseball|football|basketball|soccer|running\b|mountaineering"
        r"|outdoor recreation|martial arts|golf\b|tennis\b|cycling",
        None,
        "Sports & Recreation",
    ),
    _rule(r"photograph", None, "Photography"),
    _rule(r"music|musicians|songs\b|jazz\b|opera\b", None, "Music"),
    _rule(
        r"arts?\b|painting|painters|sculpture|design\b|architecture|drawing\b|illustration",
        None,
        "Art & Design",
    ),
    _rule(
        r"science|physics|chemistry|biology|astronomy|cosmology|evolution|genetic|neuroscience|quantum",
        None,
        "Science",
    ),
    _rule(r"education|teaching|study aids|textbooks", None, "Education"),
    _rule(
        r"language\b|languages\b|linguistics|grammar|vocabulary|rhetoric|authorship",
        None,
        "Language & Linguistics",
    ),
    _rule(r"reference|dictionaries|encyclopedias|handbooks|almanacs|atlases", None, "Reference"),
    _rule(
        r"nature\b|natural history|animals|birds\b|plants\b|wildlife|ecology|environment|climat"
        r"|pets\b|dogs\b|cats\b|oceans?\b|marine",
        None,
        "Nature & Animals",
    ),
    _rule(
        r"crafts|handicraft|knitting|sewing|quilting|woodwork|hobbies|games\b|puzzles|chess\b"
        r"|collectibles|antiques",
        None,
        "Crafts & Hobbies",
    ),
    _rule(
        r"gardening|house (?:&|and) home|interior decoration|home improvement",
        None,
        "Home & Garden",
    ),
    _rule(
        r"parenting|child rearing|families|marriage|relationships|motherhood|fatherhood"
        r"|child development",
        None,
        "Parenting & Family",
    ),
)


@dataclasses.dataclass(frozen=True)
class Heading:
    """A BISAC top-level heading: its own genre variants, its vote, and whether the next level
    of the path names the genre ("Fiction / Fantasy / Epic")."""

    fiction: str | None
    nonfiction: str | None
    vote: Kind
    read_next_level: bool = False

    def variant(self, label: FictionLabel) -> str | None:
        return self.fiction if label == "fiction" else self.nonfiction


def _nf(genre: str, fiction_variant: str | None = None) -> Heading:
    return Heading(fiction_variant, genre, Kind.NONFICTION)


BISAC_HEADINGS: dict[str, Heading] = {
    "antiques & collectibles": _nf("Crafts & Hobbies"),
    "architecture": _nf("Art & Design"),
    "art": _nf("Art & Design"),
    "bibles": _nf("Religion & Spirituality"),
    "biography & autobiography": _nf("Biography & Memoir", "Historical Fiction"),
    "body, mind & spirit": _nf("Religion & Spirituality"),
    "business & economics": _nf("Business & Economics"),
    "comics & graphic novels": Heading(
        "Graphic Novels & Comics", "Graphic Novels & Comics", Kind.EITHER, True
    ),
    "computers": _nf("Computers & Programming"),
    "cooking": _nf("Cooking & Food"),
    "crafts & hobbies": _nf("Crafts & Hobbies"),
    "design": _nf("Art & Design"),
    "drama": Heading("Drama", "Drama", Kind.EITHER),
    "education": _nf("Education"),
    "family & relationships": _nf("Parenting & Family"),
    "fiction": Heading(None, None, Kind.FICTION, True),
    "foreign language study": _nf("Language & Linguistics"),
    "games & activities": _nf("Crafts & Hobbies"),
    "gardening": _nf("Home & Garden"),
    "health & fitness": _nf("Health & Fitness"),
    "history": _nf("History", "Historical Fiction"),
    "house & home": _nf("Home & Garden"),
    "humor": Heading("Humor", "Humor", Kind.EITHER),
    "juvenile fiction": Heading("Children's", "Children's", Kind.FICTION, True),
    "juvenile nonfiction": Heading("Children's", "Children's", Kind.NONFICTION, True),
    "language arts & disciplines": _nf("Language & Linguistics"),
    "law": _nf("Law"),
    "literary collections": Heading(None, "Essays & Letters", Kind.EITHER),
    "literary criticism": _nf("Literary Criticism"),
    "mathematics": _nf("Mathematics"),
    "medical": _nf("Medicine"),
    "music": _nf("Music"),
    "nature": _nf("Nature & Animals"),
    "performing arts": _nf("Performing Arts"),
    "pets": _nf("Nature & Animals"),
    "philosophy": _nf("Philosophy"),
    "photography": _nf("Photography"),
    "poetry": Heading("Poetry", "Poetry", Kind.EITHER),
    "political science": _nf("Politics & Government"),
    "psychology": _nf("Psychology"),
    "reference": _nf("Reference"),
    "religion": _nf("Religion & Spirituality"),
    "science": _nf("Science"),
    "self-help": _nf("Self-Help"),
    "social science": _nf("Social Science"),
    "sports & recreation": _nf("Sports & Recreation"),
    "study aids": _nf("Education"),
    "technology & engineering": _nf("Technology & Engineering"),
    "transportation": _nf("Technology & Engineering"),
    "travel": _nf("Travel"),
    "true crime": _nf("True Crime", "Mystery & Crime"),
    "young adult fiction": Heading("Young Adult", "Young Adult", Kind.FICTION, True),
    "young adult nonfiction": Heading("Young Adult", "Young Adult", Kind.NONFICTION, True),
}

# --- Noise -----------------------------------------------------------------------------------

CATALOGUE_TAGS = frozenset(
    {
        "accessible book",
        "protected daisy",
        "in library",
        "large type books",
        "large print books",
        "lending library",
        "reviewed",
        "new york times reviewed",
        "new york times bestseller",
        "open library staff picks",
        "overdrive",
        "internet archive wishlist",
        "long now manual for civilization",
        "staff picks",
        "general",
    }
)
# "nyt:hardcover-fiction=2008-09-14", "series:Harry_Potter", "award:…", "place:…", "time:…".
_TAG_PREFIX = re.compile(r"^[a-z_]+:\S")
_PERSON_OR_IMAGINARY = re.compile(
    r"\((?:fictitious|imaginary|legendary|mythical|fictional)[^)]*\)", re.IGNORECASE
)
# A name heading with life dates: "Lincoln, Abraham, 1809-1865", "Capote, Truman, 1924-1984".
_LIFE_DATES = re.compile(r",\s*(?:\d{3,4}\??-(?:\d{3,4})?|b\.\s*\d|d\.\s*\d|ca\.\s*\d|fl\.\s*\d)")
_QUALIFIER = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")

_FICTION_MARKERS = re.compile(
    r"(?<!non-)(?<!non)\bfiction\b|\bnovels?\b|\bstories\b|\btales\b|\bbildungsroman"
)
_NONFICTION_MARKERS = re.compile(
    r"\bnon-?fiction\b|\bbiography\b|\bautobiography\b|\bpersonal narratives\b"
    r"|\bjuvenile literature\b|\bcase studies\b|\btextbooks\b|\bpopular works\b"
    r"|\bhandbooks, manuals\b|\bstudy and teaching\b|\bdescription and travel\b"
    r"|\bcriticism and interpretation\b|\bhistory and criticism\b"
)


def is_catalogue_noise(subject: str) -> bool:
    text = subject.strip().casefold()
    return not text or text in CATALOGUE_TAGS or bool(_TAG_PREFIX.match(text))


# --- Reading one subject ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What one subject or category says: genre rules hit, and how it leans."""

    rules: tuple[Rule | Heading, ...]
    lean: Kind  # FICTION, NONFICTION or EITHER (no lean)
    from_bisac: bool


def _bisac_path(subject: str) -> list[str] | None:
    """The parts of a BISAC-style heading, slash form ("Fiction / Fantasy / Epic") or Open
    Library's comma form ("Fiction, fantasy, epic"); None when the subject is not one."""
    text = subject.strip().casefold()
    if text in BISAC_HEADINGS:
        return [text]
    for separator in (" / ", "/", ", "):
        if separator in text:
            parts = [p.strip() for p in text.split(separator) if p.strip()]
            if parts and parts[0] in BISAC_HEADINGS:
                return parts
            # "Body, Mind & Spirit / …" has a comma inside its heading
            if separator == ", " and len(parts) > 1 and ", ".join(parts[:2]) in BISAC_HEADINGS:
                return [", ".join(parts[:2]), *parts[2:]]
    return None


def _topic_rules(text: str) -> list[Rule]:
    hits: list[Rule] = []
    remaining = f" {text} "
    for rule in TOPIC_RULES:
        if rule.pattern.search(remaining):
            hits.append(rule)
            remaining = rule.pattern.sub(" ", remaining)
    return hits


def _lean(text: str) -> Kind:
    if _FICTION_MARKERS.search(text):
        return Kind.FICTION
    if _NONFICTION_MARKERS.search(text):
        return Kind.NONFICTION
    return Kind.EITHER


def read_subject(subject: str) -> Evidence | None:
    """The evidence in one subject, or None when it is noise."""
    if is_catalogue_noise(subject):
        return None
    path = _bisac_path(subject)
    if path is not None:
        heading = BISAC_HEADINGS[path[0]]
        rules: list[Rule | Heading] = [heading]
        if heading.read_next_level:
            next_level = next((p for p in path[1:] if p != "general"), None)
            if next_level:
                rules.extend(_topic_rules(next_level))
        return Evidence(tuple(rules), heading.vote, from_bisac=True)

    lowered = subject.casefold()
    found: list[Rule | Heading] = []
    for part in re.split(r"\s*--\s*", lowered):
        if not part or _PERSON_OR_IMAGINARY.search(part) or _LIFE_DATES.search(part):
            continue  # a person, a fictitious character, an imaginary place
        qualified = _QUALIFIER.match(part)
        # "Evolution (Biology)" is about biology; "London (England)" about nothing we map.
        found.extend(_topic_rules(qualified.group(2) if qualified else part))
    cleaned = _PERSON_OR_IMAGINARY.sub(" ", lowered)
    return Evidence(tuple(found), _lean(cleaned), from_bisac=False)


# --- Reading a book --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Classification:
    genres: tuple[str, ...]
    fiction: FictionLabel | None
    raw_subjects: tuple[str, ...]


def _vote(evidence: Iterable[Evidence], *, with_rules: bool) -> FictionLabel | None:
    """Fiction or nonfiction by weighted majority: a subject's own lean counts 2, the kind of a
    genre it names counts 1; a tie decides nothing."""
    score = Counter[Kind]()
    for item in evidence:
        if item.lean is not Kind.EITHER:
            score[item.lean] += 2
        if with_rules and not item.from_bisac:
            for rule in item.rules:
                if isinstance(rule, Rule) and rule.kind is not Kind.EITHER:
                    score[rule.kind] += 1
    if score[Kind.FICTION] > score[Kind.NONFICTION]:
        return "fiction"
    if score[Kind.NONFICTION] > score[Kind.FICTION]:
        return "nonfiction"
    return None


def _reading(lean: Kind, decision: FictionLabel | None, rule: Rule | Heading) -> str | None:
    label: FictionLabel | None = decision
    if label is None and lean is not Kind.EITHER:
        label = "fiction" if lean is Kind.FICTION else "nonfiction"
    if label is None:  # undecided book, neutral subject: the rule's own sense
        return rule.nonfiction or rule.fiction
    return rule.variant(label)


def classify(categories: Sequence[str], subjects: Sequence[str]) -> Classification:
    """Genres, fiction and raw subjects of a book from Google `categories` (curated BISAC) and
    Open Library `subjects` (crowd-sourced, long, noisy).

    The fiction decision: Google's categories when they lean, else Open Library's subjects;
    then every rule hit is read as fiction or nonfiction accordingly. Genres are ranked by
    support (a Google category counts 3, a subject 1), at most MAX_GENRES of them; in a long
    subject list a genre that one subject alone suggests is dropped.
    """
    google = [e for e in (read_subject(c) for c in categories) if e is not None]
    openlibrary = [e for e in (read_subject(s) for s in subjects) if e is not None]

    decision = _vote(google, with_rules=False) or _vote(openlibrary, with_rules=True)
    if decision is None:
        decision = _vote(google + openlibrary, with_rules=True)

    support: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for weight, evidence in ((3, google), (1, openlibrary)):
        for item in evidence:
            for rule in item.rules:
                genre = _reading(item.lean, decision, rule)
                if genre is None:
                    continue
                support[genre] += weight
                first_seen.setdefault(genre, len(first_seen))
    long_list = len(openlibrary) >= LONG_SUBJECT_LIST
    ranked = sorted(
        (g for g in support if support[g] >= 2 or not long_list),
        key=lambda g: (-support[g], first_seen[g]),
    )[:MAX_GENRES]

    if decision is None and ranked:
        kinds = {GENRE_KINDS[g] for g in ranked} - {Kind.EITHER}
        if len(kinds) == 1:
            decision = "fiction" if kinds == {Kind.FICTION} else "nonfiction"

    raw = tuple(
        dict.fromkeys(s.strip() for s in (*subjects, *categories) if not is_catalogue_noise(s))
    )[:MAX_RAW_SUBJECTS]
    return Classification(genres=tuple(ranked), fiction=decision, raw_subjects=raw)
