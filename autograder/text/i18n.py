"""Student-facing text: one gettext catalogue, Spanish source, one translation file per language.

Code writes the Spanish text itself and marks it, so the catalogue can be extracted from the code:

    tr(lang, "se esperaba la forma {shape}", shape=expected)    # translated now
    HINTS = {"stub": N_("la función todavía no está implementada")}   # marked; tr(lang, HINTS[k]) later

`{name}` fields are filled with str.format after translation (write `{{`/`}}` for a literal brace).
Translations live in autograder/text/locale/<lang>/LC_MESSAGES/autograder.po (edited by hand) and its
compiled .mo (read at run time with the standard library; Babel is needed only to extract and
compile):

    python -m autograder.text.i18n update     # extract marked text from autograder/, merge into every .po
    python -m autograder.text.i18n compile    # .po -> .mo

tests/text/test_i18n.py checks that every marked text has a translation, the .mo files match their .po,
and no Spanish text lives in autograder/ outside a marked call. A third language is one more .po.
"""
from __future__ import annotations

import functools
import gettext
import os
import sys

from autograder import locations

DOMAIN = "autograder"
SOURCE_LANGUAGE = "es"
LOCALE_DIR = locations.LOCALE
# Calls whose argument (1-based position) is a catalogue message; Babel's extraction reads these.
# say(...) / say.wrong(...): the hidden suites' feedback voice (autograder/text/feedback.py, Say).
KEYWORDS = {"tr": (2,), "N_": (1,), "say": (1,), "wrong": (1,)}


def languages() -> list[str]:
    """The source language first, then every language with a catalogue."""
    found = sorted(d for d in os.listdir(LOCALE_DIR)
                   if os.path.isfile(os.path.join(LOCALE_DIR, d, "LC_MESSAGES", DOMAIN + ".mo")))
    return [SOURCE_LANGUAGE] + [lang for lang in found if lang != SOURCE_LANGUAGE]


@functools.lru_cache(maxsize=None)
def _catalogue(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def tr(lang: str | None, message: str, /, **fields) -> str:
    """`message` (Spanish, as marked in the code) in `lang`, with its `{fields}` filled in."""
    text = _catalogue(lang or SOURCE_LANGUAGE).gettext(message)
    return text.format(**fields) if fields else text


def N_(message: str) -> str:
    """Marks a message for the catalogue without translating it (translate later with tr)."""
    return message


# --- maintenance (needs Babel) ---------------------------------------------------------------

def _extract():
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    catalog = Catalog(domain=DOMAIN, project="cnn-autograder", locale=SOURCE_LANGUAGE)
    root = locations.PACKAGE
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map=[("**.py", "python")], keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            catalog.add(message, locations=[(os.path.join("autograder", filename), lineno)],
                        auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> str:
    return os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", DOMAIN + ".po")


def read_po(lang: str):
    from babel.messages.pofile import read_po
    with open(po_path(lang), "rb") as f:
        return read_po(f, locale=lang)


def update() -> None:
    """Adds newly marked messages to every .po (and marks vanished ones obsolete)."""
    from babel.messages.pofile import write_po
    template = _extract()
    for lang in languages()[1:] or ["en"]:
        catalog = read_po(lang) if os.path.exists(po_path(lang)) else None
        if catalog is None:
            from babel.messages.catalog import Catalog
            catalog = Catalog(domain=DOMAIN, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        os.makedirs(os.path.dirname(po_path(lang)), exist_ok=True)
        with open(po_path(lang), "wb") as f:
            write_po(f, catalog, width=100, omit_header=False, include_previous=False, ignore_obsolete=True,
                     sort_output=True)


def compiled(lang: str) -> bytes:
    import io

    from babel.messages.mofile import write_mo
    buf = io.BytesIO()
    write_mo(buf, read_po(lang), use_fuzzy=False)
    return buf.getvalue()


def compile_all() -> None:
    for d in sorted(os.listdir(LOCALE_DIR)):
        if os.path.exists(po_path(d)):
            with open(po_path(d)[:-3] + ".mo", "wb") as f:
                f.write(compiled(d))


if __name__ == "__main__":
    actions = {"update": update, "compile": compile_all}
    if sys.argv[1:2] and sys.argv[1] in actions:
        actions[sys.argv[1]]()
    else:
        sys.exit("usage: python -m autograder.text.i18n update|compile")
