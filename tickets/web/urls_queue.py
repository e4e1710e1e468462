"""Agent queue and case page URLs (namespace "queue")."""

from django.urls import path

from tickets.web import queue as views

app_name = "queue"
urlpatterns = [
    path("", views.queue_home, name="home"),
    path("counters/", views.queue_counters_fragment, name="counters"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/reply/", views.case_reply, name="case_reply"),
    path("cases/<str:number>/transition/", views.case_transition, name="case_transition"),
    path("cases/<str:number>/assign/", views.case_assign, name="case_assign"),
    path("cases/<str:number>/reclassify/", views.case_reclassify, name="case_reclassify"),
    path("cases/<str:number>/forward/", views.case_forward, name="case_forward"),
    path(
        "cases/<str:number>/escalation-reference/",
        views.case_escalation_reference,
        name="case_escalation_reference",
    ),
    path("cases/<str:number>/task-force/", views.case_task_force, name="case_task_force"),
    path("cases/<str:number>/escalate/", views.case_escalate, name="case_escalate"),
    path(
        "cases/<str:number>/attachments/<int:pk>/",
        views.case_attachment,
        name="case_attachment",
    ),
]
