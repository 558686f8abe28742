"""Freshness reminders are recorded in the audit log (`Action.REMIND`): only the choices change."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0016_moderators_handle_reports"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditlog",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "création"),
                    ("edit", "modification"),
                    ("submit", "soumission"),
                    ("withdraw", "retrait de la soumission"),
                    ("publish", "publication"),
                    ("request_changes", "demande de modifications"),
                    ("reject", "refus"),
                    ("archive", "archivage"),
                    ("unarchive", "republication"),
                    ("feature", "mise en avant comme pionnière"),
                    ("unfeature", "fin de la mise en avant"),
                    ("restore", "restauration d'une version"),
                    ("verify", "confirmation d'exactitude"),
                    ("remind", "rappel de vérification"),
                    ("merge", "fusion d'organisations"),
                    ("report", "signalement"),
                    ("resolve_report", "traitement d'un signalement"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="caseversion",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "création"),
                    ("edit", "modification"),
                    ("submit", "soumission"),
                    ("withdraw", "retrait de la soumission"),
                    ("publish", "publication"),
                    ("request_changes", "demande de modifications"),
                    ("reject", "refus"),
                    ("archive", "archivage"),
                    ("unarchive", "republication"),
                    ("feature", "mise en avant comme pionnière"),
                    ("unfeature", "fin de la mise en avant"),
                    ("restore", "restauration d'une version"),
                    ("verify", "confirmation d'exactitude"),
                    ("remind", "rappel de vérification"),
                    ("merge", "fusion d'organisations"),
                    ("report", "signalement"),
                    ("resolve_report", "traitement d'un signalement"),
                ],
                max_length=20,
                verbose_name="occasion",
            ),
        ),
    ]
