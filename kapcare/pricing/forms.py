"""Forms of the price list page: the dosing-session price of each route, another item,
one line edited. Amounts are dollars and cents, not negative; each message is given at the
field, and a form that fails keeps what was typed."""

from decimal import Decimal

from django import forms

from kapcare.clinics.models import PriceKind, PriceListItem

MONEY_MESSAGES = {
    "required": "Enter the price in dollars, e.g. 475.00.",
    "invalid": "Enter the price as a number of dollars, e.g. 475.00.",
    "min_value": "A price cannot be negative; enter 0.00 for an item given free.",
    "max_decimal_places": "Enter dollars and cents: at most 2 decimals, e.g. 475.50.",
    "max_digits": "Enter a price below $1,000,000.",
    "max_whole_digits": "Enter a price below $1,000,000.",
}


class MoneyField(forms.DecimalField):
    """A price in US dollars. "$1,250" and "1250.00" are both read as 1250.00."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Price (USD)")
        super().__init__(
            max_digits=8,
            decimal_places=2,
            min_value=Decimal("0"),
            error_messages=MONEY_MESSAGES,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removeprefix("$").replace(",", "").strip()
        return super().to_python(value)

    def widget_attrs(self, widget):
        # Not the number input's min/step: "$1,250" is fine here and the server checks.
        return {
            key: value
            for key, value in super().widget_attrs(widget).items()
            if key not in {"min", "step", "max"}
        }


class DosingPricesForm(forms.Form):
    """The price of a dosing session by each route, and whether the clinic offers it."""

    def __init__(self, *args, items: list[PriceListItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"amount_{item.route}"] = MoneyField(initial=item.amount)
            self.fields[f"offered_{item.route}"] = forms.BooleanField(
                label="Offered",
                required=False,
                initial=item.is_active,
                help_text="Untick it if the clinic does not give doses this way: an "
                "estimate for this route then leaves the doses out and says to ask the clinic.",
            )

    def rows(self):
        """(item, amount field, offered field) per route, for the template."""
        return [
            (item, self[f"amount_{item.route}"], self[f"offered_{item.route}"])
            for item in self.items
        ]

    def changed_items(self) -> list[PriceListItem]:
        """The lines whose price or offer changed, with the new values set."""
        changed = []
        for item in self.items:
            amount = self.cleaned_data[f"amount_{item.route}"]
            offered = self.cleaned_data[f"offered_{item.route}"]
            if amount != item.amount or offered != item.is_active:
                item.amount, item.is_active = amount, offered
                changed.append(item)
        return changed


class PriceItemForm(forms.ModelForm):
    """One line of the price list. A dosing session's name follows its route."""

    amount = MoneyField()

    class Meta:
        model = PriceListItem
        fields = ["name", "amount", "is_active"]
        labels = {"name": "Item", "is_active": "Offered"}
        help_texts = {
            "name": "As patients will read it, e.g. “Consultation” or “Booster dose”.",
            "is_active": "Untick it to stop offering the item; the line is kept.",
        }
        error_messages = {"name": {"required": "Name the item, e.g. “Consultation”."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind == PriceKind.DOSING_SESSION:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "Named after its route."
