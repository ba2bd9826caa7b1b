"""The genre taxonomy on realistic subject lists, including ones where the sources disagree."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.book_processor.taxonomy import (
    BISAC_HEADINGS,
    GENRE_NAMES,
    GENRES,
    MAX_GENRES,
    TOPIC_RULES,
    classify,
    is_catalogue_noise,
)
from tests.support.upstream_server import FixtureBook

README = Path(__file__).resolve().parents[2] / "services" / "book_processor" / "README.md"


def from_fixture(book: FixtureBook) -> tuple[list[str], list[str]]:
    categories = (book.google_volume or {}).get("volumeInfo", {}).get("categories", [])
    subjects = (book.search_doc or {}).get("subject", []) or (book.work or {}).get("subjects", [])
    return list(categories), list(subjects)


def test_the_taxonomy_has_between_thirty_and_sixty_genres_and_every_rule_names_one_of_them() -> (
    None
):
    assert 30 <= len(GENRES) <= 60
    assert len(GENRE_NAMES) == len(GENRES)
    named = {g for rule in TOPIC_RULES for g in (rule.fiction, rule.nonfiction) if g}
    named |= {g for h in BISAC_HEADINGS.values() for g in (h.fiction, h.nonfiction) if g}
    assert named <= GENRE_NAMES


def test_every_bisac_top_level_heading_is_known() -> None:
    assert len(BISAC_HEADINGS) >= 50
    for heading in (
        "fiction",
        "juvenile fiction",
        "young adult fiction",
        "history",
        "true crime",
        "biography & autobiography",
        "comics & graphic novels",
        "self-help",
        "cooking",
    ):
        assert heading in BISAC_HEADINGS


@pytest.mark.parametrize(
    ("book", "genres", "fiction"),
    [
        ("harry-potter-philosophers-stone", ("Fantasy", "Children's"), "fiction"),
        ("the-hobbit", ("Fantasy",), "fiction"),
        ("dune", ("Science Fiction",), "fiction"),
        ("in-cold-blood", ("True Crime",), "nonfiction"),
        ("wolf-hall", ("Historical Fiction",), "fiction"),
        ("leaves-of-grass", ("Poetry",), None),
        ("salt-fat-acid-heat", ("Cooking & Food",), "nonfiction"),
        ("losing-ground", ("Politics & Government",), "nonfiction"),
        ("meditations", ("Philosophy",), "nonfiction"),
    ],
)
def test_realistic_books_map_onto_their_genres(
    fixture_books: dict[str, FixtureBook],
    book: str,
    genres: tuple[str, ...],
    fiction: str | None,
) -> None:
    result = classify(*from_fixture(fixture_books[book]))

    assert result.genres[: len(genres)] == genres
    assert result.fiction == fiction
    assert len(result.genres) <= MAX_GENRES


def test_catalogue_noise_places_people_and_centuries_make_no_genre() -> None:
    result = classify(
        [],
        [
            "Large type books",
            "Accessible book",
            "Protected DAISY",
            "In library",
            "nyt:hardcover-fiction=2008-09-14",
            "reviewed",
            "London (England)",
            "Potter, Harry (Fictitious character)",
            "Lincoln, Abraham, 1809-1865",
            "19th century",
            "Church, Frederic Edwin, 1826-1900",
            "Science Museum (London, England)",
        ],
    )

    assert result.genres == ()
    assert result.fiction is None


def test_catalogue_tags_are_dropped_from_the_raw_subjects_but_real_subjects_stay() -> None:
    result = classify(
        ["Fiction / Fantasy / Epic"],
        ["Accessible book", "Dragons -- Fiction", "nyt:series_books=2008", "Dragons -- Fiction"],
    )

    assert result.raw_subjects == ("Dragons -- Fiction", "Fiction / Fantasy / Epic")
    assert is_catalogue_noise("Protected DAISY") and is_catalogue_noise("series:Harry_Potter")
    assert not is_catalogue_noise("England -- Fiction")


def test_a_fictional_treatment_of_a_nonfiction_topic_becomes_its_fiction_genre() -> None:
    # Open Library files novels under their topics with a "-- Fiction" subdivision.
    result = classify(
        [], ["Great Britain -- History -- Tudors, 1485-1603 -- Fiction", "Historical fiction"]
    )

    assert result.genres == ("Historical Fiction",)
    assert result.fiction == "fiction"


def test_when_the_sources_disagree_googles_category_decides_fiction_and_the_rest_follows(
    fixture_books: dict[str, FixtureBook],
) -> None:
    # Open Library also calls The Things They Carried personal narratives and biography.
    result = classify(*from_fixture(fixture_books["the-things-they-carried"]))

    assert result.fiction == "fiction"
    assert "Military & War" in result.genres
    assert "Short Stories" in result.genres
    assert "Biography & Memoir" not in result.genres


def test_a_nonfiction_verdict_drops_the_fiction_only_genres_open_library_suggests() -> None:
    result = classify(
        ["Biography & Autobiography / Personal Memoirs"],
        ["Magic -- Fiction", "Wizards", "Authors, English -- 20th century -- Biography"],
    )

    assert result.fiction == "nonfiction"
    assert result.genres == ("Biography & Memoir",)


def test_open_library_decides_when_google_has_nothing_to_say() -> None:
    fiction = classify([], ["Murder -- Investigation -- Fiction", "Detective and mystery stories"])
    nonfiction = classify([], ["Murder -- Kansas -- Case studies", "Criminals -- Biography"])

    assert (fiction.fiction, fiction.genres[0]) == ("fiction", "Mystery & Crime")
    assert (nonfiction.fiction, nonfiction.genres[0]) == ("nonfiction", "True Crime")


def test_open_library_comma_form_of_bisac_is_read_like_googles_slash_form() -> None:
    comma = classify([], ["Fiction, romance, historical"])
    slash = classify(["FICTION / Romance / Historical"], [])

    assert comma.genres == slash.genres == ("Romance",)
    assert comma.fiction == slash.fiction == "fiction"


def test_a_bare_fiction_category_says_fiction_without_inventing_a_genre() -> None:
    result = classify(["Fiction"], [])

    assert result.genres == ()
    assert result.fiction == "fiction"


def test_audiences_and_subgenres_combine() -> None:
    assert classify(["Young Adult Fiction / Dystopian"], []).genres == ("Young Adult", "Dystopian")
    assert (
        classify(["Juvenile Nonfiction / Science & Nature / General"], []).genres[0] == "Children's"
    )
    assert (
        classify(["Juvenile Nonfiction / Science & Nature / General"], []).fiction == "nonfiction"
    )


def test_specific_phrases_win_over_the_general_words_inside_them() -> None:
    assert classify([], ["Science fiction, American"]).genres == ("Science Fiction",)
    assert classify([], ["English literature -- History and criticism"]).genres == (
        "Literary Criticism",
    )
    assert classify([], ["Juvenile delinquency"]).genres == ()


def test_a_genre_mentioned_once_among_many_subjects_is_not_kept(
    fixture_books: dict[str, FixtureBook],
) -> None:
    # "Ghosts -- Fiction" appears once among Harry Potter's dozens of subjects.
    result = classify(*from_fixture(fixture_books["harry-potter-philosophers-stone"]))

    assert "Horror" not in result.genres


def test_the_readme_documents_every_genre_with_its_kind() -> None:
    text = README.read_text()
    for genre in GENRES:
        row = next(line for line in text.splitlines() if line.startswith(f"| {genre.kind.value} |"))
        listed = row.removesuffix("|").split(" | ")[1].strip().split(", ")
        assert genre.name in listed, genre
