"""Survey URLs (namespace "survey"): results for reports, and the requester's link."""

from django.urls import path

from tickets.web import surveys as views

app_name = "survey"
urlpatterns = [
    path("results/", views.survey_results, name="results"),  # before the catch-all token
    path("<str:token>/", views.survey_answer, name="answer"),
]
