"""Every form field is drawn by one template (`templates/forms/field.html`): the label, the
input, help and errors the same way on every page. Pages
include `_field.html` (or write `{{ form }}`), which asks the renderer for it.

`TemplatesSetting` renders widgets with the project's template engine, so the project's
templates may override Django's own widget templates too."""

from django.forms.renderers import TemplatesSetting


class KapcareFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
