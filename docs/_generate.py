"""Sources generated at build time by ``conf.py`` (ignored by git).

* ``api_pages``: one reST page for the ``qutip_mmi`` namespace and one per
  public module, with autosummary tables of the names in their ``__all__`` (so
  a name added to ``__all__`` appears without editing the docs, and a name
  that does not exist cannot break the build). An object documented in the
  namespace is not documented again under its module (no duplicate targets).
* ``tutorials``: the jupytext Markdown tutorials converted to notebooks
  (no outputs; myst-nb renders them without executing).
"""

import importlib
import inspect
import os
import re

#: Public modules documented on their own page (if importable), in order.
MODULES = [
    ("qutip_mmi.meanfield", "Mean-field theory (N -> infinity)"),
    ("qutip_mmi.exact", "The full 2^N route (cross-validation)"),
    ("qutip_mmi.sweep", "Parameter sweeps"),
    ("qutip_mmi.evolve", "Time evolution"),
    ("qutip_mmi.spectrum", "Liouvillian spectrum"),
    ("qutip_mmi.groundstate", "Ground states"),
    ("qutip_mmi.figures", "The paper's figures and finite-size extrapolation"),
    ("qutip_mmi.steadystate", "Steady-state routes"),
    ("qutip_mmi.models", "Models"),
]


def _write_if_changed(path, text):
    old = None
    if os.path.exists(path):
        with open(path) as fh:
            old = fh.read()
    if old != text:
        with open(path, "w") as fh:
            fh.write(text)


def _title(text, char="="):
    return f"{text}\n{char * len(text)}\n"


def _kind(obj):
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _public(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, o in vars(mod).items() if not n.startswith("_")
                 and getattr(o, "__module__", None) == mod.__name__
                 and (inspect.isclass(o) or inspect.isfunction(o))]
    return [n for n in names if hasattr(mod, n) and not n.startswith("__")]


def _table(names):
    if not names:
        return ""
    body = "\n".join(f"   {n}" for n in names)
    return f".. autosummary::\n   :toctree: generated\n   :nosignatures:\n\n{body}\n\n"


def _section(module, names, seen, heading_char="-"):
    """Autosummary tables of ``module``'s ``names`` by kind; objects already in
    ``seen`` (id -> documented name) are cross-referenced instead."""
    groups = {"class": [], "function": [], "exception": [], "data": []}
    again = []
    for n in names:
        obj = getattr(module, n)
        kind = _kind(obj)
        if kind == "module":
            continue
        if kind != "data" and id(obj) in seen:
            again.append((n, seen[id(obj)], kind))
            continue
        groups[kind].append(n)
        if kind != "data":
            seen[id(obj)] = f"{module.__name__}.{n}"
    out = []
    for kind, head in (("class", "Classes"), ("function", "Functions"),
                       ("exception", "Exceptions and warnings")):
        if groups[kind]:
            out.append(_title(head, heading_char) + "\n" + _table(groups[kind]))
    if groups["data"]:
        items = "\n".join(f"* ``{module.__name__}.{n}``" for n in groups["data"])
        out.append(_title("Constants", heading_char) + "\n" + items + "\n\n")
    if again:
        role = {"class": "class", "function": "func", "exception": "exc"}
        items = "\n".join(f"* ``{n}``: :{role[k]}:`{full}`" for n, full, k in again)
        out.append(_title("Also here", heading_char)
                   + "\nDocumented in the namespace above:\n\n" + items + "\n\n")
    return "".join(out)


def api_pages(outdir):
    """Write ``outdir/index.rst`` (the namespace) and one page per module."""
    os.makedirs(outdir, exist_ok=True)
    import qutip_mmi
    seen = {}
    top = _public(qutip_mmi)
    mods_in_ns = [n for n in top if inspect.ismodule(getattr(qutip_mmi, n))]
    parts = [_title("API reference"), "\n",
             ".. currentmodule:: qutip_mmi\n\n",
             "Everything below is importable from the namespace ``qutip_mmi`` "
             "(``import qutip_mmi as qm``); its ``__all__`` is: "
             + ", ".join(f"``{n}``" for n in top) + ".\n\n",
             _section(qutip_mmi, top, seen)]
    pages = []
    for modname, what in MODULES:
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        short = modname.rsplit(".", 1)[1]
        pages.append(short)
        # a namespace function of the same name (qutip_mmi.spectrum) owns the
        # target: the module description is then not indexed
        clash = not inspect.ismodule(getattr(qutip_mmi, short, mod))
        noindex = "   :no-index:\n" if clash else ""
        text = [_title(f"``{modname}``: {what}"), "\n",
                f".. automodule:: {modname}\n   :no-members:\n{noindex}\n",
                f".. currentmodule:: {modname}\n\n",
                _section(mod, _public(mod), seen)]
        _write_if_changed(os.path.join(outdir, f"{short}.rst"), "".join(text))
    listed = ", ".join(f"``qutip_mmi.{n}``" for n in mods_in_ns)
    parts.append(_title("Modules", "-") + "\n"
                 + (f"Modules in the namespace: {listed}.\n\n" if listed else "")
                 + ".. toctree::\n   :maxdepth: 1\n\n"
                 + "\n".join(f"   {p}" for p in pages) + "\n")
    _write_if_changed(os.path.join(outdir, "index.rst"), "".join(parts))


def tutorials(srcdir, outdir):
    """Convert ``srcdir/NN-*.md`` (jupytext Markdown) to ``outdir/NN-*.ipynb``."""
    import jupytext
    os.makedirs(outdir, exist_ok=True)
    names = sorted(f for f in os.listdir(srcdir)
                   if f.endswith(".md") and f[:2].isdigit())
    for name in names:
        nb = jupytext.read(os.path.join(srcdir, name), fmt="md")
        text = jupytext.writes(nb, fmt="ipynb")
        _write_if_changed(os.path.join(outdir, name[:-3] + ".ipynb"), text)
    # notebooks whose Markdown source was removed
    for f in os.listdir(outdir):
        if f.endswith(".ipynb") and f[:-6] + ".md" not in names:
            os.remove(os.path.join(outdir, f))


# ------------------------------------------------------- plain-text docstrings
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_REF_END = re.compile(r"(?<=[A-Za-z0-9)\]}])_(?![A-Za-z0-9_])")


def _escape_segment(text):
    text = _REF_END.sub(r"\\_", text)        # sigma_-, rho_{-q}: not references
    return text.replace("|", r"\|")           # |m|: not a substitution


def escape_plain_math(app, what, name, obj, options, lines):
    """``autodoc-process-docstring`` hook: the package's docstrings write
    formulas as plain text (``D[sigma_-]``, ``|m|``); escape the characters
    that reST would read as references or substitutions, outside literals,
    doctest lines and line blocks."""
    literal = None      # indentation of the paragraph that opened a literal block
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal is not None:
            if not stripped or indent > literal:
                continue
            literal = None
        if line.rstrip().endswith("::"):
            literal = indent
        if stripped.startswith((">>>", "...", "|", ".. ")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join((p.replace(" . ", " \N{DOT OPERATOR} ") if k % 2
                            else _escape_segment(p)) for k, p in enumerate(parts))


def cli_parser():
    """``qutip_mmi.cli.build_parser()`` with its help texts escaped for reST
    (the CLI reference page renders them; ``D[sigma_-]`` is plain text)."""
    import argparse

    from qutip_mmi.cli import build_parser

    def fix(parser):
        if parser.description:
            parser.description = _escape_segment(parser.description)
        for action in parser._actions:
            if action.help and action.help is not argparse.SUPPRESS:
                parts = _LITERAL.split(action.help)
                action.help = "".join(p if k % 2 else _escape_segment(p)
                                      for k, p in enumerate(parts))
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if choice.help:
                        choice.help = _escape_segment(choice.help)
                for sub in action.choices.values():
                    fix(sub)

    parser = build_parser()
    fix(parser)
    return parser
