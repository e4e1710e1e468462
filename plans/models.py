"""Customer organisations, their contacts, and the contract terms they subscribe to."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

from .vocabulary import (
    CASE_KIND_CHOICES,
    CURRENCY_CHOICES,
    ENTITLEMENT_CHOICES,
    METRIC_CHOICES,
)


class CustomerOrganization(TenantOwned):
    """A customer of a vendor: the party that holds a support subscription."""

    name = models.CharField(_("name"), max_length=200)
    is_license_customer = models.BooleanField(
        _("licence customer"),
        default=False,
        help_text=_("Some contracts price plans differently for licence customers."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_organizations",
        verbose_name=_("account manager"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer organisation")
        verbose_name_plural = _("customer organisations")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="organization_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    USER = "user", _("User")


class Contact(TenantOwned):
    """A customer's person on the desk; administrators may hold a training record."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contact",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        CustomerOrganization,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.USER
    )
    trained = models.BooleanField(_("trained"), default=False)
    trained_on = models.DateField(_("trained on"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["organization__name", "user__email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trained=False) | models.Q(trained_on__isnull=False),
                name="contact_trained_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.organization})"

    @property
    def is_trained_administrator(self) -> bool:
        return self.role == ContactRole.ADMINISTRATOR and self.trained


# --- Contract terms (loaded from policy packs) ---------------------------------------------


class TenantPolicy(TenantOwned):
    """Contract terms that hold for all of a tenant's plans, plus the pack they came from."""

    class AllowedFilers(models.TextChoices):
        ANY_CONTACT = "any_contact", _("Any contact")
        ADMINISTRATORS = "administrators", _("Administrators")
        TRAINED_ADMINISTRATORS = "trained_administrators", _("Trained administrators")

    pack_digest = models.CharField(_("pack digest"), max_length=64)
    loaded_at = models.DateTimeField(_("loaded"))
    warning_at_percent = models.PositiveSmallIntegerField(
        _("warning threshold (percent of target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    pause_statuses = models.JSONField(_("statuses that pause SLA clocks"), default=list)
    allowed_filers = models.CharField(
        _("who may file cases"), max_length=30, choices=AllowedFilers.choices
    )
    on_other_filer = models.CharField(_("cases from others"), max_length=40, blank=True)
    on_untrained_administrator = models.CharField(
        _("cases from untrained administrators"), max_length=40, blank=True
    )
    customer_sets_severity = models.BooleanField(_("customer sets severity"), default=True)
    vendor_may_reclassify = models.BooleanField(_("vendor may reclassify"), default=True)
    required_fields = models.JSONField(_("required fields when filing"), default=list)
    channels = models.JSONField(_("channels"), default=list)
    supported_version_months = models.PositiveSmallIntegerField(
        _("versions supported for (months)"), null=True, blank=True
    )
    survey_scale_min = models.PositiveSmallIntegerField(null=True, blank=True)
    survey_scale_max = models.PositiveSmallIntegerField(null=True, blank=True)
    document = models.JSONField(
        _("pack document"), help_text=_("The validated pack, for terms read on demand.")
    )

    class Meta:
        verbose_name = _("tenant policy")
        verbose_name_plural = _("tenant policies")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="policy_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant} policy"

    def section(self, name: str):
        return self.document.get(name)


class SeverityLevel(TenantOwned):
    """One level of the tenant's severity scheme; rank 1 is the most severe."""

    key = models.CharField(_("key"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"))

    class Meta:
        ordering = ["rank"]
        verbose_name = _("severity level")
        verbose_name_plural = _("severity levels")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="severity_unique_key"),
            models.UniqueConstraint(fields=["tenant", "rank"], name="severity_unique_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.key} – {self.name}" if self.key != self.name else self.name


class CaseType(TenantOwned):
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=CASE_KIND_CHOICES)
    billing = models.CharField(_("billing"), max_length=20, default="included")
    sla_applies = models.BooleanField(_("SLA applies"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("case type")
        verbose_name_plural = _("case types")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="casetype_unique_key")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_question(self) -> bool:
        """Reports split questions from incidents; everything not a question is work."""
        return self.kind == "question"


class Plan(TenantOwned):
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    position = models.PositiveSmallIntegerField(default=0)
    escalation = models.JSONField(_("escalation rules"), null=True, blank=True)
    penalty = models.JSONField(_("penalty credit rule"), null=True, blank=True)
    vendor_handoff = models.JSONField(_("external vendor hand-off"), null=True, blank=True)
    schedules = models.JSONField(_("recurring services"), default=list, blank=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="plan_unique_key")]

    def __str__(self) -> str:
        return self.name


class PlanPrice(TenantOwned):
    class Segment(models.TextChoices):
        ALL = "all_customers", _("All customers")
        LICENSE = "license_customers", _("Licence customers")
        OTHER = "other_customers", _("Other customers")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    per = models.CharField(_("per"), max_length=20)

    class Meta:
        ordering = ["plan", "segment"]
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "segment", "per"], name="planprice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.amount} {self.plan.currency} / {self.per} ({self.segment})"


class EntitlementMode(models.TextChoices):
    INCLUDED = "included", _("Included")
    ON_REQUEST = "on_request", _("On request")
    ADDON = "addon", _("Add-on")
    BILLABLE = "billable", _("Billable")
    NOT_INCLUDED = "not_included", _("Not included")


class PlanEntitlement(TenantOwned):
    """A typed flag: which contract service a plan grants, and on what terms."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="entitlements")
    key = models.CharField(_("service"), max_length=60, choices=ENTITLEMENT_CHOICES)
    mode = models.CharField(_("terms"), max_length=20, choices=EntitlementMode.choices)

    class Meta:
        ordering = ["plan", "key"]
        verbose_name = _("plan entitlement")
        verbose_name_plural = _("plan entitlements")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="entitlement_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.key} ({self.mode})"


class TargetUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_HOURS = "calendar_hours", _("calendar hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    CALENDAR_MONTHS = "calendar_months", _("calendar months")


class Commitment(models.TextChoices):
    TARGET = "target", _("Measured target")
    CASE_BY_CASE = "case_by_case", _("Agreed case by case")
    FUTURE_VERSION = "future_version", _("In a future version")
    NONE = "none", _("No commitment")


class TargetFields(TenantOwned):
    """What a target says, shared by plan targets and per-customer overrides."""

    severity = models.ForeignKey(SeverityLevel, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("metric"), max_length=20, choices=METRIC_CHOICES)
    commitment = models.CharField(
        _("commitment"), max_length=20, choices=Commitment.choices, default=Commitment.TARGET
    )
    value = models.DecimalField(
        _("value"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("unit"), max_length=20, choices=TargetUnit.choices, blank=True)
    calendar_key = models.SlugField(
        _("calendar"),
        max_length=40,
        blank=True,
        help_text=_("Key of the business calendar; empty for calendar units (24/7)."),
    )
    release = models.CharField(_("release"), max_length=20, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(commitment="target", value__isnull=False, unit__gt="")
                    | (~models.Q(commitment="target") & models.Q(value__isnull=True))
                ),
                name="%(class)s_value_iff_measured",
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.commitment == Commitment.TARGET:
            if self.value is None:
                raise ValidationError({"value": _("A measured target needs a value.")})
            if not self.unit:
                raise ValidationError({"unit": _("A measured target needs a unit.")})
            if self.unit.startswith("working_") and not self.calendar_key:
                raise ValidationError(
                    {"calendar_key": _("Working hours and days need a business calendar.")}
                )
        elif self.value is not None:
            raise ValidationError({"value": _("Only measured targets have a value.")})


class SlaTarget(TargetFields):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")

    class Meta(TargetFields.Meta):
        ordering = ["plan", "severity__rank", "metric"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            *TargetFields.Meta.constraints,
            models.UniqueConstraint(fields=["plan", "severity", "metric"], name="target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.severity.key} {self.metric}"


class AddOn(TenantOwned):
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    per = models.CharField(_("per"), max_length=20)
    free_months = models.PositiveSmallIntegerField(_("free months"), default=0)
    free_months_for = models.CharField(_("free months for"), max_length=20, blank=True)
    grants = models.JSONField(_("grants"), default=list, blank=True)
    calendar_key = models.SlugField(_("calendar"), max_length=40, blank=True)
    terms = models.JSONField(_("further terms"), default=dict, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="addon_unique_key")]

    def __str__(self) -> str:
        return self.name


class RateCard(TenantOwned):
    """A billing rate: ordered steps such as 1,490 per whole hour, then 400 per started 15 min."""

    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    applies_to = models.CharField(_("applies to"), max_length=30)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    steps = models.JSONField(_("steps"), default=list)
    outside_calendar_key = models.SlugField(_("outside calendar"), max_length=40, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    is_placeholder = models.BooleanField(_("default amount"), default=False)
    terms = models.JSONField(_("further terms"), default=dict, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("rate card")
        verbose_name_plural = _("rate cards")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="ratecard_unique_key")
        ]

    def __str__(self) -> str:
        return self.name

    def step_amounts(self) -> list[tuple[Decimal, str]]:
        return [(Decimal(step["amount"]), step["per"]) for step in self.steps]


class HourBankPolicy(TenantOwned):
    period_months = models.PositiveSmallIntegerField(_("period (months)"))
    rollover_max_percent = models.DecimalField(
        _("rollover at most (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    terms = models.JSONField(_("further terms"), default=dict, blank=True)

    class Meta:
        verbose_name = _("hour bank policy")
        verbose_name_plural = _("hour bank policies")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="hourbank_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.period_months} months, {self.rollover_max_percent} % rollover"


class SurveyQuestion(TenantOwned):
    key = models.SlugField(_("key"), max_length=40)
    text = models.CharField(_("question"), max_length=300)
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="surveyquestion_unique_key")
        ]

    def __str__(self) -> str:
        return self.text


class ProductVersion(TenantOwned):
    """A released version; support covers those released within the policy's window."""

    name = models.CharField(_("version"), max_length=50)
    released_on = models.DateField(_("released on"))

    class Meta:
        ordering = ["-released_on"]
        verbose_name = _("product version")
        verbose_name_plural = _("product versions")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="version_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# --- What a customer has agreed ---------------------------------------------------------------


class Subscription(TenantOwned):
    organization = models.ForeignKey(
        CustomerOrganization, on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["organization", "-starts_on"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gt=models.F("starts_on")),
                name="subscription_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} – {self.plan} from {self.starts_on}"


class SubscriptionAddOn(TenantOwned):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="addons")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["subscription", "addon"]
        verbose_name = _("subscription add-on")
        verbose_name_plural = _("subscription add-ons")

    def __str__(self) -> str:
        return f"{self.addon} × {self.quantity}"


class HypercareWindow(TenantOwned):
    """A time-boxed higher service level: another plan's targets and/or given targets."""

    organization = models.ForeignKey(
        CustomerOrganization, on_delete=models.CASCADE, related_name="hypercare_windows"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whose targets apply during the window; empty: only the given targets."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["organization", "-starts_at"]
        verbose_name = _("hypercare window")
        verbose_name_plural = _("hypercare windows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="hypercare_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} hypercare {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


class TargetOverride(TargetFields):
    """A target agreed with one customer, standing or only inside a hypercare window."""

    organization = models.ForeignKey(
        CustomerOrganization, on_delete=models.CASCADE, related_name="target_overrides"
    )
    hypercare = models.ForeignKey(
        HypercareWindow,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
    )

    class Meta(TargetFields.Meta):
        ordering = ["organization", "severity__rank", "metric"]
        verbose_name = _("agreed target")
        verbose_name_plural = _("agreed targets")
        constraints = [
            *TargetFields.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "severity", "metric"],
                condition=models.Q(hypercare__isnull=True),
                name="override_unique_standing",
                violation_error_message=_(
                    "A target for this severity and metric is agreed already."
                ),
            ),
            models.UniqueConstraint(
                fields=["hypercare", "severity", "metric"],
                condition=models.Q(hypercare__isnull=False),
                name="override_unique_in_hypercare",
                violation_error_message=_("This window has a target for this severity and metric."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.severity.key} {self.metric}"
