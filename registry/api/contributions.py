"""The write API: a contributor's own cases, through their personal token.

The same rules as the site's editor, from the same code: a draft is created by
`Case.objects.create_draft` and changed by `case.replace_content` (each in one
transaction that rebuilds the case's index); submission and withdrawal are
`case.submit(by=…)` and `case.withdraw(by=…)`. Someone else's case is a 404. Only drafts and cases
sent back for changes are edited here: a published case changes through a
revision reviewed by staff, in the site's editor (409 here).

A partner missing from the registry is created as in the editor too: the same
form (`NewOrganizationForm`) and the same duplicate check
(`new_organization_duplicates`); what stands in its way is a 409 naming it,
unless it is known only from someone else's drafts: then the 409 says the
identifier is taken, without the name, and the roster takes that identifier.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response
from rest_framework.settings import api_settings

from registry.api import serializers as s
from registry.api.schema import PAGE_PARAMETERS, responses
from registry.api.views import ApiView, case_detail_queryset, form_errors, parse_pk
from registry.forms import same_organization
from registry.models import (
    EDITABLE_STATUSES,
    Case,
    CaseStatus,
    Organization,
    TransitionNotAllowed,
)
from registry.models.access import case_for
from registry.models.workflow import WITHDRAW_FIRST, VersionConflict
from registry.search.duplicates import new_organization_duplicates

PK_PARAMETER = OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


ROSTER_BY_NAME = (
    "A roster entry names its organisation by organization (id, slug, SIREN, SIRET or "
    "RNA), or by name and actor_type (with siren, siret, rna and seat when known): an "
    "organisation with one of those identifiers (or governing the territory of that "
    "SIREN) is used; else one you may see with the same name, legal form aside, and "
    "the same type; else it is created, yours, in the same transaction as the case. "
    "Similar organisations are a 409 listing them per entry, unless the entry says "
    "confirm_new."
)
ROSTER_CONFLICT = OpenApiResponse(
    s.CaseConflictSerializer,
    description="Roster entries by name resemble existing organisations (similar_organizations), "
    "or the case cannot be changed in its state or was changed meanwhile (conflict).",
)


TRANSITION_CONFLICT = OpenApiResponse(
    inline_serializer(
        "TransitionConflict",
        {
            "detail": serializers.CharField(),
            "missing": serializers.ListField(
                child=serializers.CharField(),
                required=False,
                help_text="For a submission: what the case still lacks.",
            ),
        },
    ),
    description="The case's state does not allow this, or (missing) it lacks what a "
    "submission needs.",
)


def roster_conflict(serializer):
    """The 409 to answer when new partners named in the roster resemble existing
    ones (only organisations the client may see are listed), or None."""
    conflicts = serializer.roster_conflicts()
    if conflicts:
        return Response(
            {
                "detail": _(
                    "Des organisations proches existent déjà pour certains partenaires : "
                    "indiquez l'une d'elles (organization), ou renvoyez ces partenaires avec "
                    "confirm_new si ce sont d'autres organisations."
                ),
                "code": "similar_organizations",
                "roster": [
                    {
                        "index": conflict["index"],
                        "name": conflict["name"],
                        "candidates": [
                            candidate(o, serializer.context) for o in conflict["candidates"]
                        ],
                    }
                    for conflict in conflicts
                ],
            },
            status=status.HTTP_409_CONFLICT,
        )
    return None


def not_editable_message(case):
    revision = case.open_revision() if case.status == CaseStatus.PUBLISHED else None
    if revision is not None and revision.is_submitted:
        return str(WITHDRAW_FIRST)
    if case.status == CaseStatus.PUBLISHED:
        return _(
            "Cette expérience est publiée : ses modifications passent par une révision que "
            "l'équipe de modération relit, depuis l'éditeur du site."
        )
    if case.status == CaseStatus.SUBMITTED:
        return _("Cette expérience attend sa relecture : retirez la soumission pour la modifier.")
    return _("Cette expérience ne peut plus être modifiée dans son état actuel.")


def not_deletable_message(case):
    if case.status == CaseStatus.SUBMITTED:
        return _(
            "Cette expérience attend sa relecture : retirez la soumission, puis supprimez "
            "le brouillon."
        )
    return _(
        "Seul un brouillon jamais publié peut être supprimé : cette expérience "
        "(%(status)s) a été publiée ou relue, elle reste dans le registre."
    ) % {"status": case.get_status_display()}


class OwnCaseMixin:
    permission_classes = [permissions.IsAuthenticated]
    queryset = Case.objects.none()  # for the schema: the views build their own

    def own_case(self, pk, *, for_update=False):
        """The case as the site's editor has it (`case_for`): its owner's and, for
        staff, any; 404 to those who may not see it, 403 to those who may not edit it."""
        return case_for(self.request.user, parse_pk(pk), write=True, for_update=for_update)

    def represent(self, case, status_code=200, headers=None):
        case = case_detail_queryset(Case.objects.all()).get(pk=case.pk)
        data = s.OwnCaseSerializer(case, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers=headers)


class OwnCaseList(OwnCaseMixin, ApiView):
    @extend_schema(
        operation_id="me_cases_list",
        summary="Your cases, in every state",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=list(CaseStatus.values),
                description="Only the cases in this state.",
            ),
            *PAGE_PARAMETERS,
        ],
        responses=responses(s.OwnCaseListSerializer(many=True), 400, 404),
        tags=["contribution"],
    )
    def get(self, request):
        cases = Case.objects.filter(owner=request.user).for_list().order_by("-updated_at", "-id")
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in CaseStatus.values:
                raise ValidationError(
                    {"status": [_("Statut inconnu : %(status)s.") % {"status": wanted}]}
                )
            cases = cases.filter(status=wanted)
        return self.paginated(cases, s.OwnCaseListSerializer)

    @extend_schema(
        operation_id="me_cases_create",
        summary="Create a draft",
        description=(
            "Only title and summary are required to keep a draft; submitting it needs at "
            "least a territory, two distinct partners and a theme. "
            + ROSTER_BY_NAME
        ),
        request=s.CaseWriteSerializer,
        responses=responses({201: s.OwnCaseSerializer, 409: ROSTER_CONFLICT}, 400, 415),
        tags=["contribution"],
    )
    def post(self, request):
        serializer = s.CaseWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        conflict = roster_conflict(serializer)
        if conflict is not None:
            return conflict
        # The new partners, the case and the answer, or nothing: a database lost
        # before the answer is read undoes the write, so a 503 means « not saved »
        # and a client may send it again without making a twin.
        with transaction.atomic():
            serializer.create_organizations()
            case = Case.objects.create_draft(owner=request.user, snapshot=serializer.snapshot({}))
            location = request.build_absolute_uri(
                reverse("api:own_case_detail", kwargs={"pk": case.pk})
            )
            return self.represent(case, status.HTTP_201_CREATED, {"Location": location})


class OwnCaseDetail(OwnCaseMixin, ApiView):
    pagination_class = None

    @extend_schema(
        operation_id="me_cases_retrieve",
        summary="One of your cases",
        parameters=[PK_PARAMETER],
        responses=responses(s.OwnCaseSerializer, 403, 404),
        tags=["contribution"],
    )
    def get(self, request, pk):
        return self.represent(self.own_case(pk))

    @extend_schema(
        operation_id="me_cases_partial_update",
        summary="Edit a draft",
        description=(
            "Only the fields sent change; territories, roster and sources sent replace "
            "their list; a vocabulary sent in tags replaces that vocabulary's tags. Only "
            "drafts and cases sent back for changes can be edited: a published case "
            "changes through a revision that staff review, in the site's editor (409). "
            + ROSTER_BY_NAME
        ),
        parameters=[PK_PARAMETER],
        request=s.CaseWriteSerializer,
        responses=responses({200: s.OwnCaseSerializer, 409: ROSTER_CONFLICT}, 400, 403, 404, 415),
        tags=["contribution"],
    )
    def patch(self, request, pk):
        with transaction.atomic():
            case = self.own_case(pk, for_update=True)
            if case.status not in EDITABLE_STATUSES:
                raise Conflict(not_editable_message(case))
            serializer = s.CaseWriteSerializer(
                case, data=request.data, partial=True, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            conflict = roster_conflict(serializer)
            if conflict is not None:
                return conflict  # nothing written yet
            serializer.create_organizations()
            sent_version = serializer.validated_data.get("version")
            try:
                case = case.replace_content(
                    serializer.snapshot(case.snapshot()),
                    by=request.user,
                    version=sent_version,
                    summary=serializer.validated_data.get("edit_summary"),
                )
            except VersionConflict as conflict:
                raise Conflict(
                    _(
                        "Quelqu'un a modifié cette expérience depuis la version %(sent)d "
                        "(version actuelle : %(current)d) : relisez-la puis renvoyez vos "
                        "modifications."
                    )
                    % {"sent": sent_version, "current": conflict.current_version}
                ) from None
            return self.represent(case)  # read in the write's transaction, like a creation


    @extend_schema(
        operation_id="me_cases_destroy",
        summary="Delete a draft",
        description=(
            "Deletes one of your drafts for good, with its territories, roster and sources "
            "(the organisations stay). Only a draft or a case sent back for changes that was "
            "never published and has no revision: anything else is a 409. Another "
            "account's case is a 404, staff included."
        ),
        request=None,
        parameters=[PK_PARAMETER],
        responses=responses({204: None}, 404, 409),
        tags=["contribution"],
    )
    def delete(self, request, pk):
        with transaction.atomic():
            case = (
                Case.objects.filter(owner=request.user, pk=parse_pk(pk))
                .select_for_update(of=("self",))
                .first()
            )
            if case is None:
                raise NotFound(
                    _("Aucune expérience ne porte l'identifiant « %(id)s ».") % {"id": pk}
                )
            if not case.is_deletable:
                raise Conflict(not_deletable_message(case))
            case.delete_draft(by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OwnCaseTransition(OwnCaseMixin, ApiView):
    pagination_class = None
    action = None

    def target(self, case):
        """What the transition moves: a published case's open revision (its
        changes, edited in the site's editor), else the case."""
        revision = case.open_revision() if case.status == CaseStatus.PUBLISHED else None
        return revision if revision is not None else case

    def arguments(self, request):
        return {}

    def post(self, request, pk):
        case = self.own_case(pk)
        try:
            getattr(self.target(case), self.action)(by=request.user, **self.arguments(request))
        except TransitionNotAllowed as error:
            # The request is well formed: the case's state (or its content, for a
            # submission) stands in the way, a 409 (the schema cannot say it).
            detail = {"detail": " ".join(error.messages)}
            if self.action == "submit" and case.status in EDITABLE_STATUSES:
                detail = {
                    "detail": _("L'expérience ne peut pas encore être soumise."),
                    "missing": error.messages,
                }
            raise Conflict(detail) from None
        except PermissionDenied:
            raise Forbidden() from None
        return self.represent(case)


class OwnCaseSubmit(OwnCaseTransition):
    action = "submit"

    @extend_schema(
        operation_id="me_cases_submit",
        summary="Submit a draft for review",
        description=(
            "The case goes to the moderation queue (a trusted contributor's is published "
            "at once). A 409 lists what is still missing (missing), or says why the case's "
            "state does not allow it. The body may carry edit_summary, "
            "what you changed, for the moderators. For a published case, its changes "
            "prepared in the site's editor (its revision) are submitted."
        ),
        request=s.SubmitSerializer,
        parameters=[PK_PARAMETER],
        responses=responses({200: s.OwnCaseSerializer, 409: TRANSITION_CONFLICT}, 400, 403, 404),
        tags=["contribution"],
    )
    def post(self, request, pk):
        return super().post(request, pk)

    def arguments(self, request):
        # The body is optional: none (or one not in JSON, as before it was read) is
        # a submission with the summary kept with the last edit.
        if not request.body or not request.content_type.startswith("application/json"):
            return {}
        body = s.SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "edit_summary" in body.validated_data:
            return {"summary": body.validated_data["edit_summary"]}
        return {}


class OwnCaseWithdraw(OwnCaseTransition):
    action = "withdraw"

    @extend_schema(
        operation_id="me_cases_withdraw",
        summary="Withdraw a submission (the case becomes a draft again)",
        description=(
            "A submitted case becomes a draft again; a published case's submitted changes "
            "(its revision, edited in the site's editor) leave the queue and may be edited "
            "again, the published case staying online."
        ),
        request=None,
        parameters=[PK_PARAMETER],
        responses=responses({200: s.OwnCaseSerializer, 409: TRANSITION_CONFLICT}, 400, 403, 404),
        tags=["contribution"],
    )
    def post(self, request, pk):
        return super().post(request, pk)


def candidate(organization, context):
    seat = organization.seat
    return {
        "id": organization.pk,
        "slug": organization.slug,
        "name": organization.name,
        "actor_type": s.term_ref(organization.actor_type),
        "seat": s.territory_ref(seat, context) if seat is not None else None,
        "siren": organization.siren,
        "siret": organization.siret,
        "rna": organization.rna,
    }


def same_identifier_conflict(duplicates, context):
    if not duplicates.same_identifier:
        # Known only from someone else's drafts: its name is not the client's to
        # read, but the identifier it typed is enough to put it on a roster.
        return Response(
            {
                "detail": _(
                    "Une organisation porte déjà cet identifiant, dans une fiche pas encore "
                    "publiée : ne la créez pas une seconde fois, indiquez ce SIREN ou ce "
                    "numéro RNA dans la liste des partenaires de votre expérience."
                ),
                "code": "same_identifier",
                "candidates": [],
            },
            status=status.HTTP_409_CONFLICT,
        )
    organizations = duplicates.same_identifier
    found = organizations[0]
    return Response(
        {
            "detail": _(
                "Une organisation porte déjà cet identifiant : « %(name)s » (id %(id)s). "
                "Utilisez-la dans la liste des partenaires."
            )
            % {"name": found.name, "id": found.pk},
            "code": "same_identifier",
            "organization": candidate(found, context),
            "candidates": [candidate(o, context) for o in organizations],
        },
        status=status.HTTP_409_CONFLICT,
    )


def validation_error(form):
    errors = form_errors(form)
    if "__all__" in errors:
        errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop("__all__")
    return ValidationError(errors)


class OwnOrganizationCreate(ApiView):
    pagination_class = None
    permission_classes = [permissions.IsAuthenticated]
    queryset = Organization.objects.none()  # for the schema: the view builds its own

    @extend_schema(
        operation_id="me_organizations_create",
        summary="Create a partner organisation",
        description=(
            "For a partner not yet in the registry (search /organizations/ first), or name "
            "it in a roster entry (see me_cases_create): the rules of the site's editor, "
            "siret and seat (a commune) included. An organisation with the same SIREN or RNA is "
            "never created twice: a 409 names it, or, when it is known only from another "
            "account's unpublished cases, says so without its name (put that SIREN or RNA "
            "in the roster). Similar names among the organisations you may see (public "
            "ones and your own) are a 409 listing them: use one of them, or send again "
            "with confirm_new. The organisation created is yours: /organizations/ lists "
            "it for you before any case is published. Its id goes in a draft's roster."
        ),
        request=s.OrganizationWriteSerializer,
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[201],
                description="The organisation in the API (yours to see from now on).",
            )
        ],
        responses=responses(
            {
                200: OpenApiResponse(
                    s.OrganizationDetailSerializer,
                    description="An organisation you may see has the same name, legal form "
                    "aside, and the same type (and no other seat): that one, not created again.",
                ),
                201: s.OrganizationDetailSerializer,
                409: OpenApiResponse(
                    s.OrganizationConflictSerializer,
                    description="An organisation has this SIREN or RNA, or similar "
                    "organisations exist and confirm_new is not true.",
                ),
            },
            400,
            415,
        ),
        tags=["contribution"],
    )
    def post(self, request):
        serializer = s.OrganizationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = serializer.form()
        valid = form.is_valid()
        cleaned = form.cleaned_data
        # An identifier already taken comes first, whatever else is wrong: the
        # client is to use that organisation, not to fix this one.
        duplicates = new_organization_duplicates(
            seen_by=request.user,
            name=cleaned.get("name") if valid else "",
            siren=cleaned.get("siren"),
            siret=cleaned.get("siret"),
            rna=cleaned.get("rna"),
        )
        if duplicates.identifier_taken:
            return same_identifier_conflict(duplicates, self.get_serializer_context())
        if not valid:
            raise validation_error(form)
        if duplicates.block(confirmed=serializer.validated_data["confirm_new"]):
            return Response(
                {
                    "detail": _(
                        "Des organisations proches existent déjà : utilisez l'une d'elles, "
                        "ou renvoyez la demande avec confirm_new si c'est une autre."
                    ),
                    "code": "similar_organizations",
                    "candidates": [
                        candidate(o, self.get_serializer_context()) for o in duplicates.candidates
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        twin = same_organization(
            seen_by=request.user,
            name=cleaned["name"],
            actor_type=cleaned["actor_type"],
            seat=cleaned.get("seat"),
        )
        if twin is not None:  # sent again, or under another legal form: the same one
            return self.represent(twin, status.HTTP_200_OK)
        try:
            with transaction.atomic():
                organization = form.save(commit=False)
                organization.created_by = request.user
                organization.full_clean()
                organization.save()
                return self.represent(organization, status.HTTP_201_CREATED)  # or nothing
        except DjangoValidationError as error:  # a model rule
            form.add_error(None, error)
            raise validation_error(form) from None
        except IntegrityError:  # created meanwhile by someone else
            taken = new_organization_duplicates(
                seen_by=request.user, name="", siren=cleaned.get("siren"), rna=cleaned.get("rna")
            )
            if taken.identifier_taken:
                return same_identifier_conflict(taken, self.get_serializer_context())
            raise Conflict(
                _("Une autre organisation vient d'être créée au même moment : réessayez.")
            ) from None

    def represent(self, organization, status_code):
        organization = Organization.objects.with_related().get(pk=organization.pk)
        published = organization.roster_entries.filter(case__status=CaseStatus.PUBLISHED)
        cases = Case.objects.filter(
            pk__in=published.values("case_id"), status=CaseStatus.PUBLISHED
        ).order_by("-published_at", "-pk")[:100]
        organization.published_cases = published.values("case_id").distinct().count()
        context = {**self.get_serializer_context(), "published_cases": list(cases)}
        location = self.request.build_absolute_uri(
            reverse("api:organization_detail", kwargs={"slug": organization.slug})
        )
        return Response(
            s.OrganizationDetailSerializer(organization, context=context).data,
            status=status_code,
            headers={"Location": location},
        )


class Me(ApiView):
    pagination_class = None
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        summary="Who the token belongs to",
        responses=responses(s.MeSerializer),
        tags=["contribution"],
    )
    def get(self, request):
        token = request.auth if getattr(request.auth, "prefix", None) else None
        return Response(
            {
                "email": request.user.email,
                "display_name": str(request.user),
                "is_staff": request.user.is_staff,
                "token": {"name": token.name, "prefix": token.prefix} if token else None,
            }
        )
