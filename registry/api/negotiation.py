"""Content negotiation and pagination of the API (imported by the DRF settings,
so free of any import of views)."""

import re

from django.utils.translation import gettext, gettext_lazy
from rest_framework.exceptions import NotAcceptable, ValidationError
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
    """25 per page (at most 100) with the total count; a page past the end is a 404.

    A `page_size` that is not a whole number from 1 to 100 is a 400 naming it, on
    every list (DRF's own pagination used 25, or 100, instead, without a word)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = gettext_lazy("Page « {page_number} » introuvable : {message}")

    def get_page_size(self, request):
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not (re.fullmatch(r"[0-9]{1,4}", asked) and 1 <= int(asked) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        gettext("Nombre de résultats par page : de 1 à %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return int(asked)
