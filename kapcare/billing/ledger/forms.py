"""The front desk's money forms: a payment (or deposit), a refund, a package sold or
refunded, a charge voided (and replaced). Amounts are parsed by `rules.parse_amount`, the
service's own check, so the page and the API say the same thing at the same field."""

from django import forms

from kapcare.accounts.second_factor_forms import StepUpMixin
from kapcare.billing.ledger import rules
from kapcare.text import TextFormMixin

METHOD_CHOICES = [("", "Choose…"), *rules.METHODS.items()]


class AmountField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Amount (USD)")
        kwargs.setdefault("max_length", 14)
        super().__init__(**kwargs)
        self.widget.attrs.update(inputmode="decimal", autocomplete="off")

    def clean(self, value):
        value = super().clean(value)
        amount, problem = rules.parse_amount(value)
        if problem:
            raise forms.ValidationError(problem)
        return str(amount)


class PaymentForm(TextFormMixin, forms.Form):
    amount = AmountField(error_messages={"required": "Enter an amount, e.g. 475.00."})
    method = forms.ChoiceField(
        label="How it was paid",
        choices=METHOD_CHOICES,
        error_messages={"required": "Choose how it was paid."},
    )
    reference = forms.CharField(
        label="Reference (check number, processor id)", max_length=80, required=False
    )
    package_id = forms.ChoiceField(label="For a package", required=False)
    deposit_session_id = forms.ChoiceField(label="Deposit holding a booked session", required=False)
    note = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, *args, packages=(), sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package_id"].choices = [("", "None")] + [
            (str(sale.external_id), sale.name) for sale in packages
        ]
        self.fields["deposit_session_id"].choices = [("", "Not a deposit")] + [
            (str(session.external_id), label) for session, label in sessions
        ]


class RefundForm(TextFormMixin, forms.Form):
    payment = forms.ChoiceField(
        label="Payment to refund", error_messages={"required": "Choose the payment."}
    )
    amount = AmountField(error_messages={"required": "Enter the amount to refund."})
    note = forms.CharField(label="Why", max_length=300, required=False)

    def __init__(self, *args, payments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment"].choices = [("", "Choose…")] + [
            (str(p.external_id), label) for p, label in payments
        ]


class SellPackageForm(TextFormMixin, forms.Form):
    product = forms.ChoiceField(label="Package", error_messages={"required": "Choose a package."})

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "Choose…")] + [
            (str(p.external_id), f"{p.name}: {p.sessions} sessions, ${p.price:,.2f}")
            for p in products
        ]


class RefundPackageForm(StepUpMixin, TextFormMixin, forms.Form):
    package = forms.ChoiceField(label="Package", error_messages={"required": "Choose a package."})
    note = forms.CharField(label="Why", max_length=300, required=False)

    def __init__(self, *args, user, packages=(), **kwargs):
        kwargs.setdefault("auto_id", "package_refund_%s")
        super().__init__(*args, user=user, **kwargs)
        self.fields["package"].choices = [("", "Choose…")] + [
            (str(sale.external_id), sale.name) for sale in packages
        ]


class VoidChargeForm(StepUpMixin, TextFormMixin, forms.Form):
    charge = forms.ChoiceField(label="Charge", error_messages={"required": "Choose the charge."})
    reason = forms.CharField(
        label="Why it is voided",
        max_length=300,
        error_messages={"required": "Say why the charge is voided."},
    )
    replace = forms.BooleanField(label="Post a corrected line in its place", required=False)
    units = forms.IntegerField(
        label="Corrected units",
        required=False,
        min_value=1,
        max_value=99,
        error_messages={"invalid": "Enter a whole number of units, 1 to 99."},
    )
    unit_price = forms.DecimalField(
        label="Corrected unit price (USD)",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        error_messages={
            "invalid": "Enter an amount, e.g. 150.00.",
            "min_value": "Enter zero or more.",
            "max_digits": "Enter an amount below 1,000,000.",
            "max_decimal_places": "Enter at most two digits after the point.",
        },
    )
    modifiers = forms.RegexField(
        label="Corrected modifiers",
        regex=r"^([A-Za-z0-9]{2})(, ?[A-Za-z0-9]{2})*$",
        max_length=20,
        required=False,
        error_messages={"invalid": "Modifiers are two letters or digits each, e.g. 25 or JZ, 59."},
    )

    def __init__(self, *args, user, charges=(), **kwargs):
        kwargs.setdefault("auto_id", "void_%s")
        super().__init__(*args, user=user, **kwargs)
        self.fields["charge"].choices = [("", "Choose…")] + [
            (str(c.external_id), label) for c, label in charges
        ]


class PackageProductForm(TextFormMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=120, help_text="E.g. Induction series")
    sessions = forms.IntegerField(
        label="Doses included",
        min_value=1,
        max_value=50,
        error_messages={"invalid": "Enter a whole number of doses, 1 to 50."},
    )
    price = forms.DecimalField(
        label="Package price (USD)",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        error_messages={
            "invalid": "Enter an amount, e.g. 2400.00.",
            "min_value": "Enter zero or more.",
            "max_digits": "Enter an amount below 100,000,000.",
            "max_decimal_places": "Enter at most two digits after the point.",
        },
    )
