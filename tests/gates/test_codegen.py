"""The gate table is what sympy derives: regenerated here, compared to the checked-in file."""

from __future__ import annotations

import math

import sympy as sp

from backprop_cli.gates import generate as codegen
from backprop_cli.gates.registry import GATES
from backprop_cli.gates.symbolic import GATE_DEFS, A, sigmoid


def test_generated_tables_are_up_to_date() -> None:
    assert codegen.TABLE_PATH.read_text(encoding="utf-8") == codegen.generate(), \
        "run `python -m backprop_cli.gates.generate` and commit _gatetable.py"
    assert codegen.NUMPY_TABLE_PATH.read_text(encoding="utf-8") == codegen.generate_numpy(), \
        "run `python -m backprop_cli.gates.generate` and commit _gatetable_np.py"
    assert codegen.ARRAY_LIST_PATH.read_text(encoding="utf-8") == codegen.generate_array_list(), \
        "run `python -m backprop_cli.gates.generate` and commit _arraygatelist.py"


def test_numpy_table_agrees_with_math_table_elementwise() -> None:
    import numpy as np

    from backprop_cli.gates._gatetable_np import NUMPY_GATES

    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 2.0, 50), rng.uniform(-2.0, 2.0, 50)
    a[0], b[0] = 0.0, 0.0  # kinks: relu'(0) = 0, max/min ties 0.5, sign(0) = 0
    points = {"a": a, "b": b, "c": rng.uniform(-2.0, 2.0, 50)}
    for name, spec in GATES.items():
        forward, partials = NUMPY_GATES[name]
        args = [points[p] for p in spec.params]
        with np.errstate(all="ignore"):
            out = forward(*args)
            for k in range(len(args)):
                got = np.broadcast_to(partials[k](*args, out), a.shape)
                for i in range(1, 50):
                    scalar = [arg[i] for arg in args]
                    want = spec.partials[k](*scalar, spec.forward(*scalar))
                    assert math.isclose(got[i], want, rel_tol=1e-12), (name, k, i)
    relu = NUMPY_GATES["relu"][1][0]
    assert relu(np.array([0.0]), np.array([0.0]))[0] == 0.0


def test_sigmoid_declared_derivative_equals_derivative_of_its_definition() -> None:
    written_out = 1 / (1 + sp.exp(-A))
    declared = sp.diff(sigmoid(A), A).rewrite(sp.exp)
    assert sp.simplify(sp.diff(written_out, A) - declared) == 0


def test_stable_numeric_forms_are_identities() -> None:
    from backprop_cli.gates.symbolic import STABLE_FORMS

    for original, stable in STABLE_FORMS.items():
        difference = (original - stable).rewrite(sp.exp)
        for point in ("-30", "-0.7", "0.3", "2", "40"):
            at = {symbol: sp.Float(point, 40) for symbol in difference.free_symbols}
            assert abs(sp.N(difference.xreplace(at), 40)) < 1e-30, (original, point)


def test_sigmoid_gradient_keeps_its_digits_in_the_tail() -> None:
    """sigmoid'(40) = e^-40 / (1 + e^-40)^2, not 0 as (1 - out) * out would round it."""
    local = GATES["sigmoid"].partials[0](40.0, GATES["sigmoid"].forward(40.0))
    assert math.isclose(local, math.exp(-40) / (1 + math.exp(-40)) ** 2, rel_tol=1e-12)


def test_tanh_gradient_keeps_its_digits_in_the_tail() -> None:
    """tanh'(20) = sech(20)^2 = 1.7e-17, not 0 as 1 - out**2 would round it."""
    local = GATES["tanh"].partials[0](20.0, math.tanh(20.0))
    assert math.isclose(local, 1.6993417021166355e-17, rel_tol=1e-12)
    assert GATES["tanh"].partials[0](800.0, 1.0) == 0.0  # underflows, no overflow error


def test_abs_differentiates_to_sign_with_real_symbols() -> None:
    abs_gate = next(g for g in GATE_DEFS if g.name == "abs")
    assert abs_gate.partials() == (sp.sign(A),)


def test_every_gate_is_in_the_numeric_table_with_its_arity() -> None:
    assert [g.name for g in GATE_DEFS] == list(GATES)
    for gate in GATE_DEFS:
        assert GATES[gate.name].arity == gate.arity


def test_compiled_partials_match_sympy_at_a_point() -> None:
    point = {"a": 0.7, "b": 1.3, "c": 2.1}
    for gate in GATE_DEFS:
        spec = GATES[gate.name]
        args = [point[p] for p in spec.params]
        out = spec.forward(*args)
        subs = {p: point[str(p)] for p in gate.params}
        assert math.isclose(out, float(gate.expr.subs(subs).evalf()), rel_tol=1e-12)
        for compiled, derived in zip(spec.partials, gate.partials(), strict=True):
            expected = float(derived.subs(subs).evalf())
            assert math.isclose(compiled(*args, out), expected, rel_tol=1e-12), gate.name


def test_hot_path_does_not_import_sympy() -> None:
    import subprocess
    import sys

    code = ("import sys; from backprop_cli import run; run('(x+y)*z', {'x': -2, 'y': 5, "
            "'z': -4}); print('sympy' in sys.modules, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
