"""Reports are resolved with an outcome and a note; blocking an account is logged."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0017_freshness_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("fixed", "Contenu corrigé"),
                    ("archived", "Expérience archivée"),
                    ("unfounded", "Signalement non fondé"),
                    ("other", "Autre suite"),
                ],
                max_length=10,
                verbose_name="suite donnée",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="resolution_note",
            field=models.TextField(blank=True, max_length=2000, verbose_name="note de traitement"),
        ),
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
                    ("block", "blocage d'un compte"),
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
                    ("block", "blocage d'un compte"),
                ],
                max_length=20,
                verbose_name="occasion",
            ),
        ),
    ]
