from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("statements/<int:pk>/", views.statement_page, name="statement"),
    path("statements/<int:pk>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("statements/<int:pk>/notes/", views.note_issue, name="note_issue"),
]
