"""Customer portal URLs (namespace "portal")."""

from django.urls import path

from tickets.web import portal as views

app_name = "portal"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("cases/new/", views.case_new, name="file"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/reply/", views.case_reply, name="reply"),
    path("cases/<str:number>/reopen/", views.case_reopen, name="reopen"),
    path("cases/<str:number>/escalate/", views.case_escalate, name="escalate"),
    path("cases/<str:number>/submit/", views.case_submit, name="submit"),
    path(
        "cases/<str:number>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
