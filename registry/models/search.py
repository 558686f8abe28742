"""The lexicon of the search documents: the words a visitor may mistype."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchWord(models.Model):
    """A folded word of the cases' search documents and how many cases hold it,
    kept by `registry.models.index` (by difference at each refresh, recounted by
    `rebuild_search_index`). « Vouliez-vous dire … ? » picks its corrections here."""

    word = models.CharField(_("mot"), max_length=60, unique=True)
    cases = models.IntegerField(_("expériences"), default=0)

    class Meta:
        verbose_name = _("mot de l'index")
        verbose_name_plural = _("mots de l'index")

    def __str__(self):
        return self.word
