"""Survey answers written as text, as Chinese survey exports write them.

Regressions: an NPS answer ``"9分"`` (9 points) was refused as a bare "non-numeric
value", without the "carries a unit" hint amounts get (``_validate.number_text_hint``);
"no answer" texts (``不知道`` don't know, ``不适用`` not applicable) were refused with no
way named to say they mean no answer, while on the command line ``N/A`` became missing
(the CSV reader's empty spellings) and ``invalid="exclude"`` never applied to text.
Now the refusal names the rows and what to do, ``crmkit nps --na-values`` names the
texts that mean no answer, and the documented rule is pinned here: only ``None``/NaN
(and, in CSV files, empty cells and the reader's empty spellings) are missing; any other
text is refused unless named.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from crmkit.cli import main
from crmkit.errors import InvalidInputError
from crmkit.service import csat, metric_table, nps
from crmkit.service._survey_input import score_text_hint


@pytest.mark.parametrize(
    ("answer", "unit", "bare"),
    [("9分", "分", "9"), ("8 分", "分", "8"), ("4 stars", "stars", "4"), ("5颗星", "颗星", "5")],
)
def test_a_score_with_a_unit_is_refused_with_the_unit_named(
    answer: str, unit: str, bare: str
) -> None:
    """The hint names the unit and the bare score to write, as amounts' hints do."""
    with pytest.raises(InvalidInputError) as err:
        nps(pd.Series([10, answer], index=[11, 12]))
    text = str(err.value)
    assert (
        f"{answer!r} carries a unit ({unit!r}): scores are bare numbers on the scale ({bare})"
        in text
    )
    assert "rows [12]" in text
    assert score_text_hint(["great", answer]).startswith(f"{answer!r} carries a unit")
    assert score_text_hint(["great"]) == ""


def test_units_are_refused_by_every_metric_and_invalid_exclude_does_not_hide_text() -> None:
    """``invalid='exclude'`` leaves out off-scale numbers only: text stays an error."""
    with pytest.raises(InvalidInputError, match="carries a unit"):
        csat(["5星", 4, 3])
    with pytest.raises(InvalidInputError, match="carries a unit"):
        nps(["9分", 10, 3], invalid="exclude")
    frame = pd.DataFrame({"nps": ["9分", "10分", "3分"], "segment": ["a", "b", "a"]})
    with pytest.raises(InvalidInputError, match="carries a unit"):
        metric_table(frame, "nps", by="segment", freq=None)
    with pytest.raises(InvalidInputError, match="carries its scale"):
        nps(["9/10", 10])


def test_no_answer_texts_are_refused_until_said_to_mean_no_answer() -> None:
    """Hand-checked: 9 and 10 promoters, 3 a detractor, 不知道 and 不适用 no answer.
    Excluded: n = 3, NPS = (2 - 1) / 3 = 33.3; included: n = 5, NPS = (2 - 1) / 5 = 20.0."""
    answers = pd.Series([9, "不知道", 10, 3, "不适用"], index=[2, 3, 4, 5, 6])
    with pytest.raises(InvalidInputError) as err:
        nps(answers)
    text = str(err.value)
    assert "the first '不知道' at rows [3, 6]" in text
    assert "'不知道', '不适用' read as \"no answer\", which crmkit does not decide" in text
    assert "missing='exclude'" in text
    assert "invalid='exclude' leaves out off-scale numbers only, never text" in text
    cleaned = answers.replace(["不知道", "不适用"], None)
    excluded = nps(cleaned)
    assert (excluded.n, excluded.n_missing) == (3, 2)
    assert excluded.value == pytest.approx(100 / 3)
    included = nps(cleaned, missing="include")
    assert included.n == 5
    assert included.value == pytest.approx(20.0)


def _table(argv: list[str], capsys: pytest.CaptureFixture[str]) -> pd.DataFrame:
    assert main([*argv, "--freq", "none", "--format", "csv"]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


def test_cli_na_values_names_the_no_answer_texts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hand-checked: 9, 3, 10 answered (NPS (2 - 1) / 3 = 33.3); 不知道, 不适用 and N/A
    named by ``--na-values``, and an empty cell (the one spelling the CSV reader reads as
    missing), are no answer: n_missing 4. With ``--missing include`` n = 7 and
    NPS = 1 / 7 = 14.29."""
    path = tmp_path / "r.csv"
    path.write_text(
        "date,nps\n2025-01-03,9\n2025-01-04,不知道\n2025-01-05,3\n2025-01-06,N/A\n"
        "2025-01-07,\n2025-01-08,10\n2025-01-09, 不适用 \n",
        encoding="utf-8",
    )
    assert main(["nps", str(path), "--freq", "none"]) == 2
    err = capsys.readouterr().err
    assert "'不知道' at rows [3, 5, 8]" in err  # N/A (row 5) is text too
    assert "on the command line: --na-values 不知道,N/A," in err
    argv = ["nps", str(path), "--na-values", "不知道,不适用,N/A"]
    row = _table(argv, capsys).iloc[0]
    assert (row["n"], row["n_missing"]) == (3, 4)
    assert row["value"] == pytest.approx(100 / 3)
    row = _table([*argv, "--missing", "include"], capsys).iloc[0]
    assert row["n"] == 7
    assert row["value"] == pytest.approx(100 / 7)
    # Only the named texts: another one is still refused.
    assert main(["nps", str(path), "--freq", "none", "--na-values", "不知道,N/A"]) == 2
    assert "' 不适用 '" in capsys.readouterr().err


def test_cli_refuses_a_score_with_a_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``9分`` on the command line: exit 2, one line, the unit and the rows named."""
    path = tmp_path / "r.csv"
    path.write_text("date,nps\n2025-01-03,9分\n2025-01-04,10\n", encoding="utf-8")
    assert main(["nps", str(path), "--freq", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "'9分' carries a unit ('分')" in err
    assert "rows [2]" in err
