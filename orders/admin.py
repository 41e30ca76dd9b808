from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from orders.models import Product


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "spec", "unit", "list_price", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "spec"]
