from django.urls import path

from registry.opendata.feeds import LatestCasesAtomFeed, LatestCasesRssFeed
from registry.views import (
    discovery,
    drafts,
    editor,
    freshness,
    merge,
    moderation,
    observatory,
    opendata,
    pages,
    reports,
    site,
    threads,
)

urlpatterns = [
    path("", discovery.home, name="home"),
    path("experiences/", discovery.case_list, name="case_list"),
    path("experiences/<slug:slug>/", discovery.case_detail, name="case_detail"),
    path("experiences/<slug:slug>/signaler/", reports.case_report, name="case_report"),
    path("experiences-pionnieres/", discovery.pioneers, name="pioneers"),
    path("territoires/", pages.territory_index, name="territory_index"),
    path("territoires/<str:kind>/<str:code>/", pages.territory_detail, name="territory_detail"),
    path("referentiel/", pages.referentiel, name="referentiel"),
    path("referentiel/<slug:vocabulary>/<slug:code>/", pages.term_detail, name="term_detail"),
    path("organisations/", pages.organization_list, name="organization_list"),
    path("organisations/<slug:slug>/", pages.organization_detail, name="organization_detail"),
]

urlpatterns += [
    path("contribuer/nouvelle/", editor.case_create, name="case_create"),
    path(
        "contribuer/suggestions/territoires/",
        editor.suggest_territories,
        name="suggest_territories",
    ),
    path(
        "contribuer/suggestions/organisations/",
        editor.suggest_organizations,
        name="suggest_organizations",
    ),
    path("contribuer/<int:pk>/", editor.case_edit, name="case_edit"),
    path("contribuer/<int:pk>/soumettre/", editor.submit, name="case_submit"),
    path("contribuer/<int:pk>/retirer/", editor.withdraw, name="case_withdraw"),
    path("contribuer/<int:pk>/supprimer/", drafts.case_delete, name="case_delete"),
    path("contribuer/<int:pk>/messages/", threads.case_message, name="case_message"),
    path("contribuer/<int:pk>/historique/", moderation.case_history, name="case_history"),
    path(
        "contribuer/<int:pk>/historique/<int:number>/restaurer/",
        moderation.case_restore,
        name="case_restore",
    ),
    path("moderation/", moderation.moderation_queue, name="moderation_queue"),
    path("moderation/<int:pk>/", moderation.moderation_review, name="moderation_review"),
    path("moderation/spam/", moderation.moderation_bulk_spam, name="moderation_bulk_spam"),
    path(
        "moderation/<int:pk>/prise-en-charge/",
        moderation.moderation_assign,
        name="moderation_assign",
    ),
    path(
        "moderation/<int:pk>/pionniere/", moderation.moderation_feature, name="moderation_feature"
    ),
    path("moderation/fusion/", merge.moderation_merge, name="moderation_merge"),
    path("moderation/fraicheur/", freshness.moderation_freshness, name="moderation_freshness"),
    path("verification/<str:token>/", freshness.freshness_confirm, name="freshness_confirm"),
    path(
        "moderation/fusion/apercu/", merge.moderation_merge_preview, name="moderation_merge_preview"
    ),
    path("moderation/signalements/", reports.moderation_reports, name="moderation_reports"),
    path(
        "moderation/signalements/<int:pk>/traite/",
        reports.report_resolve,
        name="report_resolve",
    ),
    path("moderation/comptes/<int:pk>/bloquer/", reports.account_block, name="account_block"),
    path(
        "moderation/messages/",
        moderation.moderation_contact_messages,
        name="moderation_contact_messages",
    ),
    path(
        "moderation/messages/<int:pk>/traite/",
        moderation.contact_message_handle,
        name="contact_message_handle",
    ),
]

urlpatterns += [
    path("observatoire/", observatory.observatory, name="observatory"),
    path("observatoire/carte.svg", observatory.observatory_map, name="observatory_map"),
    path("observatoire/couverture/", observatory.observatory_coverage, name="observatory_coverage"),
    path(
        "observatoire/couverture/missions-regions.csv",
        observatory.observatory_coverage_csv,
        name="observatory_coverage_csv",
    ),
    path("observatoire/comparer/", observatory.observatory_compare, name="observatory_compare"),
    path(
        "observatoire/comparer/<slug:chart>.csv",
        observatory.observatory_compare_csv,
        name="observatory_compare_csv",
    ),
    path("observatoire/<slug:chart>.csv", observatory.observatory_csv, name="observatory_csv"),
]

urlpatterns += [
    path("experiences/export.csv", opendata.case_export, {"fmt": "csv"}, name="case_export_csv"),
    path("experiences/export.json", opendata.case_export, {"fmt": "json"}, name="case_export_json"),
    path(
        "experiences/export.geojson",
        opendata.case_export,
        {"fmt": "geojson"},
        name="case_export_geojson",
    ),
    path(
        "experiences/export.xlsx", opendata.case_export, {"fmt": "xlsx"}, name="case_export_xlsx"
    ),
    path("flux/atom/", LatestCasesAtomFeed(), name="feed_atom"),
    path("flux/rss/", LatestCasesRssFeed(), name="feed_rss"),
    path("donnees/", opendata.data_dictionary, name="data_dictionary"),
    path("donnees/schema-csv.json", opendata.csv_table_schema, name="data_schema_csv"),
]

urlpatterns += [
    path("a-propos/", site.about, name="about"),
    path("mentions-legales/", site.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", site.privacy, name="privacy"),
    path("accessibilite/", site.accessibility, name="accessibility"),
    path("contact/", site.contact, name="contact"),
    path("plan-du-site/", site.site_map, name="site_map"),
]
