"""Sphinx configuration of the qutip-mmi documentation.

The build is offline and fast: no intersphinx, the tutorials are rendered from
the jupytext Markdown files in ``../tutorials`` without executing them, the API
pages are generated from ``qutip_mmi.__all__`` (and the ``__all__`` of the
public modules) and the CLI reference from ``qutip_mmi.cli.build_parser``.
Everything generated lands in ``docs/api/`` and ``docs/tutorials/*.ipynb``
(ignored by git).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import _generate  # noqa: E402  (docs/_generate.py)
import qutip_mmi  # noqa: E402

project = "qutip-mmi"
author = "qutip-mmi developers"
copyright = "qutip-mmi developers, BSD-3-Clause"
release = qutip_mmi.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinxarg.ext",
    "myst_nb",
]

# ---- generated sources (API pages, tutorials as notebooks)
_generate.api_pages(os.path.join(HERE, "api"))
_generate.tutorials(os.path.join(ROOT, "tutorials"), os.path.join(HERE, "tutorials"))

# ---- sources
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints",
                    "README.md"]
root_doc = "index"

# ---- autodoc / autosummary / napoleon (numpy-style docstrings)
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "undoc-members": False,
                           "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpy docstrings give the types
autoclass_content = "class"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False
napoleon_custom_sections = [("Conventions", "notes_style"),
                            ("Diagnostics", "notes_style")]

# ---- notebooks: rendered, never executed (fast, offline)
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# ---- no network: no intersphinx
intersphinx_mapping = {}

# ---- html
html_theme = "alabaster"
html_title = f"qutip-mmi {release}"
html_static_path = []
html_theme_options = {"description": "Multipartite mutual information of "
                      "permutation-invariant open quantum systems",
                      "fixed_sidebar": True}


def setup(app):
    app.connect("autodoc-process-docstring", _generate.escape_plain_math)
