"""A model card's export defaults: used when in range, ignored (the CLI's defaults apply) when not."""
from types import SimpleNamespace

from iggan.cli.export_options import model_defaults


def _defaults(export: dict) -> dict:
    return model_defaults(SimpleNamespace(card={"export": export}, name="my model"))


def test_in_range_card_values_are_taken_ends_included_where_allowed():
    got = _defaults({"threshold": 0.4, "max_tilt_deg": 180, "min_height_ratio": 0, "max_loose_share": 1,
                     "level_base": 0.25, "distinct_distance": 0.003, "size_m": 0.9, "size_by": "height"})
    assert got == {"name": "my_model", "threshold": 0.4, "max_tilt_deg": 180.0, "min_height_ratio": 0.0,
                   "max_loose_share": 1.0, "level_base": 0.25, "distinct_distance": 0.003, "size_m": 0.9,
                   "size_by": "height"}


def test_out_of_range_or_non_numeric_card_values_are_ignored():
    got = _defaults({"threshold": 1.0, "max_tilt_deg": -1, "min_height_ratio": 11, "max_loose_share": "0.1",
                     "level_base": 0.3, "distinct_distance": 0, "size_m": -2, "size_by": "height"})
    assert got == {"name": "my_model"}  # size_by only counts with a size it measures


def test_card_fields_take_the_cards_checks_unless_an_option_is_given():
    from iggan.cli.evaluate import card_export_settings
    from iggan.cli.export_options import card_fields
    card = {"threshold": 0.4, "max_tilt_deg": 10, "min_height_ratio": 0.35, "max_loose_share": 0.05, "level_base": 0.1}
    fields = card_fields(_defaults(card), {"max_tilt": 30.0, "threshold": None})
    assert fields["max_tilt_deg"] == 30.0 and fields["threshold"] == 0.4 and fields["level_base"] == 0.1
    # `evaluate --as-exported` scores with what generate uses: the card's values
    settings = card_export_settings(SimpleNamespace(card={"export": card}, name="m"))
    assert (settings.threshold, settings.max_tilt_deg, settings.min_height_ratio, settings.max_loose_share,
            settings.level_base) == (0.4, 10.0, 0.35, 0.05, 0.1)
