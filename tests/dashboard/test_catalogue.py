"""Every msgid a seller template or the Python code marks for translation is in the pt_BR catalogue.

Seller pages are pt-BR by default: a msgid missing from ``locale/pt_BR/LC_MESSAGES/django.po``
(or present but untranslated, or fuzzy, which the compiler drops) renders in English in the
middle of a Portuguese page. The extraction below does what ``makemessages`` would, without GNU
gettext: Django's template lexer for ``{% translate %}`` and ``{% blocktranslate %}`` (placeholders
and plural forms exactly as Django looks them up), and the AST for ``gettext``-family calls.
Staff admin templates (``templates/admin``) reuse Django admin's own msgids and are left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import polib  # type: ignore[import-untyped]  # polib ships no type hints
from django.template.base import Lexer, Token, TokenType
from django.utils.translation import trim_whitespace

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
TEMPLATES = ROOT / "templates"
EXCLUDED_DIRS = {".venv", ".tools", ".data", ".git", "tests", "node_modules", "stubs", "static"}

# gettext-family function → (argument index of msgid, of msgid_plural, of msgctxt)
PY_FUNCTIONS: dict[str, tuple[int, int | None, int | None]] = {
    "_": (0, None, None),
    "gettext": (0, None, None),
    "gettext_lazy": (0, None, None),
    "gettext_noop": (0, None, None),
    "ngettext": (0, 1, None),
    "ngettext_lazy": (0, 1, None),
    "pgettext": (1, None, 0),
    "pgettext_lazy": (1, None, 0),
    "npgettext": (1, 2, 0),
    "npgettext_lazy": (1, 2, 0),
}

STRING = r"""(?:"[^"]*"|'[^']*')"""
TRANSLATE_TAG = re.compile(
    rf"^(?:translate|trans)\s+(?P<msgid>{STRING})(?:.*?\bcontext\s+(?P<context>{STRING}))?"
)
BLOCK_START = re.compile(r"^(?:blocktranslate|blocktrans)(?:\s|$)")
BLOCK_END = re.compile(r"^(?:endblocktranslate|endblocktrans)$")
BLOCK_CONTEXT = re.compile(rf"\bcontext\s+(?P<context>{STRING})")
INLINE_GETTEXT = re.compile(rf"""\b_\((?P<msgid>{STRING})\)""")


class Message(NamedTuple):
    msgid: str
    plural: str | None
    context: str | None
    where: str


def _unquote(literal: str) -> str:
    return literal[1:-1]


def seller_templates() -> Iterator[Path]:
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in {".html", ".txt"} and "admin" not in path.relative_to(TEMPLATES).parts:
            yield path


def python_sources() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        if not EXCLUDED_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def template_messages(path: Path) -> Iterator[Message]:
    """The msgids of one template, as Django's i18n tags look them up at render time."""
    where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    tokens = iter(Lexer(path.read_text(encoding="utf-8")).tokenize())
    for token in tokens:
        if token.token_type == TokenType.VAR:
            for match in INLINE_GETTEXT.finditer(token.contents):
                yield Message(_unquote(match["msgid"]), None, None, where)
            continue
        if token.token_type != TokenType.BLOCK:
            continue
        contents = token.contents
        for inline in INLINE_GETTEXT.finditer(contents):
            yield Message(_unquote(inline["msgid"]), None, None, where)
        if tag := TRANSLATE_TAG.match(contents):
            context = _unquote(tag["context"]) if tag["context"] else None
            yield Message(_unquote(tag["msgid"]), None, context, where)
        elif BLOCK_START.match(contents):
            yield _block_message(contents, tokens, where)


def _block_message(start: str, tokens: Iterator[Token], where: str) -> Message:
    """The msgid of a ``{% blocktranslate %}`` block: ``{{ x }}`` → ``%(x)s``, ``%`` → ``%%``."""
    singular: list[str] = []
    plural: list[str] = []
    current = singular
    for token in tokens:
        if token.token_type == TokenType.TEXT:
            current.append(token.contents.replace("%", "%%"))
        elif token.token_type == TokenType.VAR:
            current.append(f"%({token.contents})s")
        elif token.token_type == TokenType.BLOCK and token.contents == "plural":
            current = plural
        elif token.token_type == TokenType.BLOCK and BLOCK_END.match(token.contents):
            break
        elif token.token_type == TokenType.BLOCK:
            raise AssertionError(f"{where}: {{% {token.contents} %}} inside a blocktranslate")
    else:
        raise AssertionError(f"{where}: blocktranslate without endblocktranslate")
    texts = ["".join(singular), "".join(plural)]
    if "trimmed" in start.split():
        texts = [trim_whitespace(text) for text in texts]
    context = BLOCK_CONTEXT.search(start)
    return Message(
        texts[0],
        texts[1] if plural else None,
        _unquote(context["context"]) if context else None,
        where,
    )


def python_messages(path: Path) -> Iterator[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in PY_FUNCTIONS:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        positions = PY_FUNCTIONS[name]
        values: list[str | None] = []
        for position in positions:
            if position is None:
                values.append(None)
                continue
            argument = node.args[position] if position < len(node.args) else None
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                raise AssertionError(f"{where}: {name}() needs a literal string to be extracted")
            values.append(argument.value)
        assert values[0] is not None
        yield Message(values[0], values[1], values[2], where)


def used_messages() -> list[Message]:
    messages = [m for path in seller_templates() for m in template_messages(path)]
    messages += [m for path in python_sources() for m in python_messages(path)]
    return messages


def missing_messages(
    catalogue: polib.POFile | None = None,
) -> dict[tuple[str, str | None, str | None], list[Message]]:
    """Used msgids with no confirmed pt_BR translation, keyed by (msgid, plural, context)."""
    catalogue = catalogue if catalogue is not None else polib.pofile(str(CATALOGUE))
    translated = {}
    for entry in catalogue:
        if entry.obsolete or entry.fuzzy:
            continue
        if entry.msgid_plural:
            done = bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
        else:
            done = bool(entry.msgstr)
        translated[(entry.msgid, entry.msgid_plural or None, entry.msgctxt)] = done
    missing: dict[tuple[str, str | None, str | None], list[Message]] = {}
    for message in used_messages():
        key = (message.msgid, message.plural, message.context)
        if not translated.get(key):
            missing.setdefault(key, []).append(message)
    return missing


def test_every_used_msgid_has_a_pt_br_translation():
    assert used_messages(), "the extraction found nothing: the patterns no longer match"
    missing = missing_messages()
    report = "\n".join(
        f"{msgid!r}{f' / plural {plural!r}' if plural else ''}"
        f"{f' (context {context!r})' if context else ''} — used in {messages[0].where}"
        for (msgid, plural, context), messages in sorted(missing.items(), key=str)
    )
    assert not missing, f"{len(missing)} msgid(s) missing from {CATALOGUE.name} (pt_BR):\n{report}"


def test_the_extraction_sees_blocktranslate_placeholders_and_plurals(tmp_path):
    template = tmp_path / "t.html"
    template.write_text(
        "{% load i18n %}{% translate \"Plain\" %}{% translate 'Single' as t %}"
        "{% blocktranslate with name=store.name %}Hi {{ name }}, 5% off{% endblocktranslate %}"
        "{% blocktranslate count n=total trimmed %}\n  One {{ n }}\n"
        "{% plural %}\n  Many {{ n }}\n{% endblocktranslate %}",
        encoding="utf-8",
    )
    found = [(m.msgid, m.plural) for m in template_messages(template)]
    assert found == [
        ("Plain", None),
        ("Single", None),
        ("Hi %(name)s, 5%% off", None),
        ("One %(n)s", "Many %(n)s"),
    ]
