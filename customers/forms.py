from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from core import roles
from core.people import person_name
from core.uploads import DOCUMENT_KINDS
from core.validators import normalize_phone, validate_mobile
from customers.exceptions import (
    MSG_DUPLICATE_CREDIT_CODE,
    MSG_DUPLICATE_NAME,
    MSG_ONE_DEFAULT,
    MSG_ONE_PRIMARY,
    MSG_QUICK_CUSTOMER_EXISTS,
)
from customers.models import Address, Contact, Customer, DocumentKind, Industry, Region
from customers.selectors import duplicate_customers

CREDIT_FIELDS = ("credit_limit", "credit_term_days")


class CustomerForm(forms.ModelForm):
    confirm_duplicate = forms.BooleanField(
        label=_("Save anyway: this is a different customer with the same name"), required=False
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "credit_code",
            "region",
            "industry",
            "qualification_status",
            "account_manager",
            "credit_limit",
            "credit_term_days",
            "preferences",
            "is_active",
        ]
        widgets = {"preferences": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicate_name_found = False
        if not user.has_perm("customers.change_credit"):
            for name in CREDIT_FIELDS:
                del self.fields[name]
        user_model = get_user_model()
        self.fields["account_manager"].queryset = (
            user_model.objects.filter(groups__name=roles.ACCOUNT_MANAGER, is_active=True)
            .order_by("username")
            .distinct()
        )
        self.fields["account_manager"].label_from_instance = person_name
        self.fields["credit_code"].widget.attrs.update({"maxlength": 18, "autocomplete": "off"})

    def clean_credit_code(self) -> str | None:
        value = (self.cleaned_data.get("credit_code") or "").strip().upper().replace(" ", "")
        return value or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        name = cleaned.get("name") or ""
        dupes = duplicate_customers(
            name=name, credit_code=cleaned.get("credit_code"), exclude_pk=self.instance.pk
        )
        if dupes["credit_code"] is not None:
            self.add_error(
                "credit_code",
                forms.ValidationError(
                    MSG_DUPLICATE_CREDIT_CODE,
                    code="duplicate_credit_code",
                    params={"existing": f"{dupes['credit_code'].code} {dupes['credit_code'].name}"},
                ),
            )
        if dupes["name"] is not None and not cleaned.get("confirm_duplicate"):
            self.duplicate_name_found = True
            self.add_error(
                "name",
                forms.ValidationError(
                    MSG_DUPLICATE_NAME,
                    code="duplicate_name",
                    params={"existing": f"{dupes['name'].code} {dupes['name'].name}"},
                ),
            )
        return cleaned


class _SingleFlagFormSet(forms.BaseInlineFormSet):
    """At most one row may carry ``flag_field`` (primary contact, default address)."""

    flag_field = ""
    flag_message: Any = ""

    def clean(self) -> None:
        super().clean()
        flagged = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get(self.flag_field)
        ]
        if len(flagged) > 1:
            raise forms.ValidationError(self.flag_message)


class ContactFormSetBase(_SingleFlagFormSet):
    flag_field = "is_primary"
    flag_message = MSG_ONE_PRIMARY


class AddressFormSetBase(_SingleFlagFormSet):
    flag_field = "is_default"
    flag_message = MSG_ONE_DEFAULT


ContactFormSet = inlineformset_factory(
    Customer,
    Contact,
    formset=ContactFormSetBase,
    fields=["name", "title", "mobile", "phone", "email", "is_primary"],
    extra=1,
    can_delete=True,
)
AddressFormSet = inlineformset_factory(
    Customer,
    Address,
    formset=AddressFormSetBase,
    fields=["label", "address", "postcode", "is_default"],
    extra=1,
    can_delete=True,
)


class QualificationDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("document type"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("file"),
        help_text=_("PDF, JPG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(ext for kind in DOCUMENT_KINDS for ext in kind.extensions)}
        ),
    )
    valid_until = forms.DateField(
        label=_("valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    region = forms.ChoiceField(label=_("region"), required=False)
    industry = forms.ChoiceField(label=_("industry"), required=False)
    qualification_status = forms.ChoiceField(label=_("qualification status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _(
            "Name, code, credit code, contact or mobile"
        )
        for name in ("region", "industry", "qualification_status"):
            choices = Customer._meta.get_field(name).choices
            self.fields[name].choices = [("", _("All")), *list(choices)]


class QuickCustomerForm(forms.Form):
    """A new customer from the order form: the minimum to start an order, and the contact's
    mobile and e-mail — the delivery notice, acceptance and visits reach the customer
    through them (docs/workflow.md §5); the rest is filled in on the customer's file."""

    name = forms.CharField(label=_("Customer name"), max_length=200)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    contact_name = forms.CharField(label=_("Contact"), max_length=50)
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        validators=[validate_mobile],
        help_text=_("A mainland mobile number, e.g. 13800138000."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("Where the customer receives the delivery notice and documents."),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        existing = Customer.objects.filter(name__iexact=name).first()
        if existing is not None:
            raise forms.ValidationError(
                MSG_QUICK_CUSTOMER_EXISTS, params={"existing": f"{existing.code} {existing.name}"}
            )
        return name

    def clean_mobile(self) -> str:
        return normalize_phone(self.cleaned_data["mobile"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()
