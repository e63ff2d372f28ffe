"""conv_properties: each measure on constructed filters and maps whose answer is known."""

import math

import pytest
import torch

from callbacks.conv_properties import (
    RANDOM_REFERENCE_FILTERS,
    active_fraction,
    colour_fraction,
    dc_energy_fraction,
    effective_input_channels,
    energy_top_fraction,
    filter_properties,
    input_channel_concentration,
    map_properties,
    orientation,
    orientation_counts,
    peaks,
)


def _checkerboard(k: int) -> torch.Tensor:
    rows, cols = torch.meshgrid(torch.arange(k), torch.arange(k), indexing="ij")
    return ((rows + cols) % 2 * 2 - 1).float()


def _edge(k: int, angle_deg: float) -> torch.Tensor:
    """A ``(k, k)`` step edge through the centre at ``angle_deg`` (x right, y up): -1 on one
    side, +1 on the other."""
    rows, cols = torch.meshgrid(torch.arange(k), torch.arange(k), indexing="ij")
    x, y = cols - (k - 1) / 2, (k - 1) / 2 - rows
    theta = math.radians(angle_deg)
    across = -math.sin(theta) * x + math.cos(theta) * y  # signed distance from the edge's line
    # Positions on the line (up to cos(90 deg)'s rounding) are 0, so the edge stays symmetric.
    return torch.where(across.abs() < 1e-9, 0.0, torch.sign(across)).float()


def test_dc_energy_fraction_is_one_for_a_constant_filter_and_zero_for_a_checkerboard():
    constant = torch.full((1, 3, 3, 3), 0.7)
    even = _checkerboard(4).expand(1, 2, 4, 4)  # zero-mean: 8 of +1, 8 of -1
    odd = _checkerboard(3) - _checkerboard(3).mean()
    weight = torch.cat([constant[:, :2, :3, :3], odd.expand(1, 2, 3, 3)])
    assert dc_energy_fraction(constant).item() == pytest.approx(1.0)
    assert dc_energy_fraction(even).item() == pytest.approx(0.0, abs=1e-7)
    torch.testing.assert_close(dc_energy_fraction(weight), torch.tensor([1.0, 0.0]))


def test_dc_energy_fraction_of_random_filters_is_one_over_the_window():
    random = torch.randn(4000, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    assert dc_energy_fraction(random).mean().item() == pytest.approx(1 / 9, rel=0.05)


def test_colour_fraction_is_zero_for_grey_one_for_opponent_channels_and_needs_rgb():
    kernel = torch.randn(3, 3, generator=torch.Generator().manual_seed(1))
    grey = kernel.expand(1, 3, 3, 3)
    opponent = torch.stack([kernel, -kernel, torch.zeros(3, 3)])[None]  # red minus green
    half = torch.stack([kernel, kernel, 2 * kernel])[None]
    torch.testing.assert_close(
        colour_fraction(torch.cat([grey, opponent, half])),
        # half: deviation (-1/3, -1/3, 2/3) k against (1, 1, 2) k, energies 2/3 over 6
        torch.tensor([0.0, 1.0, (2 / 3) / 6]),
    )
    with pytest.raises(ValueError, match="3 input channels"):
        colour_fraction(torch.ones(1, 4, 3, 3))


@pytest.mark.parametrize("angle", [0.0, 45.0, 90.0, 135.0])
@pytest.mark.parametrize("k", [3, 7])
def test_an_oriented_edge_has_orientation_strength_near_one_and_its_angle(angle, k):
    strength, found = orientation(_edge(k, angle).expand(1, 3, k, k))
    assert strength.item() > 0.9
    assert found.item() == pytest.approx(angle, abs=3.0)


def test_a_vertical_edge_is_90_degrees_and_a_ramp_is_perfectly_oriented():
    vertical = torch.tensor([[-1.0, 0.0, 1.0]] * 3)  # dark left, bright right
    rows = torch.arange(5.0)[:, None].expand(5, 5)  # brighter downwards: a horizontal edge
    strength, angle = orientation(vertical[None, None])
    assert strength.item() == pytest.approx(1.0) and angle.item() == pytest.approx(90.0)
    strength, angle = orientation(rows[None, None])
    assert strength.item() == pytest.approx(1.0) and angle.item() == pytest.approx(0.0)


def test_isotropic_and_constant_filters_have_no_orientation():
    blob = torch.tensor([[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 0.0]])
    strength, _ = orientation(blob[None, None])
    assert strength.item() == pytest.approx(0.0, abs=1e-6)
    strength, angle = orientation(torch.ones(1, 2, 3, 3))
    assert math.isnan(strength.item()) and math.isnan(angle.item())
    with pytest.raises(ValueError, match="at least 2x2"):
        orientation(torch.ones(1, 2, 1, 1))


def test_input_channel_concentration_and_effective_channels_of_one_and_of_an_even_spread():
    one = torch.zeros(1, 8, 3, 3)
    one[0, 5] = torch.randn(3, 3)
    even = torch.ones(1, 8, 3, 3)
    weight = torch.cat([one, even])
    torch.testing.assert_close(input_channel_concentration(weight), torch.tensor([1.0, 1 / 8]))
    torch.testing.assert_close(effective_input_channels(weight), torch.tensor([1.0, 8.0]))


def test_a_map_zero_but_at_one_position_is_all_top_energy_with_that_peak():
    maps = torch.zeros(2, 4, 5)
    maps[0, 2, 3] = 1.5
    maps[1] = 0.5  # evenly spread: top 10% of 20 positions is 2, so 2/20 of the energy
    torch.testing.assert_close(energy_top_fraction(maps), torch.tensor([1.0, 0.1]))
    rows, cols, values = peaks(maps)
    assert (rows[0].item(), cols[0].item(), values[0].item()) == (2, 3, 1.5)
    torch.testing.assert_close(active_fraction(maps), torch.tensor([1 / 20, 1.0]))


def test_an_all_zero_map_has_no_top_energy_fraction():
    assert math.isnan(energy_top_fraction(torch.zeros(1, 3, 3)).item())


def test_orientation_counts_bin_by_the_nearest_multiple_of_45_degrees_wrapping_at_180():
    angles = torch.tensor([1.0, 170.0, 44.0, 91.0, 130.0, math.nan])
    assert orientation_counts(angles) == {"0": 2, "45": 1, "90": 1, "135": 1}


def test_filter_properties_summarise_all_filters_and_list_the_drawn_ones():
    constant = torch.ones(1, 3, 3, 3)
    edge = _edge(3, 90.0).expand(1, 3, 3, 3)
    weight = torch.cat([constant, edge, 2 * edge])
    props = filter_properties(weight, count=2)
    assert props["count"] == 3 and props["input_channels"] == 3
    assert props["dc_energy_fraction"] == pytest.approx(1 / 3)
    assert props["colour_fraction"] == pytest.approx(0.0, abs=1e-7)
    assert props["orientation_strength"] == pytest.approx(1.0)  # the constant one is undefined
    assert props["dominant_orientation_counts"] == {"0": 0, "45": 0, "90": 2, "135": 0}
    assert props["norm_max"] == pytest.approx(2 * math.sqrt(18))
    assert [d["filter"] for d in props["drawn"]] == [0, 1]
    assert props["drawn"][0]["orientation_strength"] is None  # NaN becomes JSON null
    assert props["drawn"][1]["dominant_orientation_deg"] == pytest.approx(90.0)
    reference = props["random_reference"]
    assert reference["dc_energy_fraction"] == pytest.approx(1 / 9, rel=0.1)
    assert reference["colour_fraction"] == pytest.approx(2 / 3, rel=0.05)
    assert RANDOM_REFERENCE_FILTERS >= 1000


def test_deep_filters_have_no_colour_fraction_and_name_their_strongest_input_channel():
    weight = torch.zeros(2, 16, 3, 3)
    weight[1, 7] = 1.0
    weight[0] = 0.1
    props = filter_properties(weight, count=2)
    assert "colour_fraction" not in props and "colour_fraction" not in props["drawn"][0]
    assert props["drawn"][1]["strongest_input_channel"] == 7
    assert props["drawn"][1]["input_channel_concentration"] == pytest.approx(1.0)
    assert props["drawn"][0]["effective_input_channels"] == pytest.approx(16.0)


def test_a_deep_filters_drawn_slice_has_its_own_orientation_where_the_sum_has_none():
    weight = torch.zeros(1, 4, 3, 3)
    weight[0, 0] = 2 * _edge(3, 45.0)  # the strongest slice (energy 4), the one the figure shows
    weight[0, 1:3] = math.sqrt(2) * _edge(3, 135.0)  # energy 2 + 2 at right angles: cancels it
    drawn = filter_properties(weight, count=1)["drawn"][0]
    assert drawn["orientation_strength"] == pytest.approx(0.0, abs=1e-6)
    assert drawn["strongest_input_channel"] == 0
    assert drawn["strongest_channel_orientation_strength"] > 0.9
    assert drawn["strongest_channel_orientation_deg"] == pytest.approx(45.0, abs=3.0)
    rgb = filter_properties(torch.randn(2, 3, 3, 3), count=2)["drawn"][0]
    assert "strongest_channel_orientation_deg" not in rgb  # an RGB tile shows the whole filter


def test_map_properties_of_one_image():
    maps = torch.zeros(1, 3, 4, 4)
    maps[0, 0, 1, 2] = 3.0
    maps[0, 1] = -1.0  # silent: positive nowhere
    props = map_properties(maps, count=2, image_size=(32, 32))
    assert (props["channels"], props["height"], props["width"]) == (3, 4, 4)
    assert props["input_pixels_per_position"] == 8.0
    assert props["silent_channel_fraction"] == pytest.approx(2 / 3)
    assert props["top10pct_position_fraction"] == pytest.approx(2 / 16)
    first = props["drawn"][0]
    assert (first["peak_row"], first["peak_col"], first["peak_value"]) == (1, 2, 3.0)
    assert first["energy_top10pct_fraction"] == pytest.approx(1.0)
    assert len(props["drawn"]) == 2
    with pytest.raises(ValueError, match=r"\(1, C, h, w\)"):
        map_properties(maps[0], count=2, image_size=(32, 32))
