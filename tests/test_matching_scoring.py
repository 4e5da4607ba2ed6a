"""matching.scoring: the weights come from settings, and the explanation adds up."""

from matching.scoring import COMPONENTS, Weights, explain
from settings import Settings


def test_weights_come_from_the_match_weight_settings():
    weights = Weights.from_settings(Settings(match_weight_rating=7.0))
    assert weights.rating == 7.0 and weights.coverage == Settings().match_weight_coverage


def test_the_explanation_is_the_weighted_sum_with_reasons_in_words():
    weights = Weights(**dict.fromkeys(COMPONENTS, 1.0))
    parts = {"coverage": 1.0, "rating": 0.8, "load": 1.0, "rotation": 1.0, "timezone": 0.0,
             "turnaround": 0.5}  # fmt: skip
    result = explain(parts, weights, ["security", "python"])
    assert result["score"] == 4.3
    assert result["summary"] == [
        "Verified for security, python",
        "covers every detected language and framework",
        "has no open reviews",
        "has waited longest for a new request",
        "is highly rated",
    ]
