from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from billing import api as billing_api
from config import views
from plans import api as plans_api
from sla import api as sla_api
from sla import views as sla_views
from supportdesk import views_duty
from supportdesk.admin_site import tenant_admin_site
from supportdesk.api import views as api_views
from tickets.api import cases as tickets_api

router = DefaultRouter()
router.register("organizations", plans_api.OrganizationViewSet, basename="organization")
router.register("contacts", plans_api.ContactViewSet, basename="contact")
router.register("severities", plans_api.SeverityViewSet, basename="severity")
router.register("case-types", plans_api.CaseTypeViewSet, basename="case-type")
router.register("plans", plans_api.PlanViewSet, basename="plan")
router.register("subscriptions", plans_api.SubscriptionViewSet, basename="subscription")
router.register("policy", plans_api.PolicyViewSet, basename="policy")
router.register("calendars", sla_api.CalendarViewSet, basename="calendar")
router.register("credits", billing_api.CreditViewSet, basename="credit")
router.register("duty", api_views.DutyViewSet, basename="duty")
tickets_api.register(router)

duty_patterns = (
    [
        path("", views_duty.duty_roster_page, name="roster"),
        path("<int:user_id>/", views_duty.duty_set, name="set"),
    ],
    "duty",
)
reports_patterns = ([path("", sla_views.reports_home, name="home")], "reports")
config_patterns = (
    [
        path("", views.config_home, name="home"),
        path("organizations/<int:pk>/", views.organization_detail, name="organization"),
        path("operations/", views.operations, name="operations"),
    ],
    "config",
)

api_patterns = [
    path("me/", api_views.MeView.as_view(), name="api-me"),
    path("auth/token/", api_views.TokenView.as_view(), name="api-token"),
    path("monitoring/", include("tickets.api.monitoring")),
    path("operations/", views.OperationsView.as_view(), name="api-operations"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("portal/", include("tickets.web.urls_portal")),
    path("queue/phone/", include("tickets.web.urls_phone")),
    path("queue/duty/", include(duty_patterns)),
    path("queue/", include("tickets.web.urls_queue")),
    path("notifications/", include("tickets.web.urls_notifications")),
    path("survey/", include("tickets.web.urls_surveys")),
    path("reports/", include(reports_patterns)),
    path("billing/", include("billing.urls")),
    path("config/admin/", tenant_admin_site.urls),
    path("config/inbound/", include("tickets.web.urls_inbound")),
    path("config/", include(config_patterns)),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.language_switch, name="set_language"),
    path("healthz", views.health, name="health"),
    path("healthz/ready", views.health_ready, name="health-ready"),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
