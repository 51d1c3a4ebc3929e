from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.4286 → "43 %"."""
    if value is None:
        return "—"
    return f"{round(100 * float(value))} %"


@register.filter
def pvalue(value) -> str:
    """A p-value as journals print it: "< 0.001" below a thousandth, else three decimals."""
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
