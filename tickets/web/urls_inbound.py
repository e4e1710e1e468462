"""Inbound-mail pages for tenant admins (namespace "inbound"), under /config/inbound/."""

from django.urls import path

from tickets.web import inbound as views

app_name = "inbound"
urlpatterns = [
    path("", views.inbound_home, name="home"),
    path("domains/", views.mail_domains, name="domains"),
    path("domains/<int:pk>/delete/", views.mail_domain_delete, name="domain_delete"),
    path("<int:pk>/", views.inbound_detail, name="detail"),
    path("<int:pk>/assign/", views.inbound_assign, name="assign"),
    path("<int:pk>/attach/", views.inbound_attach, name="attach"),
    path("<int:pk>/discard/", views.inbound_discard, name="discard"),
    path("<int:pk>/raw/", views.inbound_raw, name="raw"),
    path("<int:pk>/files/<int:index>/", views.inbound_file, name="file"),
]
