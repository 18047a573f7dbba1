"""Training materials: exercise notebooks run with their placeholders and their checks say "not yet" until the
answer cells are completed; with the solution's answer cells in their place every check says "correct".

The solution notebooks themselves run under nbval (they live under notebooks/, and their check cells are tagged
nbval-check-output, so a check that stops passing fails the suite).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from cvkit.training import MODULES, Exercise

TRAINING = Path(__file__).resolve().parent.parent / "notebooks" / "training"
PAIRS = {m: (next(TRAINING.glob(f"*_{m}_exercise.ipynb")), next((TRAINING / "solutions").glob(f"*_{m}_solution.ipynb")))
         for m in MODULES}
CHECK_LINE = re.compile(r"^\[(\w+) (\w+)\] (correct|not yet): ", re.M)


def _answers(nb) -> dict[str, nbformat.NotebookNode]:
    return {c.id: c for c in nb.cells if "exercise" in c.metadata.get("tags", [])}


def _check_lines(nb) -> dict[str, str]:
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors[0].get("evalue")
    return {task: verdict for _, task, verdict in CHECK_LINE.findall(text)}


def _execute(nb, folder: Path):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def test_every_module_has_an_exercise_a_solution_and_a_facilitator_guide():
    assert set(PAIRS) == {"value_drivers", "discrete_choice", "segmentation", "clv", "spot_the_problem"}
    guide = (TRAINING / "README.md").read_text()
    for m, (exercise, solution) in PAIRS.items():
        assert exercise.name in guide and solution.name in guide, f"the facilitator guide does not list module {m}"
    for heading in ("Agenda", "Learning goals", "Discussion", "Common mistakes"):
        assert heading.lower() in guide.lower(), f"the facilitator guide has no {heading!r} section"


@pytest.mark.parametrize("module", list(MODULES))
def test_exercise_and_solution_differ_only_in_the_answer_cells(module):
    exercise, solution = (nbformat.read(p, as_version=4) for p in PAIRS[module])
    ex_answers, sol_answers = _answers(exercise), _answers(solution)
    assert set(ex_answers) == set(sol_answers) and len(ex_answers) == len(MODULES[module]())
    for cell in ex_answers.values():
        assert re.search(r"^\w+ = \.\.\.$", cell.source, re.M), f"{cell.id}: no `name = ...` placeholder"
    given = lambda nb: [(c.id, c.source) for c in nb.cells[1:] if c.id not in ex_answers]  # noqa: E731
    assert given(exercise) == given(solution), "exercise and solution must share every cell but the answers"


@pytest.mark.parametrize("module", list(MODULES))
def test_solution_notebook_is_stored_with_every_check_correct(module):
    lines = _check_lines(nbformat.read(PAIRS[module][1], as_version=4))
    assert lines == {task: "correct" for task in MODULES[module]()}


@pytest.mark.slow
@pytest.mark.parametrize("module", list(MODULES))
def test_exercise_checks_fail_with_placeholders_and_pass_with_the_solution(module, tmp_path):
    exercise, solution = (nbformat.read(p, as_version=4) for p in PAIRS[module])
    tasks = list(MODULES[module]())
    ran = _execute(nbformat.from_dict(exercise), tmp_path)
    assert _check_lines(ran) == {t: "not yet" for t in tasks}
    completed = nbformat.from_dict(exercise)
    answers = _answers(solution)
    completed.cells = [answers.get(c.id, c) for c in completed.cells]
    assert _check_lines(_execute(completed, tmp_path)) == {t: "correct" for t in tasks}


# ---------------------------------------------------------------------------------------------- the checks
WRONG = {
    "value_drivers": {"client_nps": 35.0, "top_driver": "saves_money", "gap_significant": False},
    "discrete_choice": {"top_attribute": "returns", "wtp_same_day": 20.0, "share_gain": 0.1086},
    "segmentation": {"n_segments": 5, "largest_share": 40.9, "recovery_ari": 0.2},
    "clv": {"repeat_share": 48.3, "mean_p_alive": 0.5, "simple_clv": 133.33},
    "spot_the_problem": {"case_1": "a", "case_2": "b", "case_3": "d", "case_4": "a", "case_5": "a", "case_6": "a",
                         "case_7": "a"},
}


@pytest.mark.parametrize("module", list(MODULES))
def test_wrong_answers_placeholders_and_bad_types_are_not_yet_and_never_raise(module, capsys):
    ex = Exercise(module)
    assert set(WRONG[module]) == set(ex.tasks)
    for task, wrong in WRONG[module].items():
        for answer in (wrong, ..., object()):
            assert ex.check(task, answer) is None and ex.results[task] is False
    out = capsys.readouterr().out
    assert "correct:" not in out.replace("not yet", "")
    assert len(CHECK_LINE.findall(out)) == 3 * len(ex.tasks)
    assert "still to do" in ex.summary()


def test_unknown_module_or_task_is_explained(capsys):
    with pytest.raises(ValueError, match="spot_the_problem"):
        Exercise("pricing")
    ex = Exercise("clv")
    ex.check("ltv", 1.0)
    assert "ltv" not in ex.results
    assert "tasks: repeat_share" in capsys.readouterr().out
