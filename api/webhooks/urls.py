from django.urls import path

from api.webhooks import views as webhook_views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", webhook_views.subscription_list, name="list"),
    path("webhooks/<int:pk>/", webhook_views.delivery_log, name="deliveries"),
    path("webhooks/<int:pk>/resume/", webhook_views.resume, name="resume"),
    path("deliveries/<int:pk>/replay/", webhook_views.replay, name="replay"),
]
