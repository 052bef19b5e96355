"""The seller's busiest pages on a big store, and their API equivalents: p95 under 200 ms,
under gunicorn, on 2 cores.

A fresh benchmark database with two stores: one with ``ITEMS`` listings and ``ORDERS`` orders
of two Mercado Livre accounts, a main one and an outlet with ``OUTLET_SHARE`` of the rows (so
the lists name each row's account and the overview breaks its figures down per account),
written with COPY straight into its schema, then ``VACUUM ANALYZE`` as autovacuum would leave a
table of that age, and checkpointed), the other empty. The app runs under gunicorn with
production settings (``bench/server.py``). The owner logs in through the login form (session
cookie, CSRF) and gets an API token from ``api_token_create``. Each endpoint is then asked
``REQUESTS`` times by ``CLIENTS`` clients back to back (closed loop) after ``WARMUP`` requests,
one endpoint after another, each request on a new connection as a proxy in front sends them,
with ``GET /api/ping`` (a bare JSON view) measured in the same run as the floor.

The API's per-minute burst limit is raised for the server (the clients would pass 120 calls a
minute by design); the limiter itself still runs on every API call.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import override_settings, setup_databases, teardown_databases
from django.utils import timezone
from django_tenants.utils import tenant_context

from api.tokens import api_token_create
from bench.loadgen import Results, build_request, closed_loop
from bench.server import free_port, serve
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, MLQuestion
from integrations.mercadolivre.selectors.sales import SELLER_TZ
from tenants.models import Tenant
from tenants.services import tenant_create
from users.models import User

ITEMS = int(os.environ.get("BENCH_ITEMS", "100000"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "100000"))
QUESTIONS = 2_000
ORDER_DAYS = 90
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 20
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
TARGET_P95_MS = 200.0
PRODUCTION_HASHER = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
PASSWORD = "a-long-bench-password-1"  # noqa: S105 (a throwaway store on a throwaway database)
# Words searched: one in about 1 title of 20, one in 1 of 60, one in 1 of 600 (few matches,
# so an unindexed search reads the whole table to fill a page).
SEARCH_WORDS = ("camiseta", "inox", "ergonômica")
MAIN_ML_USER_ID = 2050442871
OUTLET_ML_USER_ID = 2050442872
OUTLET_SHARE = 0.2

NOUNS = (
    "Camiseta",
    "Tênis",
    "Panela",
    "Fone de Ouvido",
    "Capa de Celular",
    "Carregador",
    "Mochila",
    "Relógio",
    "Garrafa Térmica",
    "Luminária",
    "Cadeira",
    "Tapete",
    "Jaqueta",
    "Bolsa",
    "Óculos de Sol",
    "Kit Ferramentas",
    "Liquidificador",
    "Ventilador",
    "Travesseiro",
    "Caneca",
)
ADJECTIVES = (
    "Azul",
    "Preto",
    "Branco",
    "Vermelho",
    "Infantil",
    "Masculino",
    "Feminino",
    "Bluetooth",
    "Algodão",
    "Couro",
    "Portátil",
    "Premium",
    "Original",
    "Promoção",
    "Reforçado",
    "Dobrável",
    "Slim",
    "Antiderrapante",
)
BRANDS = ("Tramontina", "Nike", "Samsung", "Xiaomi", "Mondial", "Olympikus", "JBL", "Stanley")
ITEM_STATUSES = (("active", 80), ("paused", 12), ("closed", 6), ("under_review", 2))
ORDER_STATUSES = (
    ("paid", 74),
    ("confirmed", 5),
    ("cancelled", 10),
    ("payment_required", 4),
    ("payment_in_process", 3),
    ("partially_refunded", 2),
    ("invalid", 2),
)


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _title(rng: random.Random, index: int) -> str:
    words = [rng.choice(NOUNS)]
    words.append(rng.choice(ADJECTIVES))
    if rng.random() < 1 / 60:
        words.append("Inox")
    if index % 600 == 7:
        words.append("Ergonômica")
    words.append(rng.choice(BRANDS))
    words.append(f"{rng.randint(1, 999)}")
    return " ".join(words)


def _copy(model: type[Any], rows: Iterator[tuple[Any, ...]]) -> None:
    columns = [field.column for field in model._meta.concrete_fields]
    sql = f'COPY "{model._meta.db_table}" ({", ".join(columns)}) FROM STDIN'
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _account(rng: random.Random, accounts: tuple[int, int]) -> int:
    """The pk of the row's account: the outlet's for ``OUTLET_SHARE`` of the rows."""
    return accounts[1] if rng.random() < OUTLET_SHARE else accounts[0]


def _items(
    now: datetime, rng: random.Random, accounts: tuple[int, int]
) -> Iterator[tuple[Any, ...]]:
    for n in range(ITEMS):
        item_id = f"MLB{3_000_000_000 + n}"
        title = _title(rng, n)
        price = rng.choice((1990, 2990, 4990, 9990, 14990, 29990)) + rng.randint(0, 9999)
        stock = 0 if rng.random() < 0.15 else int(rng.paretovariate(1.2) * 3)
        status = _weighted(rng, ITEM_STATUSES)
        created = now - timedelta(days=rng.uniform(30, 900))
        updated = now - timedelta(minutes=rng.uniform(0, 180 * 24 * 60))
        raw = {
            "id": item_id,
            "title": title,
            "price": price / 100,
            "available_quantity": stock,
            "attributes": [
                {"id": "BRAND", "value_name": title.split()[-2]},
                {"id": "MODEL", "value_name": title.split()[-1]},
                {"id": "ITEM_CONDITION", "value_name": "Novo"},
            ],
            "pictures": [
                {"url": f"https://http2.mlstatic.com/D_{item_id}-{k}.jpg"} for k in (1, 2)
            ],
        }
        yield (
            item_id,
            _account(rng, accounts),
            title,
            price,
            "BRL",
            stock,
            int(rng.expovariate(1 / 40)),
            status,
            f"https://produto.mercadolivre.com.br/MLB-{3_000_000_000 + n}",
            f"https://http2.mlstatic.com/D_{item_id}-I.jpg",
            f"MLB{1000 + n % 800}",
            rng.choice(("gold_special", "gold_pro", "free")),
            f"SKU-{n:06d}" if rng.random() < 0.7 else "",
            created,
            updated,
            json.dumps(raw),
            now,
        )


def _orders(
    now: datetime, rng: random.Random, accounts: tuple[int, int]
) -> Iterator[tuple[Any, ...]]:
    buyers = [(5_000_000 + b, f"COMPRADOR{b:05d}") for b in range(30_000)]
    for n in range(ORDERS):
        created = now - timedelta(seconds=rng.uniform(0, ORDER_DAYS * 86400))
        status = _weighted(rng, ORDER_STATUSES)
        quantity = rng.choice((1, 1, 1, 2, 3))
        unit = rng.randint(1990, 39990)
        total = unit * quantity
        buyer_id, nickname = rng.choice(buyers)
        item_id = f"MLB{3_000_000_000 + rng.randrange(ITEMS)}"
        lines = [
            {"item_id": item_id, "title": "Item", "quantity": quantity, "unit_price_cents": unit}
        ]
        payments = [{"id": 80_000_000 + n, "status": "approved", "amount_cents": total}]
        yield (
            2_000_000_000 + n,
            _account(rng, accounts),
            status,
            created,
            created + timedelta(hours=1) if status == "paid" else None,
            created + timedelta(hours=rng.uniform(1, 72)),
            total,
            total if status == "paid" else 0,
            "BRL",
            buyer_id,
            nickname,
            json.dumps(lines),
            json.dumps(payments),
            40_000_000_000 + n,
            json.dumps({"id": 2_000_000_000 + n, "order_items": lines, "payments": payments}),
            now,
        )


def _questions(
    now: datetime, rng: random.Random, accounts: tuple[int, int]
) -> Iterator[tuple[Any, ...]]:
    for n in range(QUESTIONS):
        answered = rng.random() < 0.8
        created = now - timedelta(hours=rng.uniform(0, 24 * 60))
        yield (
            7_000_000_000 + n,
            _account(rng, accounts),
            f"MLB{3_000_000_000 + rng.randrange(ITEMS)}",
            "Olá, tem pronta entrega?",
            "ANSWERED" if answered else "UNANSWERED",
            created,
            created,
            5_000_000 + rng.randrange(30_000),
            "Temos sim!" if answered else "",
            "ACTIVE" if answered else "",
            created + timedelta(hours=2) if answered else None,
            "{}",
            now,
        )


def _seed(tenant: Tenant) -> dict[str, Any]:
    rng = random.Random(2026)
    now = timezone.now()
    started = time.perf_counter()
    Tenant.objects.filter(pk=tenant.pk).update(ml_user_id=MAIN_ML_USER_ID)
    with tenant_context(tenant):
        main, outlet = (
            MLAccount.objects.create(
                ml_user_id=ml_user_id,
                nickname=nickname,
                site_id="MLB",
                access_token="not-a-real-token",  # noqa: S106 (no ML calls are made)
                connected_at=now - timedelta(days=days),
            )
            for ml_user_id, nickname, days in (
                (MAIN_ML_USER_ID, "LOJA_GRANDE", 200),
                (OUTLET_ML_USER_ID, "LOJA_GRANDE_OUTLET", 100),
            )
        )
        accounts = (main.pk, outlet.pk)
        _copy(MLItem, _items(now, rng, accounts))
        _copy(MLOrder, _orders(now, rng, accounts))
        _copy(MLQuestion, _questions(now, rng, accounts))
        with connection.cursor() as cursor:
            for model in (MLItem, MLOrder, MLQuestion):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
            # The load's writes reach the data files now, as they long have on a store of that
            # age, rather than in a checkpoint in the middle of the measurements.
            cursor.execute("CHECKPOINT")
            cursor.execute(
                "SELECT pg_total_relation_size(%s), pg_total_relation_size(%s)",
                [MLItem._meta.db_table, MLOrder._meta.db_table],
            )
            items_bytes, orders_bytes = cursor.fetchone()
        counts = {"items": MLItem.objects.count(), "orders": MLOrder.objects.count()}
    return {
        **counts,
        "questions": QUESTIONS,
        "seconds": round(time.perf_counter() - started, 1),
        "items_table_mb": round(items_bytes / 2**20, 1),
        "orders_table_mb": round(orders_bytes / 2**20, 1),
    }


# -- HTTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    host: str
    cookie: str  # "sessionid=…; csrftoken=…"
    token: str


def _cookies(response: httpx.Response) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _login(port: int, host: str, email: str) -> str:
    """The session cookie from the login form, as a browser behind TLS would get it."""
    origin = f"https://{host}"
    common = {"Host": host, "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        form = client.get("/login/", headers=common)
        form.raise_for_status()
        csrf = _cookies(form)["csrftoken"]
        response = client.post(
            "/login/",
            data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={
                **common,
                "Origin": origin,
                "Referer": f"{origin}/login/",
                "Cookie": f"csrftoken={csrf}",
            },
        )
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    return f"sessionid={_cookies(response)['sessionid']}; csrftoken={csrf}"


def _measure(address: tuple[str, int], make: Callable[[int], bytes]) -> Results:
    closed_loop(address, make, total=WARMUP, connections=CLIENTS)
    return closed_loop(address, make, total=REQUESTS, connections=CLIENTS)


def _request(host: str, path: str, headers: dict[str, str]) -> bytes:
    # A new connection per request, as a proxy in front sends them (nginx's default: HTTP/1.0
    # upstream, no keep-alive). Four kept-alive connections stay with whichever gunicorn worker
    # accepted them, and all four can land on one worker: one core for the whole load.
    return build_request("GET", host, path, headers=headers, keep_alive=False)


# Page links in the HTML: "?…&amp;cursor=…".
_HTML_CURSOR = re.compile(r"[?&;]cursor=([A-Za-z0-9_-]+)")


def _next_cursor(port: int, creds: Credentials, path: str) -> str | None:
    """The cursor of the page after ``path``'s: from the API's ``next`` link, or from the
    page's own link in its HTML."""
    api = path.startswith("/api/")
    auth = {"Authorization": f"Bearer {creds.token}"} if api else {"Cookie": creds.cookie}
    response = httpx.get(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": creds.host, "X-Forwarded-Proto": "https", **auth},
        timeout=60,
    )
    response.raise_for_status()
    if api:
        link = response.json()["next"]
        return parse_qs(urlsplit(link).query)["cursor"][0] if link else None
    found = _HTML_CURSOR.search(response.text)
    return found.group(1) if found else None


def _endpoints(port: int, creds: Credentials) -> dict[str, list[str]]:
    """Each endpoint's paths, asked in turn (several search words spread the cache hits)."""
    today = timezone.localtime(timezone.now(), SELLER_TZ).date()
    since = today - timedelta(days=29)
    after = datetime.combine(since, datetime.min.time(), tzinfo=SELLER_TZ).isoformat()
    before = datetime.combine(
        today + timedelta(days=1), datetime.min.time(), tzinfo=SELLER_TZ
    ).isoformat()
    searches = [f"/products/?{urlencode({'q': word})}" for word in SEARCH_WORDS]
    api_searches = [f"/api/v1/items/?{urlencode({'q': word})}" for word in SEARCH_WORDS]
    orders = "/orders/?" + urlencode(
        {"status": "paid", "date_from": since.isoformat(), "date_to": today.isoformat()}
    )
    outlet_products = f"/products/?account={OUTLET_ML_USER_ID}"
    outlet_orders = f"/orders/?account={OUTLET_ML_USER_ID}"
    api_outlet_orders = f"/api/v1/orders/?account={OUTLET_ML_USER_ID}"
    api_orders = "/api/v1/orders/?" + urlencode(
        {"status": "paid", "created_after": after, "created_before": before}
    )
    return {
        "overview": ["/"],
        "products_search": searches,
        "products_search_page_2": _second_pages(searches, port, creds),
        "orders_filter": [orders],
        "orders_filter_page_2": _second_pages([orders], port, creds),
        "products_of_one_account": [outlet_products],
        "orders_of_one_account_page_2": _second_pages([outlet_orders], port, creds),
        "api_overview": ["/api/v1/overview/"],
        "api_items_search": api_searches,
        "api_items_search_page_2": _second_pages(api_searches, port, creds),
        "api_orders_filter": [api_orders],
        "api_orders_filter_page_2": _second_pages([api_orders], port, creds),
        "api_orders_of_one_account": [api_outlet_orders],
    }


def _second_pages(paths: list[str], port: int, creds: Credentials) -> list[str]:
    """Each path's next page, by the cursor its first page links to."""
    pages = []
    for path in paths:
        cursor = _next_cursor(port, creds, path)
        if cursor is None:
            raise RuntimeError(f"no next page on {path}")
        pages.append(f"{path}&cursor={cursor}")
    return pages


def _run_endpoints(port: int, creds: Credentials) -> dict[str, Any]:
    address = ("127.0.0.1", port)
    common = {"X-Forwarded-Proto": "https"}
    session = {**common, "Cookie": creds.cookie, "Accept": "text/html"}
    bearer = {**common, "Authorization": f"Bearer {creds.token}", "Accept": "application/json"}
    ping = _request("localhost", "/api/ping", common)
    results: dict[str, Any] = {"baseline_ping": _measure(address, lambda _: ping).summary()}
    floor = max(0.01, float(results["baseline_ping"]["p95_ms"]))
    for name, paths in _endpoints(port, creds).items():
        headers = bearer if name.startswith("api_") else session
        built = [_request(creds.host, path, headers) for path in paths]
        measured = _measure(address, lambda index, built=built: built[index % len(built)])  # type: ignore[misc]
        summary = measured.summary()
        p95 = float(summary["p95_ms"])  # type: ignore[arg-type]
        results[name] = {
            "paths": paths,
            **summary,
            "p95_over_ping_p95": round(p95 / floor, 1),
            "target_met": summary["errors"] == 0 and p95 < TARGET_P95_MS,
        }
    return results


def _collectstatic() -> None:
    """Production serves collectstatic's hashed files (a page without them is a 500)."""
    manifest = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest}):
        call_command("collectstatic", interactive=False, verbosity=0)


def run() -> dict[str, Any]:
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_pages"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    server = None
    try:
        big = tenant_create(
            name="Loja grande",
            slug="bench-big",
            owner_email="owner@big.bench.example.com",
            owner_password=PASSWORD,
            plan_code="business",
            terms_accepted=True,
            channel="command",
        ).tenant
        tenant_create(
            name="Loja vazia",
            slug="bench-empty",
            owner_email="owner@empty.bench.example.com",
            owner_password=PASSWORD,
            plan_code="business",
            terms_accepted=True,
            channel="command",
        )
        seeded = _seed(big)
        with tenant_context(big):
            owner = User.objects.get(email=big.owner_email)
            # Hashed as production hashes it: the test settings' fast hasher is not installed
            # on the server.
            with override_settings(PASSWORD_HASHERS=[PRODUCTION_HASHER]):
                owner.set_password(PASSWORD)
            owner.save(update_fields=["password"])
            token = api_token_create(user=owner, name="bench").secret
        host = big.get_primary_domain().domain
        _collectstatic()
        port = free_port()
        server = serve(
            port, workers=WORKERS, threads=THREADS, PEEPERS_API_BURST_PER_MINUTE="1000000"
        )
        creds = Credentials(host=host, cookie=_login(port, host, big.owner_email), token=token)
        endpoints = _run_endpoints(port, creds)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if os.environ.get("BENCH_KEEP_DB") != "1":
            connections.close_all()
            teardown_databases(config, verbosity=0)
        redis.Redis.from_url(settings.REDIS_URL).flushdb()

    measured = {k: v for k, v in endpoints.items() if k != "baseline_ping"}
    errors = sum(int(v["errors"]) for v in endpoints.values())
    return {
        "benchmark": "pages",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server": f"gunicorn gthread, {WORKERS} workers x {THREADS} threads, production",
        "load": {
            "clients": CLIENTS,
            "requests_per_endpoint": REQUESTS,
            "warmup_per_endpoint": WARMUP,
            "loop": "closed (each client sends its next request when the last one answered)",
        },
        "store": seeded,
        "endpoints": endpoints,
        "errors": errors,
        "targets": {
            "p95_under_ms": TARGET_P95_MS,
            **{name: bool(v["target_met"]) for name, v in measured.items()},
        },
        "target_met": errors == 0 and all(v["target_met"] for v in measured.values()),
    }
