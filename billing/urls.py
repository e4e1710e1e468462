from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("credits/", views.credit_list, name="credits"),
    path("credits/<int:pk>/amount/", views.credit_amount, name="credit-amount"),
    path("my-credits/", views.my_credits, name="my-credits"),
]
