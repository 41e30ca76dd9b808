"""The form helpers of the portal's templates."""

from django import forms

from core.templatetags.portal import add_class


class _Form(forms.Form):
    kind = forms.ChoiceField(choices=[("a", "A")])
    name = forms.CharField()


def test_a_select_gets_bootstraps_select_classes_also_in_the_small_size():
    form = _Form()
    assert 'class="form-select form-select-sm"' in add_class(
        form["kind"], "form-control form-control-sm"
    )
    assert 'class="form-select"' in add_class(form["kind"], "form-control")
    assert 'class="form-control form-control-sm"' in add_class(
        form["name"], "form-control form-control-sm"
    )
