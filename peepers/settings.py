"""All of Peepers' settings, read from the environment in this one module.

Development, test and production differ only through variables (README "Configuration");
production refuses to start with an unsafe value.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Lets admin and form classes be subscripted at runtime (ModelAdmin[Tenant]) for mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"

# Safe only because production refuses them (see the end of this module).
_DEV_SECRET_KEY = "dev-insecure-peepers-secret-key-change-me-in-production-0123456789"  # noqa: S105
_DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktcGVlcGVycy1maWVsZC1rZXktMDAwMDA="

SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")
PEEPERS_BASE_DOMAIN = env.str("PEEPERS_BASE_DOMAIN", default="localhost").lower().strip(".")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if PRODUCTION else [PEEPERS_BASE_DOMAIN, f".{PEEPERS_BASE_DOMAIN}", "127.0.0.1"],
)
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=[] if PRODUCTION else [_DEV_ENCRYPTION_KEY]
)
PORT = env.int("PORT", default=8000)
# How absolute links to Peepers' hosts are written (e-mails, cross-host redirects).
PEEPERS_URL_SCHEME = env.str("PEEPERS_URL_SCHEME", default="https" if PRODUCTION else "http")
PEEPERS_URL_PORT = env.str("PEEPERS_URL_PORT", default="" if PRODUCTION else f":{PORT}")

# -- embedded services ------------------------------------------------------------------------
# Without DATABASE_URL / REDIS_URL, PostgreSQL and Redis run embedded under PEEPERS_DATA_DIR,
# shared by every process of this checkout (peepers/embedded.py).
PEEPERS_DATA_DIR = Path(env.str("PEEPERS_DATA_DIR", default=str(BASE_DIR / ".data")))
DATABASE_NAME = "peepers"

DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    _database = env.db_url_config(DATABASE_URL)
    # A Unix-socket directory is given percent-encoded in the host: postgres://u@%2Frun%2Fpg/db
    _database["HOST"] = unquote(str(_database.get("HOST") or ""))
else:
    from peepers import embedded

    _pg = embedded.postgres(PEEPERS_DATA_DIR, databases=(DATABASE_NAME,))
    _database = _pg.endpoint.django_database(name=DATABASE_NAME)
    DATABASE_URL = _pg.endpoint.url(DATABASE_NAME)

DATABASES = {
    "default": {
        **_database,
        "ENGINE": "core.db",  # django-tenants' backend (core/db/base.py)
        # Web workers keep connections; the per-cursor SET search_path of django-tenants makes
        # reuse safe (TENANT_LIMIT_SET_CALLS stays off, see docs/adr/0001).
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3)},
        "TEST": {"NAME": f"test_{_database.get('NAME') or DATABASE_NAME}"},
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    from peepers import embedded

    # Tests use their own databases (2 and 3), so a running `make dev` keeps its data.
    REDIS_URL = embedded.redis(PEEPERS_DATA_DIR).endpoint.url(db=2 if TESTING else 0)


def redis_url_with_db(url: str, db: int) -> str:
    """``url`` pointing at database ``db`` (redis://host/N or unix:///sock?db=N)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        # urlunsplit would drop the empty authority ("unix:/path"), which redis-py rejects.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def _redis_db(url: str) -> int:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return int(dict(parse_qsl(parts.query)).get("db", 0))
    return int(parts.path.strip("/") or 0)


def _celery_broker_url(url: str) -> str:
    # Kombu spells Redis-over-a-Unix-socket redis+socket:// with the db as virtual_host.
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    return f"redis+socket://{parts.path}?virtual_host={_redis_db(url)}"


# The broker uses REDIS_URL's database; the cache the next one.
CACHE_REDIS_URL = redis_url_with_db(REDIS_URL, _redis_db(REDIS_URL) + 1)

# -- tenancy ----------------------------------------------------------------------------------
SHARED_APPS = [
    # tenants comes first so its migrate/migrate_schemas commands override django-tenants' own.
    "tenants",
    "django_tenants",
    "core",
    "users",
    "billing",
    "integrations",
    "compliance",
    "compliance.audit",
    "compliance.breaches",
    "compliance.notices",
    "compliance.retention",
    "operations",
    "operations.backups",
    "operations.incidents",
    "operations.alerts",
    "operations.maintenance",
    "operations.runbooks",
    # The local ML sandbox and Stripe emulator (their commands); no models, inert until started.
    "doubles",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # Staff in public get their own login throttling and OTP tables, like sessions.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# Users, sessions and the admin log live on both sides: staff in public, each seller's users
# in their own schema, so a session or a deletion never crosses from one to the other.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "users",
    "integrations.mercadolivre",
    "compliance.consent",
    # Failed-login counters and OTP devices live beside each store's users (accounts/throttling.py).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "api",
    "dashboard",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenant schemas are cloned from this one; migrate_schemas keeps it migrated.
PEEPERS_TEMPLATE_SCHEMA = "tenant_template"
PUBLIC_SCHEMA_URLCONF = "peepers.urls_public"
ROOT_URLCONF = "peepers.urls_tenant"
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.views.unknown_host"
# SET search_path once per tenant switch rather than once per cursor: profiling showed the
# per-cursor SET as a third of a webhook's database round trips. django-tenants >= 4.0.1 forgets
# the cached path on rollback and savepoint rollback (#1262); the isolation tests run both ways.
TENANT_LIMIT_SET_CALLS = True

# -- Django -----------------------------------------------------------------------------------
MIDDLEWARE = [
    # Outermost: request latency and status per endpoint class (operations/middleware.py).
    "operations.middleware.RequestMetricsMiddleware",
    # Health probes answer whatever the Host: load balancers send the server's own address.
    "peepers.health.ProbeMiddleware",
    # Before tenant routing, so its unknown-host, suspended and closed pages carry the policy too.
    "csp.middleware.CSPMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "tenants.middleware.StoreTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A store user with two-factor on counts as logged in only once a code was verified.
    "accounts.middleware.TwoFactorMiddleware",
    # Records staff opening a store's data in admin (once per staff, store and hour).
    "compliance.audit.middleware.StaffTenantAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "billing.middleware.EntitlementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# PEEPERS_REQUEST_METRICS=0 serves without the request metrics, for bench/metrics_overhead.py to
# measure what they cost; every deployment keeps the default (on).
if not env.bool("PEEPERS_REQUEST_METRICS", default=True):
    MIDDLEWARE.remove("operations.middleware.RequestMetricsMiddleware")

# Machine-to-machine endpoints served without the browser middleware (peepers/lean.py).
PEEPERS_LEAN_PATHS = ("/api/webhook/mercado-livre", "/api/webhook/stripe", "/metrics")
PEEPERS_LEAN_MIDDLEWARE = ["tenants.middleware.PublicHostMiddleware"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
                "billing.context_processors.billing",
            ],
        },
    }
]

WSGI_APPLICATION = "peepers.wsgi.application"
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+address before any password is checked.
    "accounts.throttling.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)
# Days a team invitation link stays valid (accounts/tokens.py).
ACCOUNTS_INVITATION_DAYS = env.int("ACCOUNTS_INVITATION_DAYS", default=7)

# Login throttling (django-axes, accounts/throttling.py): 5 failures of one e-mail from one
# address lock that pair out for 15 minutes. Counters live in the schema of the host tried (axes
# is in both app lists), so one store's lockouts never touch another's or staff's.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60  # hours, as a float
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Logins and failures are already in the audit log (compliance/audit/receivers.py).
AXES_DISABLE_ACCESS_LOG = True
AXES_USERNAME_CALLABLE = "accounts.throttling.claimed_username"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_VERBOSE = False

# Two-factor (django-otp): the issuer shown in authenticator apps; failed codes back off.
OTP_TOTP_ISSUER = "Peepers"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Staff sign in to admin with a code too (accounts/staff_login.py); production requires it.
PEEPERS_STAFF_TWO_FACTOR_REQUIRED = env.bool(
    "PEEPERS_STAFF_TWO_FACTOR_REQUIRED", default=PRODUCTION
)

# Source strings are English and marked for translation; sellers get pt-BR unless they pick
# English (language cookie, or a browser that asks for it). Catalogues: locale/, compiled by
# `python -m peepers.i18n_compile` at install.
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English pages show dates day first, as a Brazilian seller reads them (peepers/formats/en).
FORMAT_MODULE_PATH = ["peepers.formats"]
TIME_ZONE = "UTC"
PEEPERS_SELLER_TIME_ZONE = "America/Sao_Paulo"
# Store pages render dates in the store's time zone (tenants.middleware.StoreTimeZoneMiddleware);
# these paths answer machines and keep UTC.
PEEPERS_UTC_PATHS = ("/api/",)
# Pages showing live data (the overview's figures, the sync page's notifications) reload it in
# place this often while they are open (0: never).
PEEPERS_LIVE_REFRESH_SECONDS = 30
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PEEPERS_DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Production serves collectstatic's output; development and tests serve the sources directly.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = PEEPERS_DATA_DIR / "media"
MEDIA_URL = "media/"
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(PEEPERS_DATA_DIR / "backups")))
# Off-site copies of backups on S3-compatible storage: "s3://bucket/prefix", empty = local only.
# The endpoint is for non-AWS services (MinIO, R2, ...); boto3 reads the credentials from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY itself (docs/operations-backups.md).
BACKUP_S3_URL = env.str("BACKUP_S3_URL", default="")
BACKUP_S3_ENDPOINT_URL = env.str("BACKUP_S3_ENDPOINT_URL", default="")
BACKUP_S3_REGION = env.str("BACKUP_S3_REGION", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        # Every key carries the current schema, so one tenant can never read another's entry.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": "test" if TESTING else "peepers",
        "OPTIONS": {
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
            # Bursts of threads wait briefly for a connection instead of failing.
            "pool_class": "redis.BlockingConnectionPool",
            "max_connections": 64,
            "timeout": 5,
        },
    }
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "api.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.StoreEntitlement",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PlanRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.error_handlers.api_exception_handler",
}
# Per token (or session user) and minute, on top of the plan's api_calls_per_day per store.
PEEPERS_API_BURST_PER_MINUTE = env.int("PEEPERS_API_BURST_PER_MINUTE", default=120)
SPECTACULAR_SETTINGS = {
    "TITLE": "Peepers API",
    "DESCRIPTION": (
        "A store's products, orders, questions, syncs, Mercado Livre notifications, "
        "subscription and privacy requests. Every error is "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["api.schema.canonical_routes_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SyncKindEnum": "integrations.mercadolivre.models.SyncKind",
        "PrivacyRequestKindEnum": "compliance.models.RequestKind",
    },
}

# -- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = _celery_broker_url(REDIS_URL)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage is waited out, however long: the worker reconnects (every 2 s, backing off to
# 30 s) instead of exiting after Celery's default 100 tries.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running when the connection drops can no longer be acknowledged and their messages go
# back to the queue at once: cancel them rather than have them run twice side by side (every
# task is idempotent, so the redelivered run finishes the work).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_timeout": 3}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = ("core.tasks.route",)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Tenant rows are looked up for every task; a short cache spares the query on busy workers.
CELERY_TASK_TENANT_CACHE_SECONDS = 30

# -- integrations (used by later modules; defaults point at the bundled ML sandbox) ------------
# Outside production the bundled doubles (the ML sandbox, the Stripe emulator) always may run.
# In production only with this on, which `make serve` sets for its loopback run, and then only
# while the API bases point at this machine (doubles/policy.py): a real deploy, talking to
# Mercado Livre and Stripe, never satisfies that.
PEEPERS_LOCAL_DOUBLES = env.bool("PEEPERS_LOCAL_DOUBLES", default=False)
ML_SANDBOX_PORT = env.int("ML_SANDBOX_PORT", default=8001)
# How often (seconds) a buyer acts on its own in `manage.py ml_sandbox`; 0 turns it off.
ML_SANDBOX_LIVE_SECONDS = env.float("ML_SANDBOX_LIVE_SECONDS", default=0.0 if TESTING else 60.0)
_ml_sandbox = f"http://localhost:{ML_SANDBOX_PORT}"
ML_API_BASE = env.str(
    "ML_API_BASE", default="https://api.mercadolibre.com" if PRODUCTION else _ml_sandbox
)
ML_AUTH_BASE = env.str(
    "ML_AUTH_BASE", default="https://auth.mercadolivre.com.br" if PRODUCTION else _ml_sandbox
)
ML_CLIENT_ID = env.str("ML_CLIENT_ID", default="" if PRODUCTION else "peepers-sandbox-app")
ML_CLIENT_SECRET = env.str(
    "ML_CLIENT_SECRET", default="" if PRODUCTION else "peepers-sandbox-secret"
)
ML_REDIRECT_URI = env.str(
    "ML_REDIRECT_URI", default=f"http://{PEEPERS_BASE_DOMAIN}:{PORT}/auth/callback"
)


def _list_or_off(name: str) -> tuple[list[str], bool]:
    """A comma-separated variable, and whether it was set at all: ``off`` is the explicit empty.

    Production refuses an unset one (see the end of this module), so leaving a check or a
    channel out is always a decision someone wrote down.
    """
    entries = [entry.strip() for entry in env.str(name, default="").split(",") if entry.strip()]
    if [entry.lower() for entry in entries] == ["off"]:
        return [], True
    if "off" in (entry.lower() for entry in entries):
        raise ImproperlyConfigured(f"{name}: `off` stands alone, not beside other values")
    return entries, bool(entries)


# Addresses or networks allowed to post ML notifications (`off`: anyone; ML's current list is in
# docs/mercadolivre.md), and how many proxies in front of Peepers append X-Forwarded-For.
ML_WEBHOOK_ALLOWED_IPS, _ml_webhook_ips_decided = _list_or_off("ML_WEBHOOK_ALLOWED_IPS")
ML_WEBHOOK_TRUSTED_PROXIES = env.int("ML_WEBHOOK_TRUSTED_PROXIES", default=0)
# A notification "processing" this long was abandoned by a dead worker and is taken up again.
ML_INBOX_STUCK_SECONDS = env.int("ML_INBOX_STUCK_SECONDS", default=300)
# ML publishes no quota: these are our budget, of which ML_RATE_LIMIT_TARGET is spent.
ML_RATE_LIMIT_PER_MINUTE = env.int("ML_RATE_LIMIT_PER_MINUTE", default=1500)
ML_SELLER_RATE_LIMIT_PER_MINUTE = env.int("ML_SELLER_RATE_LIMIT_PER_MINUTE", default=300)
ML_RATE_LIMIT_TARGET = env.float("ML_RATE_LIMIT_TARGET", default=0.8)
ML_BREAKER_FAILURES = env.int("ML_BREAKER_FAILURES", default=5)
ML_BREAKER_RESET_SECONDS = env.int("ML_BREAKER_RESET_SECONDS", default=300)
# How often beat offers every store an incremental sync; each plan's sync_interval_minutes then
# decides whether the store takes it, so this should be the shortest plan interval.
ML_SYNC_INTERVAL_MINUTES = env.int("ML_SYNC_INTERVAL_MINUTES", default=5)
SOCIAL_AUTH_REQUESTS_TIMEOUT = 10
# -- billing (Stripe) ------------------------------------------------------------------------
# Outside production the SDK talks to the bundled emulator (doubles/stripe), never to Stripe.
STRIPE_EMULATOR_PORT = env.int("STRIPE_EMULATOR_PORT", default=12111)
_stripe_emulator = f"http://127.0.0.1:{STRIPE_EMULATOR_PORT}"
STRIPE_API_BASE = env.str(
    "STRIPE_API_BASE", default="https://api.stripe.com" if PRODUCTION else _stripe_emulator
)
STRIPE_SECRET_KEY = env.str(
    "STRIPE_SECRET_KEY", default="" if PRODUCTION else "sk_test_peepers_emulator"
)
# Signing secrets of the webhook endpoint, comma-separated; any one verifies (rotation).
STRIPE_WEBHOOK_SECRET = [
    secret.strip()
    for secret in env.list(
        "STRIPE_WEBHOOK_SECRET", default=[] if PRODUCTION else ["whsec_peepers_emulator"]
    )
    if secret.strip()
]
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Payment methods offered in Checkout; empty lets the Stripe dashboard decide (Stripe's advice
# for subscriptions). Boleto needs a Brazilian account with it enabled: "card,boleto".
STRIPE_CHECKOUT_PAYMENT_METHODS = env.list("STRIPE_CHECKOUT_PAYMENT_METHODS", default=[])
# Days a past_due store keeps full access while Stripe retries the payment.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
# A stored event processing this long was abandoned by a dead worker and is taken up again.
BILLING_INBOX_STUCK_SECONDS = env.int("BILLING_INBOX_STUCK_SECONDS", default=300)
# Incident channels (apprise URLs; `off`: none).
NOTIFY_URLS, _notify_urls_decided = _list_or_off("NOTIFY_URLS")
# Bearer token Prometheus sends to GET /metrics on the public host (empty: /metrics is off).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The alert rules evaluate_alerts reads (docs/operations-alerts.md); a broken file keeps the last
# good rules in force and opens an incident naming the line.
ALERT_RULES_FILE = Path(
    env.str("ALERT_RULES_FILE", default=str(BASE_DIR / "operations" / "alerts" / "rules.yaml"))
)
# Staff inactive this long are disabled by the monthly access review (docs/compliance-audit.md).
ACCESS_REVIEW_INACTIVE_DAYS = env.int("ACCESS_REVIEW_INACTIVE_DAYS", default=90)

# -- Content-Security-Policy (django-csp; docs/security.md) -----------------------------------
# Pages load scripts, styles and fonts from their own host only and run no inline code: htmx
# comes from static/, its indicator style lives in site.css (base.html turns htmx's injected
# <style> off), and no template has a style= attribute. NONCE is sent only by a page that asks for
# one: the API docs, whose Swagger UI starts from an inline script drf-spectacular renders
# (templates/drf_spectacular/swagger_ui.html). No 'unsafe-inline' and no 'unsafe-eval' anywhere.


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Forms that post to Peepers and are answered with a redirect elsewhere: signup hands over from
# the public host to the new store's host, "Connect Mercado Livre" to ML's consent page (which
# sends a visitor not logged in to ML's login on another host of its site), subscribe and manage
# billing to Stripe's hosted Checkout and portal. Browsers hold those redirects to form-action.
_ml_auth_pages = [_origin(ML_AUTH_BASE)]
if (urlsplit(ML_AUTH_BASE).hostname or "").endswith(".mercadolivre.com.br"):
    _ml_auth_pages.append("https://*.mercadolivre.com.br")
_stripe_pages = (
    ["https://checkout.stripe.com", "https://billing.stripe.com"]
    if urlsplit(STRIPE_API_BASE).hostname == "api.stripe.com"
    else [_origin(STRIPE_API_BASE)]
)
_peepers_hosts = [
    f"{PEEPERS_URL_SCHEME}://{PEEPERS_BASE_DOMAIN}{PEEPERS_URL_PORT}",
    f"{PEEPERS_URL_SCHEME}://*.{PEEPERS_BASE_DOMAIN}{PEEPERS_URL_PORT}",
]
# Where browsers send violation reports (empty: nowhere; the browser console still shows them).
CSP_REPORT_URI = env.str("CSP_REPORT_URI", default="")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # data: for the stylesheets' inline icons (admin, Swagger UI); product thumbnails are on
        # Mercado Livre's image CDN.
        "img-src": [SELF, "data:", "https://*.mlstatic.com"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, *_peepers_hosts, *_ml_auth_pages, *_stripe_pages],
        "frame-ancestors": [NONE],
        **({"report-uri": CSP_REPORT_URI} if CSP_REPORT_URI else {}),
    },
}

# -- e-mail -----------------------------------------------------------------------------------
# smtp://user:password@host:587/?tls=True in production; the console in development.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
# Staff addresses that receive billing alerts (disputes) and Django's error mails.
ADMINS = [("Peepers staff", email) for email in env.list("STAFF_ALERT_EMAILS", default=[])]
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default=f"Peepers <no-reply@{PEEPERS_BASE_DOMAIN}>"
)

# -- compliance -------------------------------------------------------------------------------
# Days a data-subject export's download link stays valid.
COMPLIANCE_EXPORT_LINK_DAYS = env.int("COMPLIANCE_EXPORT_LINK_DAYS", default=7)
# The DPO (encarregado, LGPD Art. 41) contact shown in the privacy center.
PEEPERS_DPO_CONTACT = env.str("PEEPERS_DPO_CONTACT", default="privacidade@peepers.com.br")

# -- onboarding -------------------------------------------------------------------------------
PEEPERS_TERMS_VERSION = "2026-11-01"
PEEPERS_PRIVACY_NOTICE_VERSION = "2026-11-01"
PEEPERS_PLAN_CATALOGUE = "billing.selectors.plan_catalogue"
# The published terms/privacy notice for /legal/ pages (None: the pages' own templates).
PEEPERS_LEGAL_NOTICE_PROVIDER = "compliance.notices.selectors.notice_current"
PEEPERS_DEFAULT_PLAN = "starter"
# Seconds a signup hand-off link (public host -> the new store's host) stays usable.
PEEPERS_SIGNUP_HANDOFF_MAX_AGE = 120
PEEPERS_RESERVED_SLUGS = frozenset(
    {
        "www",
        "admin",
        "api",
        "app",
        "public",
        "static",
        "media",
        "mail",
        "help",
        "status",
        "support",
        "docs",
        "signup",
        "login",
        "auth",
        PEEPERS_TEMPLATE_SCHEMA,
        "information_schema",
    }
)

# -- logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.log_context.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[%(schema)s %(task)s %(correlation_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tenants": {"level": "WARNING"},
        # One line per HTTP call, with query strings: not for production logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # The SDK logs every request and response line at INFO.
        "stripe": {"level": "WARNING"},
    },
}

# -- production -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"


def _check_production() -> None:
    problems = []
    if DEBUG:
        problems.append("DEBUG is on")
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY is the development default or shorter than 50 characters")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS is empty")
    if not FIELD_ENCRYPTION_KEYS:
        problems.append("FIELD_ENCRYPTION_KEYS is missing")
    if not STRIPE_SECRET_KEY or not STRIPE_WEBHOOK_SECRET:
        problems.append("STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET is missing")
    if not ADMINS:
        problems.append("STAFF_ALERT_EMAILS is missing (disputes and deadline alerts go there)")
    if not _ml_webhook_ips_decided:
        problems.append(
            "ML_WEBHOOK_ALLOWED_IPS is unset (Mercado Livre's addresses, or `off` to accept "
            "notifications from anyone)"
        )
    if not _notify_urls_decided:
        problems.append(
            "NOTIFY_URLS is unset (apprise URLs for incidents, or `off` for no channel)"
        )
    for key in FIELD_ENCRYPTION_KEYS:
        if key == _DEV_ENCRYPTION_KEY:
            problems.append("FIELD_ENCRYPTION_KEYS holds the development key")
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            problems.append(
                "FIELD_ENCRYPTION_KEYS holds a key that is not 32 url-safe base64 bytes"
            )
    if problems:
        raise ImproperlyConfigured(
            "refusing to start with DJANGO_ENV=production: " + "; ".join(problems)
        )


if PRODUCTION:
    _check_production()


# -- periodic jobs ----------------------------------------------------------------------------
# Installed into django-celery-beat's tables when beat starts; staff can retime them in admin.
CELERY_BEAT_SCHEDULE = {
    "sessions-clear-expired-public": {
        "task": "tenants.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "sessions-clear-expired-stores": {
        "task": "tenants.fan_out",
        "schedule": crontab(hour=3, minute=27),
        "args": ["tenants.clear_expired_sessions", 1800],
    },
    # The inbox is the source of truth: re-send what the queue lost, every minute.
    "ml-inbox-reconcile": {"task": "integrations.ml_inbox_reconcile", "schedule": 60.0},
    "ml-missed-feeds": {"task": "integrations.ml_missed_feeds", "schedule": 600.0},
    # ML tokens refreshed ahead of expiry, one job per account (mercadolivre/tokens.py).
    "ml-tokens-due": {"task": "integrations.ml_tokens_due", "schedule": 60.0},
    # Catch whatever notifications missed, store by store, spread over the interval.
    "ml-incremental-sync": {
        "task": "tenants.fan_out",
        "schedule": ML_SYNC_INTERVAL_MINUTES * 60,
        "args": ["integrations.ml_incremental_sync", ML_SYNC_INTERVAL_MINUTES * 60 // 2],
    },
    "operations-metrics-rollup": {"task": "operations.metrics_rollup", "schedule": 60.0},
    "stripe-inbox-reconcile": {"task": "billing.stripe_inbox_reconcile", "schedule": 60.0},
    # Stripe is the source of truth: a nightly full reconcile catches anything events missed.
    "stripe-sync-subscriptions": {
        "task": "billing.sync_subscriptions",
        "schedule": crontab(hour=4, minute=7),
    },
    "compliance-dsr-deadlines": {
        "task": "compliance.dsr_deadlines",
        "schedule": crontab(minute=11),
    },
    "billing-signup-trials-ending": {
        "task": "billing.signup_trials_ending",
        "schedule": crontab(hour=12, minute=3),
    },
    # Runbook "Access Control": review staff accounts monthly, disabling the inactive.
    "audit-access-review": {
        "task": "audit.access_review",
        "schedule": crontab(day_of_month=1, hour=5, minute=13),
    },
    # Retention policies (docs/compliance-retention.md): daily, stores in chained slices.
    "retention-daily": {
        "task": "retention.run",
        "schedule": crontab(hour=2, minute=41),
    },
    # Incidents past their response/resolution SLA escalate (docs/operations-incidents.md).
    "incidents-escalate": {"task": "incidents.escalate", "schedule": 60.0},
    # Alert rules (operations/alerts/rules.yaml) fire and resolve incidents.
    "alerts-evaluate": {"task": "alerts.evaluate", "schedule": 30.0},
    # Backups and the other scheduled maintenance are beat entries made by a data migration
    # (operations/maintenance/migrations/0002), so staff re-time them in admin for good.
}
