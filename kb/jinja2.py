"""The site's pages: Jinja2 templates in templates/ (settings.TEMPLATES).

Jinja2 compiles a template to Python once, where Django's template language walks its nodes
and resolves each variable afresh at every request: the queue, entity and side-by-side pages
cost 6 to 12% less for it (README: Measuring). The admin and the libraries' own pages stay on
Django's language (kb/templates/).

What differs from Django's language, and how the templates write it:
- methods are called: `entity.get_kind_display()`, `form.non_field_errors()`;
- `{{ url('entity', entity.pk) }}`, `{{ static('kb/site.css') }}`, `{{ csrf_input }}`;
- `{{ dated(claim, "claimed_on") }}` for a date at its stored precision;
- a fallback for an empty value is `value or "fallback"` (Django's `|default`);
- a missing variable prints nothing, as in Django (ChainableUndefined), so a page rendered
  without a request (the 500 page) still renders;
- the context processors' names (request, user, perms, messages, roles, csrf_token) win over
  a view's context of the same name, the reverse of Django's language: a view does not use them;
- the filters below are Django's own, with its semantics: `|date` shows the current time zone,
  `|pluralize`, `|capfirst`, `|truncatewords`, `|linebreaksbr` (escaping first) and `|urlencode`
  (keeping "/");
- a template's own text beyond ASCII ("·", "›") is written out as character references
  ("&#183;", "&#8250;"), which a browser shows as the characters (_CharacterReferences).
"""

from __future__ import annotations

import html
from pathlib import Path

from django.core.signals import setting_changed
from django.forms import renderers
from django.template import defaultfilters
from django.templatetags import static as django_static
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment, nodes, pass_context
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DATA, Token

from claims.display import claim_interval_display, claim_value_with_unit, date_display
from kb.reversing import plain_url


@pass_context
def url(context, name: str, *args, **kwargs) -> str:
    """`{{ url('entity', entity.pk) }}`: Django's `{% url %}`. A URL without arguments (the
    header's ten links on every page) is reversed once per script prefix and URLconf
    (kb.reversing)."""
    if args or kwargs:
        return reverse(name, args=args, kwargs=kwargs)
    return plain_url(name, context.get("request"))


# {path: its URL} for static(), kept for the process and forgotten when the settings change
# (override_settings in tests; a production process never changes them).
_STATIC_URLS: dict[str, str] = {}


def static(path: str) -> str:
    """`{{ static('kb/site.css') }}`: Django's `{% static %}`, asked once per path. Django's
    looks through the installed apps for staticfiles and asks the storage (its manifest, in
    production) at each call: 40 microseconds, 5% of a page of nothing but the frame. A
    storage's URL for a path is fixed for its life: the manifest is read when it is made."""
    found = _STATIC_URLS.get(path)
    if found is None:
        found = _STATIC_URLS[path] = django_static.static(path)
    return found


def _forget_static_urls(**kwargs) -> None:
    _STATIC_URLS.clear()


setting_changed.connect(_forget_static_urls, dispatch_uid="kb.jinja2.static")


def dated(obj, field: str) -> str:
    """`{{ dated(claim, "claimed_on") }}`: the date at its stored precision."""
    return date_display(getattr(obj, field), getattr(obj, f"{field}_precision"))


def date(value, arg=None) -> str:
    """Django's `|date`, in the current time zone as Django's templates show it."""
    return defaultfilters.date(template_localtime(value), arg)


def linebreaksbr(value) -> str:
    return defaultfilters.linebreaksbr(value, autoescape=True)


def _escaped(value):
    """A printed value escaped as Django's templates escape it: &quot; and &#x27; (Jinja2
    writes &#34; and &#39;), so that a page and the forms Django renders in it escape alike;
    and an object printed as its text first, so that one whose text is safe HTML (a message
    made with format_html) stays HTML.

    This is Django's escape (SafeString(html.escape(text))) without the check for lazy text it
    makes on every call, which took a tenth of the queue page (a value per cell); and a
    SafeString, which costs half what markupsafe's Markup does to make."""
    if type(value) is not str:
        if hasattr(value, "__html__"):
            # Safe text (Markup, SafeString) as it is; another object (an Undefined) as its HTML.
            return value if isinstance(value, str) else SafeString(value.__html__())
        value = str(value)
        if hasattr(value, "__html__"):
            return value
    # Most values hold nothing to escape: five scans for a character cost less than
    # html.escape's five replacements (a third of this function's time on the queue page).
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        value = html.escape(value)
    return SafeString(value)


# The characters html.escape replaces: _escaped and _escaped_text look for each in turn (five
# scans cost less than its five replacements), and so does a compiled template's check.
_TO_ESCAPE = ("&", "<", ">", '"', "'")


def _escaped_text(value) -> str:
    """_escaped for the text a template writes out: plain text, not SafeString, which the
    output does not need (it is joined with the page, which is safe as a whole) and which cost
    half of _escaped on a queue page; and a number as its digits, with nothing to look for."""
    kind = type(value)
    if kind is str:
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return html.escape(value)
        return value
    if kind is int:
        return str(value)
    return _escaped(value)


# The name of _escaped_text in a compiled template's module.
_ESCAPED_TEXT = "kb_escaped_text"
# The local name a printed value is held in while it is checked, and the check that it holds
# nothing to escape (as _escaped_text checks it).
_VALUE = "kb_value"
_NOTHING_TO_ESCAPE = " and ".join(f"{character!r} not in {_VALUE}" for character in _TO_ESCAPE)


class _CodeGenerator(CodeGenerator):
    """Writes a printed value as `kb_escaped_text(value)` alone where Jinja2 writes
    `escape(environment.finalize(value))`: _escaped_text escapes it, and markupsafe's escape of
    its result, the same text, cost 6% of the entity page. Text with nothing to escape (most
    values) is checked inline and written as it is, without the call: 3% of the instructions
    of a queue request. And `row.name` on a variable reads a dict's key inline
    (visit_Getattr)."""

    def _escaped_by_finalize(self, frame, finalize) -> bool:
        return (
            finalize.src is not None and frame.eval_ctx.autoescape and not frame.eval_ctx.volatile
        )

    def visit_Template(self, node, frame=None):
        super().visit_Template(node, frame)
        # A global of the template's module: read as environment.escaped_text, a staticmethod
        # looked up on the environment at each value, it cost a tenth of the queue's rows.
        self.writeline(f"from {__name__} import _escaped_text as {_ESCAPED_TEXT}")

    def _output_child_pre(self, node, frame, finalize):
        if self._escaped_by_finalize(frame, finalize):
            # Text with nothing to escape (most values) as it is, without a call.
            self.write(f"({_VALUE} if type({_VALUE} := ")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize):
        if self._escaped_by_finalize(frame, finalize):
            self.write(f") is str and {_NOTHING_TO_ESCAPE} else {_ESCAPED_TEXT}({_VALUE}))")
        else:
            super()._output_child_post(node, frame, finalize)

    @optimizeconst
    def visit_Getattr(self, node, frame):
        """`row.name` where `row` is a variable: its key, read inline when it is a dict that
        has it (as _Environment.getattr reads it), else environment.getattr. A page's rows are
        dicts, and the call per cell cost 4% of the queue page. The variable is written four
        times: reading one has no effect."""
        if self.environment.is_async or not isinstance(node.node, nodes.Name):
            super().visit_Getattr(node, frame)
            return
        attribute = repr(node.attr)
        self.write("(")
        self.visit(node.node, frame)
        self.write(f"[{attribute}] if type(")
        self.visit(node.node, frame)
        self.write(f") is dict and {attribute} in ")
        self.visit(node.node, frame)
        self.write(" else environment.getattr(")
        self.visit(node.node, frame)
        self.write(f", {attribute}))")

    def blockvisit(self, nodes, frame):
        """A template's body and each of its blocks write their output into a list and yield
        it joined, once, where Jinja2 yields each piece: a piece of a block passed through
        every template that extends it (the queue's 50 rows, some 1,600 pieces, through three
        generators). Macros, call and filter blocks are written so by Jinja2 itself."""
        if frame.buffer is not None or not (frame.rootlevel or frame.block_frame):
            super().blockvisit(nodes, frame)
            return
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = []")
        try:
            super().blockvisit(nodes, frame)
            self.writeline(f"yield concat({frame.buffer})")
        finally:
            frame.buffer = None


class _CharacterReferences(Extension):
    """A template's own text (not the values it prints) with each character beyond ASCII as a
    character reference, which HTML reads as the character in text and attributes alike (the
    templates have no inline script or style, where it would not). One "›" in the crumbs made
    the whole page text of two bytes a character, which Python then widened piece by piece and
    encoded to UTF-8 character by character: 5% of the queue page. A page whose values are
    ASCII is now ASCII throughout, joined and encoded as bytes are copied."""

    def filter_stream(self, stream):
        for token in stream:
            if token.type == TOKEN_DATA and not token.value.isascii():
                text = token.value.encode("ascii", "xmlcharrefreplace").decode("ascii")
                token = Token(token.lineno, TOKEN_DATA, text)
            yield token


class _Environment(Environment):
    code_generator_class = _CodeGenerator

    def getattr(self, obj, attribute):
        """`row.name` on a dict reads its key first, as Django's templates do: the pages' rows
        are values() dicts, and Jinja2's own order (the attribute, then the key) raised and
        caught an AttributeError for every cell."""
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def environment(**options) -> Environment:
    # Django's backend passes Undefined (DebugUndefined under DEBUG, which prints the missing
    # name); the pages read the same in both.
    options["undefined"] = ChainableUndefined
    options["finalize"] = _escaped
    options["extensions"] = [*options.get("extensions", ()), _CharacterReferences]
    env = _Environment(**options)
    env.globals.update(url=url, static=static, dated=dated)
    env.filters.update(
        date=date,
        pluralize=defaultfilters.pluralize,
        capfirst=defaultfilters.capfirst,
        truncatewords=defaultfilters.truncatewords,
        linebreaksbr=linebreaksbr,
        urlencode=defaultfilters.urlencode,
        value=claim_value_with_unit,
        interval=claim_interval_display,
    )
    return env


class FormRenderer(renderers.Jinja2):
    """Django's Jinja2 form renderer (Django's Jinja2 copies of its widget, error and form
    templates) in the site's environment, so that a form's widgets escape as the page around
    them does (Django's &quot;, where Jinja2's own escape writes &#34;)."""

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [Path(renderers.__file__).parent / self.backend.app_dirname],
                "NAME": "djangoforms",
                "OPTIONS": {"environment": "kb.jinja2.environment"},
            }
        )
