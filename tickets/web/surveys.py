"""Survey pages: the requester's single-use answer page and the results for reports.

`/survey/<token>/` needs no sign-in (the signed link is the credential) and shows nothing
of the case but its number and subject. A tampered link is 404, an expired one 410, a used
one says thank you. `/survey/results/` is for account managers and tenant admins.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from plans import selectors as plan_selectors
from supportdesk.access import reports_required
from tickets.models import SurveyInvitation
from tickets.surveys import links as survey_links
from tickets.surveys import selectors as survey_selectors
from tickets.surveys import services as surveys

RESULTS_RESPONSES_SHOWN = 50


def viewer_language(request, invitation: SurveyInvitation) -> str:
    """The language to ask in: the switcher's choice (cookie), else a signed-in viewer's
    language, else the recipient's own setting, else the browser's (Accept-Language), else
    the tenant's. Activates it for the rest of the request and returns it."""
    explicit = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
    signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
    if not explicit and not signed_in:
        if invitation.recipient.language:
            language = invitation.recipient.language
        elif request.headers.get("Accept-Language"):
            language = translation.get_language()
        else:
            language = invitation.tenant.language
        translation.activate(language)
        request.LANGUAGE_CODE = language
    return translation.get_language()


def _secured(response):
    """The page's URL is a credential: keep it out of Referer headers and shared caches."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


class SurveyForm(forms.Form):
    """One radio scale per question (`score_<key>`), and an optional comment."""

    def __init__(self, *args, questions, scale: survey_selectors.SurveyScale, **kwargs):
        super().__init__(*args, **kwargs)
        self.question_keys = [q.key for q in questions]
        out_of_scale = _("Choose a score from %(low)s to %(high)s.") % {
            "low": scale.low,
            "high": scale.high,
        }
        choices = []
        for value in scale.values():
            label = str(value)
            if value == scale.low:
                label = _("%(score)s – very dissatisfied") % {"score": value}
            elif value == scale.high:
                label = _("%(score)s – very satisfied") % {"score": value}
            choices.append((value, label))
        for question in questions:
            self.fields[f"score_{question.key}"] = forms.TypedChoiceField(
                label=question.text,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose a score."),
                    "invalid_choice": out_of_scale,
                },
            )
        self.fields["comment"] = forms.CharField(
            label=_("Anything you would like to add? (optional)"),
            required=False,
            max_length=surveys.COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
        )

    def score_fields(self):
        return [self[f"score_{key}"] for key in self.question_keys]

    def scores(self) -> dict[str, int]:
        return {key: self.cleaned_data[f"score_{key}"] for key in self.question_keys}

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, errors in exc.message_dict.items():
            name = key if key == "comment" else f"score_{key}"
            self.add_error(name if name in self.fields else None, errors)


@never_cache
@require_http_methods(["GET", "POST"])
def survey_answer(request, token: str):
    try:
        invitation = survey_links.survey_link_open(token=token)
    except survey_links.SurveyLinkInvalid:
        raise Http404 from None
    except survey_links.SurveyLinkExpired:
        return _secured(render(request, "tickets/survey_expired.html", status=410))
    language = viewer_language(request, invitation)
    case = invitation.case
    context = {"case_number": case.number, "case_subject": case.subject, "vendor": case.tenant}
    if invitation.answered_at is not None:
        status = 409 if request.method == "POST" else 200
        return _secured(
            render(request, "tickets/survey_done.html", {**context, "already": True}, status=status)
        )
    questions = survey_selectors.survey_questions_localized(
        tenant=invitation.tenant, language=language
    )
    scale = survey_selectors.survey_scale(tenant=invitation.tenant)
    if not questions or scale is None:
        return _secured(render(request, "tickets/survey_expired.html", status=410))
    form = SurveyForm(
        request.POST if request.method == "POST" else None, questions=questions, scale=scale
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                surveys.survey_submit(
                    invitation=invitation,
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                )
            except surveys.SurveyAlreadyAnswered:
                return _secured(
                    render(
                        request,
                        "tickets/survey_done.html",
                        {**context, "already": True},
                        status=409,
                    )
                )
            except survey_links.SurveyLinkExpired:
                return _secured(render(request, "tickets/survey_expired.html", status=410))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return _secured(
                    render(request, "tickets/survey_done.html", {**context, "already": False})
                )
        status = 400
    return _secured(
        render(
            request,
            "tickets/survey_answer.html",
            {**context, "form": form, "scale": scale},
            status=status,
        )
    )


# --- Results --------------------------------------------------------------------------------


class SurveyResultsFilterForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Customer"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All customers"),
    )
    month = forms.DateField(
        label=gettext_lazy("Month sent"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": gettext_lazy("Give a month as YYYY-MM.")},
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


@reports_required
def survey_results(request):
    tenant = request.tenant
    form = SurveyResultsFilterForm(
        request.GET or None, organizations=plan_selectors.organization_list(actor=request.user)
    )
    organization = since = until = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            organization = form.cleaned_data["organization"]
            if form.cleaned_data["month"]:
                since, until = survey_selectors.month_window(
                    tenant=tenant, month=form.cleaned_data["month"]
                )
        else:
            status = 400
    language = translation.get_language()
    results = survey_selectors.survey_results(
        tenant=tenant, organization=organization, since=since, until=until, language=language
    )
    responses = [
        {"response": r, "scores": survey_selectors.response_scores(r)}
        for r in survey_selectors.survey_response_list(
            actor=request.user, organization=organization, since=since, until=until
        )[:RESULTS_RESPONSES_SHOWN]
    ]
    for row in responses:
        row["score_list"] = [row["scores"].get(q.key) for q in results.questions]
    return render(
        request,
        "tickets/survey_results.html",
        {
            "form": form,
            "results": results,
            "responses": responses,
            "has_survey": survey_selectors.survey_settings(tenant=tenant) is not None,
            "response_rate_percent": (
                round(results.response_rate * 100) if results.response_rate is not None else None
            ),
        },
        status=status,
    )
