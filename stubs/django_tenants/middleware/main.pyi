from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

class TenantMainMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None: ...
    def process_request(self, request: HttpRequest) -> HttpResponse | None: ...
