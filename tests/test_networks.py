"""The network zoo, the parameter limit and the .h5 files the trainer writes."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import keras as keras3
import numpy as np
import pytest

from golois.network.allowlist import layer_configs
from golois.network.framework import keras
from golois.network.h5file import NetworkFileError, load_network, read_model_config, save_network
from golois.network.limits import PARAMETER_LIMIT, OverParameterLimit, check_parameter_limit, count_parameters
from golois.training.networks import ARCHITECTURES, DEFAULTS, build_network, network_spec
from golois.training.networks.sizes import trainable_parameters

L = keras.layers
SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def boards(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, (n, 19, 19, 31)).astype(np.float32)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_each_family_default_fits_the_limit_and_has_golois_heads(arch: str) -> None:
    model = build_network(DEFAULTS[arch])
    assert PARAMETER_LIMIT * 0.7 < count_parameters(model) <= PARAMETER_LIMIT
    assert model.input_shape == (None, 19, 19, 31) and model.inputs[0].name.startswith("board")
    assert model.output_names == ["policy", "value"]
    policy, value = model(boards(3), training=False)
    assert policy.shape == (3, 361) and value.shape == (3, 1)
    np.testing.assert_allclose(np.sum(policy, axis=1), 1.0, rtol=1e-5)
    assert np.all((np.asarray(value) > 0) & (np.asarray(value) < 1))


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("sizes", [{}, {"blocks": 2, "filters": 24, "expansion": 3, "groups": 2},
                                   {"blocks": 1, "filters": 40, "expansion": 2, "value_head": "dense"}])
def test_counts_without_building_equal_the_built_models(arch: str, sizes: dict) -> None:
    spec = network_spec(arch, **sizes)
    assert trainable_parameters(spec) == count_parameters(build_network(spec)), spec.describe()


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_sizes_change_the_network(arch: str) -> None:
    small = build_network(network_spec(arch, blocks=1, filters=16, activation="swish"))
    assert count_parameters(small) < count_parameters(build_network(DEFAULTS[arch]))
    assert any(getattr(layer, "activation", None) is keras.activations.swish for layer in small.layers)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_value_head_is_the_conv_head_by_default_and_the_dense_head_still_builds(arch: str) -> None:
    assert DEFAULTS[arch].value_head == "conv"
    names = {layer.name for layer in build_network(DEFAULTS[arch]).layers}
    assert {"value_conv", "value_bn", "value_pooled_bn", "value_hidden", "value_to_move", "black_to_play", "value",
            "policy"} <= names
    legacy = build_network(network_spec(arch, value_head="dense"))
    assert legacy.output_names == ["policy", "value"] and "value_conv" not in {layer.name for layer in legacy.layers}
    with pytest.raises(ValueError, match="value head"):
        network_spec(arch, value_head="mlp")


def real_boards(n: int) -> np.ndarray:
    from golois import SAMPLE_GAMES, Dataset
    from golois.training.pipeline import validation_arrays

    dataset = Dataset(SAMPLE_GAMES, seed=0, progress=False)
    dataset.use_validation(n)
    return validation_arrays(dataset, n)[0]


def hidden_unit_gating(model: keras.Model, x: np.ndarray) -> tuple[int, int]:
    """Hidden value units (the layer before `value`) off for every position, and on for some but not all,
    in a training-mode forward pass over `x`."""
    names = {layer.name for layer in model.layers}
    hidden = (model.get_layer("value_hidden") if "value_hidden" in names
              else model.get_layer("value").inbound_nodes[0].inbound_layers)
    inputs = np.asarray(keras.Model(model.input, hidden.input)(x, training=True))
    weights, bias = hidden.get_weights()
    on = (inputs @ weights + bias > 0).mean(axis=0)
    return int(np.sum(on == 0)), int(np.sum((on > 0) & (on < 1)))


def test_the_dense_head_starts_with_units_dead_on_every_position_and_the_conv_head_does_not() -> None:
    """The root cause of the first network's constant value: after a trunk that ends with a ReLU, the
    board averages are positive and nearly the same for every position, so many hidden units of the
    dense head are off for every real position from the start (and get no gradient); the conv head
    normalises the pooled features over the batch, so every unit is on for some positions only."""
    x = real_boards(128)
    for arch in ("residual", "shufflenet"):  # the families whose trunk ends with a ReLU
        keras.utils.set_random_seed(1)
        dead, _ = hidden_unit_gating(build_network(network_spec(arch, value_head="dense")), x)
        assert dead >= 4, f"{arch}: {dead} dead units"
    for arch in ARCHITECTURES:
        keras.utils.set_random_seed(1)
        dead, mixed = hidden_unit_gating(build_network(DEFAULTS[arch]), x)
        assert dead == 0 and mixed >= 28, f"{arch}: {dead} dead, {mixed} of 32 gating per position"


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_conv_value_head_judges_for_the_player_to_move_then_turns_it_into_white_wins(arch: str) -> None:
    """The trunk sees the board from the player to move (planes 11..20), the target is P(White wins): the
    head computes the logit s that the player to move wins and starts with P(White) = sigmoid(+-s)."""
    model = build_network(network_spec(arch, blocks=1, filters=16))
    x = boards(8, seed=3)
    x[:4, :, :, 0], x[4:, :, :, 0] = 1.0, 0.0  # Black, then White to play
    black = np.asarray(keras.Model(model.input, model.get_layer("black_to_play").output)(x)).reshape(-1)
    np.testing.assert_array_equal(black, [1, 1, 1, 1, 0, 0, 0, 0])
    to_move = np.asarray(keras.Model(model.input, model.get_layer("value_to_move").output)(x, training=False))
    mover_wins = 1 / (1 + np.exp(-to_move.reshape(-1)))
    value = np.asarray(model(x, training=False)[1]).reshape(-1)
    np.testing.assert_allclose(value, np.where(black == 1, 1 - mover_wins, mover_wins), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_ownership_head_trains_with_the_network_and_is_not_saved(arch: str, tmp_path: Path) -> None:
    from golois.training.networks.heads import with_ownership

    model = build_network(network_spec(arch, blocks=2, filters=16))
    training = with_ownership(model)
    assert training.output_names == ["policy", "value", "ownership"]
    _, _, ownership = training(boards(2), training=False)
    assert ownership.shape == (2, 19, 19, 3)
    np.testing.assert_allclose(np.sum(ownership, axis=-1), 1.0, rtol=1e-5)
    shared = {id(weight) for weight in training.trainable_weights}
    assert all(id(weight) in shared for weight in model.trainable_weights), "one set of weights, shared"
    assert count_parameters(training) == count_parameters(model) + 16 * 3 + 3
    path = tmp_path / "net.h5"
    save_network(model, path)
    loaded = load_network(path)
    assert loaded.output_names == ["policy", "value"] and count_parameters(loaded) == count_parameters(model)
    assert "ownership" not in {layer.name for layer in loaded.layers}


def test_the_limit_counts_trainable_parameters_not_batchnorm_statistics() -> None:
    model = build_network(network_spec("residual", blocks=1, filters=8))
    statistics = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert statistics > 0
    assert count_parameters(model) == model.count_params() - statistics


def test_over_the_limit_says_by_how_much() -> None:
    model = build_network(network_spec("residual", blocks=9, filters=40))
    excess = count_parameters(model) - PARAMETER_LIMIT
    with pytest.raises(OverParameterLimit, match=f"{excess:,} over the limit of 100,000"):
        check_parameter_limit(model)


def test_bad_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown architecture"):
        network_spec("transformer")
    with pytest.raises(ValueError, match="activation"):
        network_spec("residual", activation="tanh")
    with pytest.raises(ValueError, match="multiples of groups"):
        build_network(network_spec("shufflenet", filters=30, groups=4))


def test_shufflenet_shuffle_interleaves_groups() -> None:
    from golois.training.networks.layers import channel_shuffle

    x = keras.Input((19, 19, 6))
    shuffle = keras.Model(x, channel_shuffle(x, 2))
    channels = np.broadcast_to(np.arange(6, dtype=np.float32), (1, 19, 19, 6))
    np.testing.assert_array_equal(np.asarray(shuffle(channels))[0, 0, 0], [0, 3, 1, 4, 2, 5])


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_saved_networks_load_in_tf_keras_and_keras3_with_the_same_outputs(arch: str, tmp_path: Path) -> None:
    model = build_network(network_spec(arch, blocks=2, filters=16))
    path = tmp_path / f"{arch}.h5"
    save_network(model, path)
    x = boards(4, seed=1)
    expected = [np.asarray(out) for out in model(x, training=False)]
    for loaded in (load_network(path), keras3.models.load_model(path, compile=False)):
        for got, want in zip(loaded(x, training=False), expected, strict=True):
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-5)
    assert not list(tmp_path.glob(".*tmp*")), "the temporary file must not be left behind"


def save_raw(model: keras.Model, path: Path) -> Path:
    model.save(path, save_format="h5")
    return path


def golois_like(board: object, trunk: object, policy_size: int = 361) -> keras.Model:
    policy = L.Dense(policy_size, activation="softmax", name="policy")(L.Flatten()(trunk))
    value = L.Dense(1, activation="sigmoid", name="value")(L.GlobalAveragePooling2D()(trunk))
    return keras.Model(board, [policy, value])


def test_a_lambda_layer_is_refused_without_running_its_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    marker_name = str(marker)  # a closure over a string: Keras serialises it with the bytecode

    def touch_marker(x):  # the code an attacker would hide in the file
        open(marker_name, "w").close()  # noqa: SIM115
        return x

    board = keras.Input((19, 19, 31))
    path = save_raw(golois_like(board, L.Lambda(touch_marker)(L.Conv2D(2, 1)(board))), tmp_path / "lambda.h5")
    marker.unlink()
    with pytest.raises(NetworkFileError, match="Lambda layers"):
        load_network(path)
    assert not marker.exists()


def test_wrong_shapes_and_non_networks_are_refused(tmp_path: Path) -> None:
    board = keras.Input((19, 19, 21))
    with pytest.raises(NetworkFileError, match="31 planes"):
        load_network(save_raw(golois_like(board, L.Conv2D(2, 1)(board)), tmp_path / "planes.h5"))
    board = keras.Input((19, 19, 31))
    with pytest.raises(NetworkFileError, match=r"outputs of sizes \[64, 1\]"):
        load_network(save_raw(golois_like(board, L.Conv2D(2, 1)(board), 64), tmp_path / "policy.h5"))
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(NetworkFileError, match="not an HDF5 file"):
        load_network(text)
    with h5py.File(tmp_path / "empty.h5", "w") as h5:
        h5.attrs["model_config"] = "{not json"
    with pytest.raises(NetworkFileError, match="not valid JSON"):
        load_network(tmp_path / "empty.h5")
    with pytest.raises(NetworkFileError, match="not found"):
        load_network(tmp_path / "missing.h5")


def model_config(path: Path) -> dict:
    with h5py.File(path) as h5:
        return read_model_config(h5, path)


def test_saved_files_drop_the_keras2_only_depthwise_argument(tmp_path: Path) -> None:
    path = tmp_path / "mobile.h5"
    save_network(build_network(network_spec("mobilenet", blocks=1, filters=8)), path)
    depthwise = [layer for layer in layer_configs(model_config(path)) if layer["class_name"] == "DepthwiseConv2D"]
    assert depthwise and all("groups" not in layer["config"] for layer in depthwise)


def rewrite_config(path: Path, change) -> Path:
    with h5py.File(path, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        change(config)
        h5.attrs["model_config"] = json.dumps(config)
    return path


def concat_network(path: Path) -> Path:
    """A network with a TFOpLambda layer (tf.concat), as course files have."""
    from golois.network.framework import tf

    board = keras.Input((19, 19, 31))
    trunk = tf.concat([L.Conv2D(2, 1)(board), L.Conv2D(2, 1)(board)], axis=-1)
    return save_raw(golois_like(board, trunk), path)


def test_tfoplambda_with_array_ops_is_accepted(tmp_path: Path) -> None:
    model = load_network(concat_network(tmp_path / "concat.h5"))
    assert any(type(layer).__name__ == "TFOpLambda" for layer in model.layers)


def test_tfoplambda_naming_a_file_system_function_is_refused_before_it_runs(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()

    def call_rmtree(config: dict) -> None:
        for layer in layer_configs(config):
            if layer["class_name"] == "TFOpLambda":
                layer["config"]["function"] = "io.gfile.rmtree"
                layer["inbound_nodes"] = [["_CONSTANT_VALUE", -1, str(victim), {}]]

    path = rewrite_config(concat_network(tmp_path / "evil.h5"), call_rmtree)
    with pytest.raises(NetworkFileError, match="io.gfile.rmtree are not allowed"):
        load_network(path)
    assert victim.is_dir()


def test_nested_lambdas_and_unknown_classes_are_refused(tmp_path: Path) -> None:
    inner_board = keras.Input((19, 19, 31))
    inner = keras.Model(inner_board, L.Lambda(lambda x: x * 2)(L.Conv2D(2, 1)(inner_board)))
    board = keras.Input((19, 19, 31))
    path = save_raw(golois_like(board, inner(board)), tmp_path / "nested.h5")
    with pytest.raises(NetworkFileError, match="Lambda layers"):
        load_network(path)

    def rename_conv(config: dict) -> None:
        next(layer for layer in layer_configs(config) if layer["class_name"] == "Conv2D")["class_name"] = "Evil"

    board = keras.Input((19, 19, 31))
    path = rewrite_config(save_raw(golois_like(board, L.Conv2D(2, 1)(board)), tmp_path / "custom.h5"), rename_conv)
    with pytest.raises(NetworkFileError, match="unknown classes Evil"):
        load_network(path)


SHARED_EXPECTATIONS = {
    "cocorigo-shufflenet.h5": None,
    "cocorigo-resnet.h5": None,
    "gonet-test-small.h5": None,
    "gonet-mixnet-tfoplambda.h5": None,
    "gonet-convnext-legacy-depthwise.h5": None,
    "cocorigo-unet-bad-policy-shape.h5": "outputs of sizes",
    "iasd-21-planes-wrong-input.h5": "31 planes",
}


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="../shared/models is not present")
@pytest.mark.parametrize("name", sorted(SHARED_EXPECTATIONS))
def test_real_course_networks_load_or_are_refused(name: str) -> None:
    refusal = SHARED_EXPECTATIONS[name]
    if refusal:
        with pytest.raises(NetworkFileError, match=refusal):
            load_network(SHARED_MODELS / name)
        return
    model = load_network(SHARED_MODELS / name)
    check_parameter_limit(model, name)
    policy, _ = model(boards(2), training=False)
    assert policy.shape == (2, 361)


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="../shared/models is not present")
def test_real_over_limit_network_is_refused_by_the_limit() -> None:
    model = load_network(SHARED_MODELS / "cocorigo-mobilenet-110k-over-limit.h5")
    with pytest.raises(OverParameterLimit, match="108,981 trainable parameters, 8,981 over"):
        check_parameter_limit(model)
