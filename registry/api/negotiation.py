"""Content negotiation and pagination of the API (imported by the DRF settings,
so free of any import of views)."""

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination


class LenientContentNegotiation(DefaultContentNegotiation):
    """The API speaks JSON whatever the Accept header asks (never a 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


class Pagination(PageNumberPagination):
    """25 per page (at most 100) with the total count; a page past the end is a 404."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = gettext_lazy("Page « {page_number} » introuvable : {message}")
