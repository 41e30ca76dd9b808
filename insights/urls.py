from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("order-hints/", views.order_hints, name="order_hints"),
    path("suggestions/<int:pk>/decide/", views.decide, name="decide"),
]
