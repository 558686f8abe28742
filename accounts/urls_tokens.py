from django.urls import path

from accounts import views_tokens

app_name = "tokens"

urlpatterns = [
    path("", views_tokens.token_list, name="list"),
    path("<int:pk>/revoquer/", views_tokens.token_revoke, name="revoke"),
]
