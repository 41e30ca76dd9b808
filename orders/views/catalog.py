from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.audit import history_entries
from orders import selectors
from orders.forms.catalog import ProductFilterForm, ProductForm
from orders.models import Product
from orders.services import orders as services


@permission_required("orders.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    filter_form = ProductFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    page = Paginator(selectors.product_list(filters=filters), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/product_list.html",
        {
            "page_obj": page,
            "products": page.object_list,
            "filter_form": filter_form,
            "filtered": any(filters.values()) if filters else False,
        },
    )


@permission_required("orders.view_product", raise_exception=True)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    hidden = () if request.user.has_perm("orders.view_prices") else ("list_price",)
    history = history_entries(product.history.all(), hidden_fields=hidden)
    return render(request, "orders/product_detail.html", {"product": product, "history": history})


def _product_form_page(request: HttpRequest, product: Product) -> HttpResponse:
    creating = product.pk is None
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        product = services.product_save(actor=request.user, product=form.save(commit=False))
        message = (
            _("Product %(code)s was created.") if creating else _("Product %(code)s was saved.")
        )
        messages.success(request, message % {"code": product.code})
        return redirect("catalog:detail", pk=product.pk)
    return render(
        request,
        "orders/product_form.html",
        {"form": form, "product": product, "creating": creating},
    )


@permission_required("orders.add_product", raise_exception=True)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form_page(request, Product())


@permission_required("orders.change_product", raise_exception=True)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form_page(request, get_object_or_404(Product, pk=pk))


@require_GET
@permission_required("orders.add_order", raise_exception=True)
def product_search(request: HttpRequest) -> HttpResponse:
    """The entry form's product picker: products on sale matching what was typed so far."""
    query = (request.GET.get("product_q") or "").strip()
    return render(
        request,
        "orders/_product_results.html",
        {
            "products": Product.objects.search(query),
            "query": query,
            "show_prices": request.user.has_perm("orders.view_prices"),
        },
    )
