"""Phone case URLs (namespace "phone"), mounted at /queue/phone/."""

from django.urls import path

from tickets.web import phone as views

app_name = "phone"
urlpatterns = [
    path("new/", views.phone_case_new, name="new"),
]
