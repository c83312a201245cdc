"""Sphinx extension of the course book: every figure keeps the description its notebook gave it,
and no page carries Thebe's scripts.

The course's figures carry their description as ``alt`` in the image's display metadata
(``course_utils.plot.use_course_style``), the metadata nbconvert and JupyterLab keep with the
output. MyST-NB 1.x reads only ``width`` and ``height`` from it, so docutils would fall back to
the image's file name as its alt text; here ``alt`` is passed on to the image as well.
"""

from myst_nb.core.render import NbElementRenderer

_render_image = NbElementRenderer.render_image


def render_image(self, data):
    nodes = _render_image(self, data)
    alt = data.output_metadata.get(data.mime_type, {}).get("alt")
    if alt:
        for node in nodes:
            node.setdefault("alt", str(alt))
    return nodes


def without_thebe(app, pagename, templatename, context, doctree):
    """Drop sphinx-thebe's scripts, which Jupyter Book always adds: the book launches no Thebe
    kernels (launch_buttons.thebe is off), sphinx-thebe 0.3 writes its inline script twice on every
    page (a console error: "Identifier 'THEBE_JS_URL' has already been declared"), and the
    script it would load comes from unpkg.com, a CDN."""
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"]
                                   if "thebe" not in (str(js) + str(getattr(js, "attributes", {})))]


def setup(app):
    NbElementRenderer.render_image = render_image
    app.connect("html-page-context", without_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
