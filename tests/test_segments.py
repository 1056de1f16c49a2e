"""Audience segments compile to the masks their definitions say."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import scenario_dict, strategy

from adsim import Scenario
from adsim.params import SegmentNode, to_params
from adsim.population import build_population
from adsim.rng import Streams
from adsim.segments import audience_masks, compile_segment, overlap_matrix, platform_round


@pytest.fixture(scope="module")
def world():
    p = to_params(Scenario.model_validate(scenario_dict()))
    return p, build_population(p, Streams(3))


def seg(world, audience: dict) -> np.ndarray:
    p, pop = world
    data = scenario_dict(strategies=[strategy("s", audience)])
    q = to_params(Scenario.model_validate(data))
    return compile_segment(q.strategies[0].audience, p, pop)


def test_simple_predicates(world):
    _p, pop = world
    np.testing.assert_array_equal(
        seg(world, {"age": {"min": 20, "max": 30}}), (pop.age >= 20) & (pop.age <= 30)
    )
    np.testing.assert_array_equal(seg(world, {"gender": ["male"]}), pop.gender == 1)
    np.testing.assert_array_equal(seg(world, {"device": ["ios", "other"]}), pop.device != 1)
    np.testing.assert_array_equal(seg(world, {"country": ["BB"]}), pop.region == 1)
    np.testing.assert_array_equal(seg(world, {"region": ["North"]}), pop.region == 0)
    np.testing.assert_array_equal(seg(world, {"language": ["yy"]}), pop.language == 1)
    np.testing.assert_array_equal(seg(world, {"installed": True}), pop.has_app)
    assert seg(world, {"everyone": True}).all()


def test_boolean_algebra(world):
    a = seg(world, {"gender": ["male"]})
    b = seg(world, {"region": ["South"]})
    both = seg(world, {"all": [{"gender": ["male"]}, {"region": ["South"]}]})
    either = seg(world, {"any": [{"gender": ["male"]}, {"region": ["South"]}]})
    neither = seg(world, {"not": {"any": [{"gender": ["male"]}, {"region": ["South"]}]}})
    np.testing.assert_array_equal(both, a & b)
    np.testing.assert_array_equal(either, a | b)
    np.testing.assert_array_equal(neither, ~(a | b))


def test_interests_any_and_all(world):
    _, pop = world
    cars = (pop.interests[:, 0] & np.uint64(1)) != 0
    music = (pop.interests[:, 0] & np.uint64(2)) != 0
    np.testing.assert_array_equal(
        seg(world, {"interests": {"any": ["cars", "music"]}}), cars | music
    )
    np.testing.assert_array_equal(
        seg(world, {"interests": {"all": ["cars", "music"]}}), cars & music
    )


def test_radius_matches_haversine(world):
    _, pop = world
    mask = seg(world, {"radius": {"lat": 50.0, "lon": 5.0, "km": 8}})
    lat, lon = np.radians(pop.lat.astype(float)), np.radians(pop.lon.astype(float))
    p0, l0 = np.radians(50.0), np.radians(5.0)
    h = np.sin((lat - p0) / 2) ** 2 + np.cos(p0) * np.cos(lat) * np.sin((lon - l0) / 2) ** 2
    dist = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
    np.testing.assert_array_equal(mask, dist <= 8)
    assert 0 < mask.sum() < (pop.region == 0).sum()


def test_followers_and_lookalike(world):
    _p, pop = world
    followers = seg(world, {"followers_of": ["@AUTOS"]})  # handles are case-insensitive
    assert followers.sum() == pop.followers_of(0).size
    look = seg(world, {"lookalike": {"of": ["@autos"], "share": 0.05}})
    assert look.sum() == round(0.05 * pop.n)
    assert not (look & followers).any()  # look-alikes exclude the seed
    cars = (pop.interests[:, 0] & np.uint64(1)) != 0
    assert cars[look].mean() > cars[followers].mean() * 0.8 > cars.mean()


def test_custom_audience_ids(world):
    mask = seg(world, {"custom_audience": {"agent_ids": [0, 5, 5, 42]}})
    assert mask.sum() == 3 and mask[[0, 5, 42]].all()


def test_platform_round_and_overlap():
    assert platform_round(0) == 0
    assert platform_round(1234) == 1200
    assert platform_round(6_912_345) == 6_900_000
    assert platform_round(95) == 95
    assert platform_round(0.4) == 1  # part of a person (scale < 1) is not an empty audience
    masks = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=np.uint8)
    overlap = overlap_matrix(masks)
    assert overlap[0, 1] == 0.5 and overlap[1, 0] == 1.0 and overlap[2, 0] == 0.0


def test_unknown_predicate_is_an_error(world):
    p, pop = world
    with pytest.raises(ValueError, match="unknown segment predicate"):
        compile_segment(SegmentNode("telepathy"), p, pop)


def test_audience_masks_shape(world):
    p, pop = world
    masks = audience_masks(p, pop)
    assert masks.shape == (len(p.strategies), pop.n) and masks.dtype == np.uint8
