"""The write API: a contributor's own cases, through their personal token.

The same rules as the site's editor, from the same code: a draft is written by
`Case.apply_snapshot` inside one transaction, then the search index is
refreshed; submission and withdrawal are `case.submit(by=…)` and
`case.withdraw(by=…)`. Someone else's case is a 404. Only drafts and cases
sent back for changes are edited here: a published case changes through a
revision reviewed by staff, in the site's editor (409 here).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response

from registry.api import serializers as s
from registry.api.schema import PAGE_PARAMETERS, responses
from registry.api.views import ApiView, case_detail_queryset, parse_pk
from registry.models import Action, Case, CaseStatus, TransitionNotAllowed
from registry.models.organization import unique_slug
from registry.search import refresh_case_index

EDITABLE_STATUSES = {CaseStatus.DRAFT, CaseStatus.CHANGES_REQUESTED}
PK_PARAMETER = OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def not_editable_message(case):
    if case.status == CaseStatus.PUBLISHED:
        return _(
            "Cette expérience est publiée : ses modifications passent par une révision que "
            "l'équipe de modération relit, depuis l'éditeur du site."
        )
    if case.status == CaseStatus.SUBMITTED:
        return _("Cette expérience attend sa relecture : retirez la soumission pour la modifier.")
    return _("Cette expérience ne peut plus être modifiée dans son état actuel.")


class OwnCaseMixin:
    permission_classes = [permissions.IsAuthenticated]
    queryset = Case.objects.none()  # for the schema: the views build their own

    def own_case(self, pk, *, for_update=False):
        queryset = Case.objects.filter(owner=self.request.user)
        if for_update:
            queryset = queryset.select_for_update()
        case = queryset.filter(pk=parse_pk(pk)).first()
        if case is None:
            raise NotFound(
                _("Aucune de vos expériences ne porte l'identifiant « %(id)s ».") % {"id": pk}
            )
        return case

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
                    {"status": [_("Statut inconnu : %(status)s.") % {"status": wanted}]}
                )
            cases = cases.filter(status=wanted)
        return self.paginated(cases, s.OwnCaseListSerializer)

    @extend_schema(
        operation_id="me_cases_create",
        summary="Create a draft",
        description=(
            "Only title and summary are required to keep a draft; submitting it needs at "
            "least a territory, two distinct partners and a theme."
        ),
        request=s.CaseWriteSerializer,
        responses=responses({201: s.OwnCaseSerializer}, 400, 415),
        tags=["contribution"],
    )
    def post(self, request):
        serializer = s.CaseWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            snapshot = serializer.snapshot({})
            case = Case(
                owner=request.user,
                status=CaseStatus.DRAFT,
                title=snapshot["title"],
                slug=unique_slug(Case, snapshot["title"], max_length=200),
                summary=snapshot["summary"],
            )
            case.save()
            case.apply_snapshot(snapshot)
            case.log(Action.CREATE, by=request.user)
            refresh_case_index([case.pk])
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
        responses=responses(s.OwnCaseSerializer, 404),
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
            "changes through a revision that staff review, in the site's editor (409)."
        ),
        parameters=[PK_PARAMETER],
        request=s.CaseWriteSerializer,
        responses=responses(s.OwnCaseSerializer, 400, 404, 409, 415),
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
            sent_version = serializer.validated_data.get("version")
            if sent_version is not None and sent_version != case.version:
                raise Conflict(
                    _(
                        "Quelqu'un a modifié cette expérience depuis la version %(sent)d "
                        "(version actuelle : %(current)d) : relisez-la puis renvoyez vos "
                        "modifications."
                    )
                    % {"sent": sent_version, "current": case.version}
                )
            case.apply_snapshot(serializer.snapshot(case.snapshot()))
            case.log(Action.EDIT, by=request.user)
            refresh_case_index([case.pk])
        return self.represent(case)


class OwnCaseTransition(OwnCaseMixin, ApiView):
    pagination_class = None
    action = None

    def post(self, request, pk):
        case = self.own_case(pk)
        try:
            getattr(case, self.action)(by=request.user)
        except TransitionNotAllowed as error:
            detail = {"detail": [" ".join(error.messages)]}
            if self.action == "submit" and case.status in EDITABLE_STATUSES:
                detail = {
                    "detail": [_("L'expérience ne peut pas encore être soumise.")],
                    "missing": error.messages,
                }
            raise ValidationError(detail) from None
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
            "at once). A 400 lists what is still missing."
        ),
        request=None,
        parameters=[PK_PARAMETER],
        responses=responses(s.OwnCaseSerializer, 400, 403, 404),
        tags=["contribution"],
    )
    def post(self, request, pk):
        return super().post(request, pk)


class OwnCaseWithdraw(OwnCaseTransition):
    action = "withdraw"

    @extend_schema(
        operation_id="me_cases_withdraw",
        summary="Withdraw a submission (the case becomes a draft again)",
        request=None,
        parameters=[PK_PARAMETER],
        responses=responses(s.OwnCaseSerializer, 400, 403, 404),
        tags=["contribution"],
    )
    def post(self, request, pk):
        return super().post(request, pk)


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
