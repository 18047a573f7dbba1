"""The engagement machinery: from ``engagement.yaml`` to the client deliverable.

``config`` reads and validates the engagement, ``parameters`` maps it onto each notebook's
parameters cell, ``runner`` executes the notebooks with papermill, ``outputs`` is how a notebook
exports tables, figures and results, ``results`` is the results contract, ``synthesis`` builds the
executive summary from it, ``overview`` serves the engagement-overview notebook, ``report`` renders
the HTML deliverable and ``scaffold`` writes new and demo engagement folders.

The analyses (``cvkit.drivers``, ``cvkit.choice``, ``cvkit.segment``, ``cvkit.clv``) never import
this package; the layering is checked by ``tests/test_architecture.py``.
"""
