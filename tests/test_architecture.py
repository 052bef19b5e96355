"""Rules of the house that a registry or a scan can enforce."""

import ast
import importlib
import re
import tomllib
from pathlib import Path
from types import ModuleType
from typing import cast

import pytest
from django.apps import apps
from django.conf import settings

from core.errors import DomainError

BASE_DIR = Path(settings.BASE_DIR)


def test_sessions_and_auth_live_on_the_same_side():
    for app in ("django.contrib.auth", "django.contrib.sessions", "users"):
        assert (app in settings.SHARED_APPS) == ("django.contrib.auth" in settings.SHARED_APPS)
        assert (app in settings.TENANT_APPS) == ("django.contrib.auth" in settings.TENANT_APPS)


@pytest.mark.parametrize("model", apps.get_models(), ids=lambda m: m._meta.label)
def test_models_pointing_at_users_exist_in_every_tenant_schema(model):
    """A user deleted in a store must never cascade into a public table with the same ids."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    points_at_users = any(
        getattr(field, "related_model", None) is user_model
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete
    )
    if points_at_users:
        assert model._meta.app_config.name in settings.TENANT_APPS, model._meta.label


# -- imports between packages: one table ----------------------------------------------------------
# Each top-level package may import only the packages listed for it. Read bottom-up: ``core`` is
# the kernel every app uses and imports none of ours; ``peepers`` is the project shell (settings,
# URLconfs, WSGI, Celery app, runner) and may import any of them; nothing imports the shell.
# The table itself has no cycle (test below), so no two packages depend on each other.
SHELL = "peepers"
KERNEL = {"core"}
PEOPLE = KERNEL | {"users", "tenants"}  # who: the user model, then stores and their routing
FEATURES = PEOPLE | {"compliance", "billing", "integrations", "operations"}
ALLOWED_IMPORTS: dict[str, set[str]] = {
    "core": set(),
    "doubles": set(),  # a double impersonates its provider; it shares nothing with the product
    "users": KERNEL,
    "tenants": KERNEL | {"users"},
    "inbox": KERNEL,
    "compliance": PEOPLE,
    "accounts": PEOPLE | {"compliance"},
    "billing": PEOPLE | {"compliance", "inbox"},
    "integrations": PEOPLE | {"compliance", "inbox", "billing"},
    "operations": PEOPLE | {"compliance", "billing", "integrations"},
    "api": FEATURES | {"accounts"},
    "dashboard": FEATURES | {"accounts"},
}
NOT_PRODUCT = {"tests", "bench", "stubs"}


def product_packages() -> set[str]:
    return {
        path.parent.name
        for path in BASE_DIR.glob("*/__init__.py")
        if path.parent.name not in NOT_PRODUCT
    }


def imported_modules(source: Path | str) -> set[str]:
    """Every module ``source`` (a file or its text) imports, at any depth (function-local
    imports included)."""
    if isinstance(source, Path):
        source = source.read_text()
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def import_violations(package: str, source: str) -> set[str]:
    """Packages of ours that ``source``, a module of ``package``, imports against the table."""
    if package == SHELL:
        return set()
    allowed = ALLOWED_IMPORTS[package] | {package}
    ours = product_packages()
    return {
        name
        for name in imported_modules(source)
        if name.split(".")[0] in ours and name.split(".")[0] not in allowed
    }


def product_files() -> list[Path]:
    return sorted(
        path for package in product_packages() for path in (BASE_DIR / package).rglob("*.py")
    )


def test_the_table_names_every_package():
    assert product_packages() - {SHELL} == set(ALLOWED_IMPORTS)


def test_the_table_has_no_cycle():
    placed: list[str] = []
    pending = dict(ALLOWED_IMPORTS)
    while pending:
        ready = [name for name, needs in pending.items() if needs <= set(placed)]
        assert ready, f"these packages depend on each other: {sorted(pending)}"
        placed.extend(sorted(ready))
        for name in ready:
            del pending[name]


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_imports_follow_the_table(path):
    package = path.relative_to(BASE_DIR).parts[0]
    bad = import_violations(package, path.read_text())
    assert not bad, f"{package} may not import {sorted(bad)} (tests/test_architecture.py)"


def test_a_planted_import_against_the_table_is_caught():
    planted = "def f():\n    from billing.models import Subscription\n"
    assert import_violations("core", planted) == {"billing.models"}
    assert import_violations("operations", planted) == set()
    assert import_violations(SHELL, planted) == set()


# -- function-local imports say why ----------------------------------------------------------------
# An import inside a function hides a dependency and usually dodges an import cycle. One of ours is
# allowed only with a reason on its line or above its run of imports (``# after django.setup()``).
def unexplained_local_imports(source: str) -> list[str]:
    lines = source.splitlines()
    ours = product_packages()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if not any(name.split(".")[0] in ours for name in names):
                continue
            line = lines[node.lineno - 1]
            above = node.lineno - 2  # a comment above a run of imports explains the run
            while lines[above].strip().startswith(("from ", "import ")):
                above -= 1
            if "#" not in line and not lines[above].strip().startswith("#"):
                found.append(f"{node.lineno}: {line.strip()}")
    return sorted(set(found))


@pytest.mark.parametrize(
    "path",
    [path for path in product_files() if "migrations" not in path.parts],
    ids=lambda p: str(p.relative_to(BASE_DIR)),
)
def test_function_local_imports_say_why(path):
    assert not unexplained_local_imports(path.read_text())


def test_a_planted_unexplained_local_import_is_caught():
    planted = "def f():\n    from core.redis import redis_client\n    return redis_client\n"
    assert unexplained_local_imports(planted) == ["2: from core.redis import redis_client"]
    explained = (
        "def f():\n    # after django.setup()\n    from core.redis import redis_client\n"
        "    from core.tasks import task\n"
    )
    assert unexplained_local_imports(explained) == []


# -- errors: one base ---------------------------------------------------------------------------
# Doubles answer in their provider's error format (ML's, Stripe's), not in ours.
DOUBLES = ("doubles/",)


def errors_modules() -> list[str]:
    paths = sorted(BASE_DIR.glob("*/**/errors.py"))
    return [
        ".".join(path.relative_to(BASE_DIR).with_suffix("").parts)
        for path in paths
        if not str(path.relative_to(BASE_DIR)).startswith((".", *DOUBLES))
        and path.relative_to(BASE_DIR).parts[0] not in {"tests", "core"}
    ]


def bases_outside_domain_error(module: ModuleType) -> set[str]:
    """Exception classes defined in ``module`` that sit straight on ``Exception``."""
    return {
        f"{module.__name__}.{name}"
        for name, cls in vars(module).items()
        if isinstance(cls, type)
        and cls.__module__ == module.__name__
        and Exception in cls.__bases__
    }


@pytest.mark.parametrize("module_name", errors_modules())
def test_every_errors_base_derives_from_domain_error(module_name):
    module = importlib.import_module(module_name)
    assert not bases_outside_domain_error(module)


def test_an_errors_base_on_exception_is_caught():
    module = ModuleType("planted.errors")
    base = type("PlantedError", (Exception,), {"__module__": "planted.errors"})
    module.PlantedError = base
    module.PlantedMissing = type("PlantedMissing", (base,), {"__module__": "planted.errors"})
    assert bases_outside_domain_error(module) == {"planted.errors.PlantedError"}


def test_an_errors_base_on_domain_error_passes():
    module = ModuleType("planted.errors")
    module.PlantedError = type("PlantedError", (DomainError,), {"__module__": "planted.errors"})
    assert bases_outside_domain_error(module) == set()


# -- names ---------------------------------------------------------------------------------------
def project_packages() -> set[str]:
    return {
        path.parent.name
        for path in BASE_DIR.glob("*/__init__.py")
        if not path.parent.name.startswith(".")
    }


def first_party_missing(listed: list[str]) -> set[str]:
    return project_packages() - set(listed)


def test_isort_knows_every_project_package_as_first_party():
    pyproject = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    listed = pyproject["tool"]["ruff"]["lint"]["isort"]["known-first-party"]
    assert not first_party_missing(listed)


def test_a_package_missing_from_the_first_party_list_is_caught():
    assert "accounts" in first_party_missing(["peepers", "tenants"])


# -- doubles: apart from the product -----------------------------------------------------------
# A double impersonates its provider: the table above keeps it and the product apart, and
# every double is served by the one harness.
SERVER_MODULES = ("werkzeug.serving", "http.server", "wsgiref.simple_server", "socketserver")
NOT_CODE = {"tests", "stubs", "docs"}


def server_harnesses(paths: list[Path]) -> set[Path]:
    """The modules that build an HTTP server themselves."""
    return {
        path
        for path in paths
        if any(
            m == s or m.startswith(s + ".") for m in imported_modules(path) for s in SERVER_MODULES
        )
    }


def repository_code() -> list[Path]:
    """Every module outside tests, stubs and migrations (test receivers are the tests' own)."""
    tops = [
        top
        for top in BASE_DIR.iterdir()
        if top.is_dir() and not top.name.startswith(".") and top.name not in NOT_CODE
    ]
    files = [*BASE_DIR.glob("*.py"), *(path for top in tops for path in top.rglob("*.py"))]
    return [path for path in files if "migrations" not in path.parts]


def test_one_module_defines_the_server_harness():
    harnesses = {p.relative_to(BASE_DIR).as_posix() for p in server_harnesses(repository_code())}
    assert harnesses == {"doubles/harness.py"}


def test_a_second_server_harness_is_caught(tmp_path):
    planted = tmp_path / "server.py"
    planted.write_text("from werkzeug.serving import make_server\n")
    quiet = tmp_path / "app.py"
    quiet.write_text("from werkzeug.wrappers import Response\n")
    assert server_harnesses([planted, quiet]) == {planted}


# -- inbound webhooks: one ledger ---------------------------------------------------------------
# The retry policy, the claim and the publishing thread live in ``inbox``; providers register.
LEDGER_POLICY_NAMES = {"MAX_TRIES", "RETRY_DELAYS"}
CLAIM = re.compile(r"\s*UPDATE\b.*\bRETURNING\b", re.IGNORECASE | re.DOTALL)


def ledger_machinery(source: str) -> set[str]:
    """What in ``source`` only the shared ledger may define: a retry policy, a publisher (a
    thread, a ``*Publisher`` class) or a claim (an ``UPDATE … RETURNING``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found |= {t.id for t in targets if isinstance(t, ast.Name)} & LEDGER_POLICY_NAMES
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Publisher"):
            found.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom) and "threading" in {
            getattr(node, "module", None),
            *(alias.name for alias in node.names),
        }:
            found.add("threading")
        elif isinstance(node, ast.JoinedStr | ast.Constant):
            parts = node.values if isinstance(node, ast.JoinedStr) else [node]
            text = "".join(
                p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)
            )
            if CLAIM.match(text):
                found.add("UPDATE … RETURNING")
    return found


def provider_modules() -> list[Path]:
    return sorted(
        path
        for app in ("billing", "integrations")
        for path in (BASE_DIR / app).rglob("*.py")
        if "migrations" not in path.parts
        and not str(path.relative_to(BASE_DIR)).startswith(DOUBLES)
    )


@pytest.mark.parametrize("path", provider_modules(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_providers_define_no_ledger_machinery_of_their_own(path):
    assert not ledger_machinery(path.read_text()), path


def test_a_provider_defining_its_own_claim_or_policy_is_caught():
    planted = """
import threading
MAX_TRIES = 3
class _Publisher: ...
def _claim(pk):
    cursor.execute("UPDATE t SET status = 'processing' WHERE id = %s RETURNING id", [pk])
"""
    assert ledger_machinery(planted) == {
        "MAX_TRIES",
        "_Publisher",
        "threading",
        "UPDATE … RETURNING",
    }
    assert ledger_machinery((BASE_DIR / "inbox" / "ledger.py").read_text()) == {
        "MAX_TRIES",
        "RETRY_DELAYS",
        "UPDATE … RETURNING",
    }


@pytest.mark.parametrize("label", ["billing.StripeEvent", "integrations.MLNotification"])
def test_webhook_inboxes_are_rows_of_the_shared_ledger(label):
    from inbox.models import InboxStatus, WebhookInbox

    model = apps.get_model(label)
    assert issubclass(model, WebhookInbox)
    stored = {value for value, _label in model._meta.get_field("status").choices}
    assert set(InboxStatus.values) <= stored


# -- store read model ---------------------------------------------------------------------------
# Billing knows nothing of the features it bills for (usage figures are registered with it); the
# API and the seller's pages compose the same domain selectors, never each other.
FORBIDDEN_DEPENDENCIES = {
    "billing": ("integrations", "dashboard"),
    "api": ("dashboard",),
    "dashboard": ("api",),
}
# Every first-party package at the top of the repository (new ones are scanned as they come).
CODE_DIRS = sorted(
    path.parent.name
    for path in BASE_DIR.glob("*/__init__.py")
    if not path.parent.name.startswith(".") and path.parent.name != "tests"
)
FILE_EXTENSIONS = {"html", "txt", "json", "md", "py", "css", "js", "csv"}


def dependencies_in(source: str, forbidden: tuple[str, ...]) -> set[str]:
    """Modules of ``forbidden`` apps that ``source`` imports (at any depth, function-local too)
    or names in a dotted string (``import_string``, ``autodiscover`` targets)."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"[a-z_]+(\.[A-Za-z_][A-Za-z0-9_]*)+", node.value)
            and node.value.rsplit(".", 1)[1] not in FILE_EXTENSIONS
        ):
            names.add(node.value)
    return {name for name in names if name.split(".")[0] in forbidden}


def app_sources(app: str) -> list[Path]:
    return sorted((BASE_DIR / app).rglob("*.py"))


@pytest.mark.parametrize(
    ("app", "path"),
    [(app, path) for app in FORBIDDEN_DEPENDENCIES for path in app_sources(app)],
    ids=lambda value: str(value.relative_to(BASE_DIR)) if isinstance(value, Path) else value,
)
def test_apps_do_not_import_what_the_table_forbids(app, path):
    bad = dependencies_in(path.read_text(), FORBIDDEN_DEPENDENCIES[app])
    assert not bad, f"{path} depends on {bad}"


def template_dependencies(text: str, other: str) -> set[str]:
    """Templates of app ``other`` extended or included, and its template tag library loaded."""
    found = set(re.findall(r"{%\s*(?:extends|include)\s+[\"'](" + other + r"/[^\"']+)", text))
    for libraries in re.findall(r"{%\s*load\s+([^%]+)%}", text):
        found.update(lib for lib in libraries.split() if lib == f"{other}_tags")
    return found


TEMPLATE_PAIRS = [
    (app, other)
    for app in sorted(ALLOWED_IMPORTS)
    if (BASE_DIR / "templates" / app).is_dir()
    for other in sorted(product_packages() - ALLOWED_IMPORTS[app] - {app, SHELL})
]


@pytest.mark.parametrize(("app", "other"), TEMPLATE_PAIRS)
def test_templates_follow_the_table(app, other):
    """A package's templates include, extend and load only what its code may import."""
    templates = sorted((BASE_DIR / "templates" / app).rglob("*.html"))
    bad = {
        str(path.relative_to(BASE_DIR)): found
        for path in templates
        if (found := template_dependencies(path.read_text(), other))
    }
    assert not bad


INCIDENT_KEY_SUFFIX = re.compile(r"(^|__)key__i?endswith$")


def incident_key_suffix_matches(source: str, *, incidents_module: bool = False) -> list[int]:
    """Lines filtering by the end of a key (``key__endswith``; in incident code, any
    ``__endswith``): a store is found by its column, never by a suffix of a key."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg:
            name, line = node.arg, node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name, line = node.value, node.lineno
        else:
            continue
        if INCIDENT_KEY_SUFFIX.search(name) or (
            incidents_module and re.search(r"__i?endswith$", name)
        ):
            lines.append(line)
    return sorted(lines)


@pytest.mark.parametrize(
    "path",
    [
        path
        for folder in CODE_DIRS
        for path in app_sources(folder)
        if "migrations" not in path.relative_to(BASE_DIR).parts
    ],
    ids=lambda p: str(p.relative_to(BASE_DIR)),
)
def test_no_store_is_found_by_the_end_of_a_key(path):
    incidents = "incidents" in path.relative_to(BASE_DIR).parts
    assert not incident_key_suffix_matches(path.read_text(), incidents_module=incidents), path


def test_a_planted_dependency_is_caught_at_any_depth():
    source = (
        "from billing.usage import usage_for\n"
        "def view():\n"
        "    from dashboard.selectors import store_usage\n"
        "    import integrations.mercadolivre.models\n"
        "    return import_string('dashboard.pages.product_page')\n"
    )
    assert dependencies_in(source, ("integrations", "dashboard")) == {
        "dashboard.selectors",
        "integrations.mercadolivre.models",
        "dashboard.pages.product_page",
    }
    assert dependencies_in("from api.selectors import api_calls_today\n", ("dashboard",)) == set()
    assert dependencies_in("render(request, 'dashboard.html')\n", ("dashboard",)) == set()


def test_a_planted_template_dependency_is_caught():
    text = '{% extends "base.html" %}{% load i18n dashboard_tags %}{% include "dashboard/x.html" %}'
    assert template_dependencies(text, "dashboard") == {"dashboard_tags", "dashboard/x.html"}
    assert template_dependencies(text, "api") == set()


def test_a_planted_key_suffix_filter_is_caught():
    source = (
        "Incident.objects.filter(key__endswith=':loja')\n"
        "Q(**{'alert__key__iendswith': 'x'})\n"
        "Incident.objects.filter(title__endswith='x')\n"
    )
    assert incident_key_suffix_matches(source) == [1, 2]
    assert incident_key_suffix_matches(source, incidents_module=True) == [1, 2, 3]


# -- e-mail: marketing only through the consent gate ----------------------------------------------
# Every module that sends e-mail, and every e-mail template, is listed here with what it sends;
# docs/compliance-consent.md ("E-mails and consent") says why each is transactional. Marketing
# (product news, tips, offers: the ``marketing_email`` purpose, LGPD Art. 7 I) goes out only
# through ``marketing_email_send``, which checks the consent ledger under the user's lock.
MARKETING_GATE = "compliance/consent/services.py"
MARKETING_GATE_FUNCTION = "marketing_email_send"
TRANSACTIONAL_MAIL = {
    "accounts/services.py": "team invitation",
    "billing/emails.py": "payment failed, confirm payment, trial ending, renewal; staff: dispute",
    "compliance/breaches/alerts.py": "staff: breach deadlines",
    "compliance/dsr/answers.py": "the subject: erasure confirmation (LGPD Art. 19 I)",
    "compliance/dsr/requests.py": "staff: data-subject request deadlines",
    "compliance/retention/offboarding.py": "store closed, where its final export is",
    "integrations/mercadolivre/notifications.py": "Mercado Livre account needs reconnecting",
    "operations/maintenance/alerting.py": "staff: incidents",
}
EMAIL_TEMPLATES = {
    "templates/accounts/email/invitation.txt": "team invitation",
    "templates/accounts/email/invitation_subject.txt": "team invitation",
    "templates/admin/staff_password/email.txt": "staff password reset",
    "templates/admin/staff_password/subject.txt": "staff password reset",
    "templates/compliance/email/erasure_confirmation.txt": "erasure confirmation",
    "templates/compliance/email/erasure_confirmation_subject.txt": "erasure confirmation",
    "templates/compliance/email/offboarding.txt": "store closed",
    "templates/compliance/email/offboarding_subject.txt": "store closed",
    "templates/registration/password_reset_email.txt": "password reset",
    "templates/registration/password_reset_subject.txt": "password reset",
}
MAIL_API = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
    "get_connection",
}
MARKETING_WORDS = re.compile(
    r"marketing|newsletter|novidade|product.news|promo|oferta|\boffers?\b|desconto|discount|"
    r"cupo[mn]|coupon",
    re.IGNORECASE,
)


def sends_mail(source: str) -> bool:
    """Whether ``source`` imports Django's means of sending e-mail (at any depth)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(
            alias.name.startswith("django.core.mail") for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module.startswith("django.core.mail") and names & (MAIL_API | {"*"}):
                return True
            if node.module == "django.core" and "mail" in names:
                return True
    return False


def marketing_mentions(source: str) -> set[str]:
    """Marketing words in the names and strings of ``source`` (docstrings and comments apart)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                words.update(m.group(0).lower() for m in MARKETING_WORDS.finditer(node.value))
        elif isinstance(node, ast.Name | ast.Attribute | ast.alias | ast.FunctionDef):
            name = {
                ast.Name: "id",
                ast.Attribute: "attr",
                ast.alias: "name",
                ast.FunctionDef: "name",
            }[type(node)]
            words.update(
                m.group(0).lower() for m in MARKETING_WORDS.finditer(str(getattr(node, name)))
            )
    return words


def functions_sending_mail(source: str) -> dict[str, list[str]]:
    """Each function of ``source`` that calls a mail API, with the names it calls, in order."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found_calls = sorted(
                (
                    call
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name | ast.Attribute)
                ),
                key=lambda call: (call.lineno, call.col_offset),
            )
            calls = [
                call.func.id
                if isinstance(call.func, ast.Name)
                else cast(ast.Attribute, call.func).attr
                for call in found_calls
            ]
            if set(calls) & MAIL_API:
                found[node.name] = calls
    return found


def email_templates() -> set[str]:
    roots = [BASE_DIR / "templates"] + [
        path for package in product_packages() for path in (BASE_DIR / package).rglob("templates")
    ]
    return {
        str(path.relative_to(BASE_DIR))
        for root in roots
        for path in root.rglob("*")
        if path.is_file()
        and (path.suffix == ".txt" or "mail" in str(path.relative_to(root)).lower())
    }


def test_every_module_sending_mail_is_the_marketing_gate_or_declared_transactional():
    senders = {
        str(path.relative_to(BASE_DIR)) for path in product_files() if sends_mail(path.read_text())
    }
    assert senders == set(TRANSACTIONAL_MAIL) | {MARKETING_GATE}, (
        "A new e-mail: marketing goes through marketing_email_send; a transactional one is "
        "declared in TRANSACTIONAL_MAIL and in docs/compliance-consent.md."
    )


@pytest.mark.parametrize("module", sorted(TRANSACTIONAL_MAIL))
def test_transactional_mail_carries_no_marketing(module):
    assert marketing_mentions((BASE_DIR / module).read_text()) == set()


def test_the_gate_is_the_one_function_that_sends_there_and_it_asks_the_ledger_first():
    senders = functions_sending_mail((BASE_DIR / MARKETING_GATE).read_text())
    assert list(senders) == [MARKETING_GATE_FUNCTION]
    calls = senders[MARKETING_GATE_FUNCTION]
    assert "consent_current" in calls
    assert calls.index("consent_current") < calls.index("send_mail")


def test_every_email_template_is_declared_and_carries_no_marketing():
    assert email_templates() == set(EMAIL_TEMPLATES)
    for template in EMAIL_TEMPLATES:
        assert not MARKETING_WORDS.search((BASE_DIR / template).read_text()), template


def test_each_decision_is_written_down():
    decisions = (BASE_DIR / "docs" / "compliance-consent.md").read_text()
    missing = {
        name
        for name in [*TRANSACTIONAL_MAIL, *EMAIL_TEMPLATES, MARKETING_GATE_FUNCTION]
        if f"`{name}`" not in decisions
    }
    assert not missing


def test_a_planted_marketing_mail_is_caught():
    source = (
        '"""Weekly mail."""\n'
        "from django.core.mail import send_mail\n"
        "def tips_send(user):\n"
        '    """Not marketing: tips."""\n'
        "    send_mail('Novidades do Peepers', 'Oi', None, [user.email])\n"
    )
    assert sends_mail(source)
    assert marketing_mentions(source) == {"novidade"}
    assert marketing_mentions("from compliance.consent.services import MARKETING_EMAIL\n") == {
        "marketing"
    }
    assert sends_mail("from django.core import mail\nmail.send_mail('a', 'b', None, [])\n")
    assert sends_mail("from django.core.mail.message import EmailMessage\n")
    assert not sends_mail("from django.core.mail import BadHeaderError\n")


def test_a_planted_send_before_the_consent_check_is_caught():
    source = (
        "def marketing_email_send(*, user):\n"
        "    send_mail('s', 'b', None, [user.email])\n"
        "    return consent_current(user=user, purpose='marketing_email')\n"
        "def digest_send(*, user):\n"
        "    EmailMessage('s', 'b', None, [user.email]).send()\n"
    )
    senders = functions_sending_mail(source)
    assert list(senders) == ["marketing_email_send", "digest_send"]
    calls = senders["marketing_email_send"]
    assert calls.index("consent_current") > calls.index("send_mail")


# -- data-subject requests: identity before disclosure ---

# The raw export and erasure: only the services that check the requester's identity first (or
# run for the system, like a closing store's final export) may call them.
RAW_DISCLOSURES = {"subject_export", "subject_erase"}
DISCLOSURE_CALLERS = {
    "compliance/dsr/answers.py",  # dsr_export, dsr_erase: identity_required first
    "compliance/dsr/erasure.py",
    "compliance/dsr/exports.py",
    "compliance/consent/privacy_center.py",  # the signed-in subject, verified by the login
    "compliance/retention/offboarding.py",  # the closing store's final export (the system)
}


def raw_disclosures_used(source: str) -> set[str]:
    """The raw export/erasure functions ``source`` imports or calls by name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found.update(a.name for a in node.names if a.name in RAW_DISCLOSURES)
        elif isinstance(node, ast.Attribute) and node.attr in RAW_DISCLOSURES:
            found.add(node.attr)
    return found


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_export_and_erasure_go_through_the_identity_check(path):
    where = str(path.relative_to(BASE_DIR))
    if where in DISCLOSURE_CALLERS or "migrations" in path.parts:
        return
    used = raw_disclosures_used(path.read_text())
    assert not used, f"{where} calls {sorted(used)}: use compliance.dsr.answers instead"


def test_a_planted_raw_disclosure_is_caught():
    source = (
        "from compliance.dsr.erasure import subject_erase\n"
        "from compliance.dsr import exports\n"
        "def act(r):\n"
        "    exports.subject_export(request=r)\n"
    )
    assert raw_disclosures_used(source) == {"subject_erase", "subject_export"}
    assert raw_disclosures_used("from compliance.dsr.answers import dsr_erase\n") == set()


# -- erased buyers stay erased ---------------------------------------------------------------------
# Rows of ML buyer data (orders, questions) are created only by
# ``integrations/mercadolivre/upserts.py``, whose batches first ask the store's suppression list
# of erased buyers (``compliance/dsr/suppression.py``); a row created anywhere else would store
# an erased buyer again.
BUYER_ROWS_WRITER = Path("integrations/mercadolivre/upserts.py")
_BUYER_ROW_CREATE = re.compile(
    r"\b(?:MLOrder|MLQuestion)\.(?:objects|_default_manager)\s*\.\s*"
    r"(?:create|bulk_create|get_or_create|update_or_create)\b"
    r"|\b_upsert\(\s*(?:MLOrder|MLQuestion)\b"
    r"|INSERT\s+INTO\s+\S*mercadolivre_ml(?:order|question)\b",
    re.IGNORECASE,
)


def buyer_row_creations(source: str) -> list[int]:
    """Lines of ``source`` that create ML order or question rows."""
    return [n for n, line in enumerate(source.splitlines(), 1) if _BUYER_ROW_CREATE.search(line)]


@pytest.mark.parametrize(
    "path",
    [
        path
        for path in product_files()
        if "migrations" not in path.relative_to(BASE_DIR).parts
        and path.relative_to(BASE_DIR) != BUYER_ROWS_WRITER
    ],
    ids=lambda p: str(p.relative_to(BASE_DIR)),
)
def test_ml_buyer_rows_are_created_only_through_the_upserts(path):
    assert buyer_row_creations(path.read_text()) == [], path


def test_a_planted_buyer_row_creation_is_caught():
    source = (
        "MLOrder.objects.create(id=1, buyer_id=2)\n"
        "MLQuestion.objects.bulk_create(rows)\n"
        "MLQuestion.objects.filter(pk=1).update(status='DELETED')\n"
        "_upsert(MLOrder, rows)\n"
        'cursor.execute("INSERT INTO mercadolivre_mlquestion (id) VALUES (1)")\n'
    )
    assert buyer_row_creations(source) == [1, 2, 4, 5]
    assert "_upsert(MLOrder" in (BASE_DIR / BUYER_ROWS_WRITER).read_text()


# -- task retries ---------------------------------------------------------------------------------
# A retry waits at least what the error says (``retry_after``: the breaker's reopen time, ML's
# Retry-After) only through ``core.tasks.RetryPolicy``; Celery's own autoretry options ignore it.
_CELERY_AUTORETRY = re.compile(
    r"\b(?:autoretry_for|retry_backoff|retry_backoff_max|retry_jitter)\s*="
)


def celery_autoretry_options(source: str) -> list[int]:
    """Lines of ``source`` that declare Celery's autoretry options."""
    return [n for n, line in enumerate(source.splitlines(), 1) if _CELERY_AUTORETRY.search(line)]


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_task_retries_go_through_the_retry_policy(path):
    assert celery_autoretry_options(path.read_text()) == [], path


def test_a_planted_celery_autoretry_is_caught():
    source = (
        "@app.task(autoretry_for=(MLError,), retry_backoff=60)\n"
        "def sync(): ...\n"
        "options.update(retry_jitter=True)\n"
        "policy = RetryPolicy(on=(MLError,), backoff_seconds=60)\n"
    )
    assert celery_autoretry_options(source) == [1, 3]


# -- dates and money ------------------------------------------------------------------------------
# Money is written as ``R$ 1.234,56`` by one function (``core.money.brl``, the ``|brl`` filter);
# a page's date format never puts the month first (English pages read day first too). The
# doubles answer in their provider's words (Stripe's own amounts), so they are left out.
MONEY_HOME = BASE_DIR / "core" / "money.py"
DOUBLES_DIR = BASE_DIR / "doubles"
_MONEY_BUILT = re.compile(r"""R\$\s*\{|["']R\$["']\s*(?:\+|if\b)|:,\.2f\}|:\.2f\}\s*R\$""")
_MONTH_FIRST = re.compile(r"""(?:\|date:|date_format\(|strftime\()[^)}\n]*?(?:["']m/d|%m/%d)""")


def money_built_by_hand(source: str) -> list[int]:
    """Lines of ``source`` that format reais themselves instead of calling ``brl``."""
    return [n for n, line in enumerate(source.splitlines(), 1) if _MONEY_BUILT.search(line)]


def month_first_dates(source: str) -> list[int]:
    """Lines of ``source`` that render a date month first (``m/d/Y``, ``%m/%d``)."""
    return [n for n, line in enumerate(source.splitlines(), 1) if _MONTH_FIRST.search(line)]


@pytest.mark.parametrize(
    "path",
    [p for p in product_files() if p != MONEY_HOME and DOUBLES_DIR not in p.parents],
    ids=lambda p: str(p.relative_to(BASE_DIR)),
)
def test_money_is_formatted_by_brl_alone(path):
    assert money_built_by_hand(path.read_text()) == [], path


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *product_files(),
            *(BASE_DIR / "templates").rglob("*.html"),
            *(BASE_DIR / "templates").rglob("*.txt"),
        ]
    ),
    ids=lambda p: str(p.relative_to(BASE_DIR)),
)
def test_no_date_is_rendered_month_first(path):
    assert month_first_dates(path.read_text()) == [], path


def test_planted_money_and_month_first_dates_are_caught():
    money = (
        'label = f"R$ {cents / 100}"\n'
        'price = "R$" + str(total)\n'
        "fine = brl(cents)\n"
        'text = f"{currency} {cents / 100:.2f}"\n'
    )
    dates = (
        '{{ when|date:"m/d/Y" }}\n'
        '{{ when|date:"d/m/Y" }}\n'
        'moment.strftime("%m/%d/%Y")\n'
        'formats.date_format(day, "SHORT_DATE_FORMAT")\n'
    )
    assert money_built_by_hand(money) == [1, 2]
    assert month_first_dates(dates) == [1, 3]
