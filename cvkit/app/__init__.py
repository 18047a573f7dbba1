"""Apps for client workshops: the live market simulator served code-free by Voilà.

``cvkit simulator CONFIG`` serves the discrete-choice simulator of the engagement's fitted run
(:func:`serve_simulator`); :class:`SimulatorApp` is the same app as a widget for any notebook.
"""

from cvkit.app.serve import APP_NOTEBOOK, free_port, run_dir_for, serve_simulator, voila_command
from cvkit.app.simulator import RUN_ENV, SimulatorApp, simulator_app

__all__ = ["APP_NOTEBOOK", "RUN_ENV", "SimulatorApp", "free_port", "run_dir_for", "serve_simulator",
           "simulator_app", "voila_command"]
