"""Seed 002: NumPy MLP functions (Q1), NumPy conv and pooling layers (Q2), ResNet-18 on CIFAR-10 (Q3)."""

from __future__ import annotations

from seed_answers.cifar_answers import CIFAR_QUESTIONS
from seed_answers.question import Question
from seed_answers.wording import layer_check

Q1 = [
    (
        "Q1.1",
        "initialize_weights: weights from U[-1/sqrt(h0), 1/sqrt(h0)], zero biases.",
        "dict_mlp:init@initialize_weights",
        "Every weight matrix is drawn from U(-1/√h₀, 1/√h₀) with h₀ = 784 and every bias is 0 (the check counts values outside the bound).",
    ),
    (
        "Q1.2",
        "The activations relu, tanh, sigmoid, softmax and the selector activation(x, name, grad).",
        "dict_mlp:activation@activation",
        "`activation(x, name, grad)` picks relu, tanh, sigmoid or softmax by name; with grad=True it returns the derivative with respect to the input (element-wise for the first three).",
    ),
    (
        "Q1.3",
        "The forward pass returning a cache of pre-activations (Zs) and activations (As).",
        "dict_mlp:forward@forward",
        "The forward pass stores Z_l = A_{l-1} W_l + b_l and A_l = act(Z_l) for every layer, softmax at the output, in the cache the backward pass reads.",
    ),
    (
        "Q1.4",
        "The cross-entropy loss.",
        "dict_mlp:loss@loss",
        "The loss is the batch mean of -log p_y, with the probabilities clipped away from 0 so that log never sees 0.",
    ),
    (
        "Q1.5",
        "The backward pass returning gradients of the activations and the parameters.",
        "dict_mlp:grad@backward",
        "With softmax and cross-entropy, the output gradient is (p - onehot(y)) / B; each layer then gives dW = A_{l-1}ᵀ dZ, db = Σ dZ, dA_{l-1} = dZ Wᵀ and dZ_{l-1} = dA_{l-1} ⊙ act'(Z_{l-1}).",
    ),
    (
        "Q1.6",
        "The update function.",
        "dict_mlp:update@update",
        "`update` takes one gradient-descent step in place, θ ← θ - lr · ∂L/∂θ, for every weight and bias.",
    ),
]
Q2 = [
    (
        "Q2.1",
        "Convolution layer (3x3, stride 1, 64 filters on 1x32x32): initialize_weights and forward.",
        "conv2d:init,forward@Conv2d",
        "`init_weights` draws W: (64, 1, 3, 3) from U(±√(6/(fan_in + fan_out))) with fan_in = 1·3·3 and fan_out = 64·3·3 (Glorot uniform, torch's convention for conv weights) and zeroes the biases. The forward pass unfolds every 3×3 patch of the input (im2col by stride tricks) and multiplies by the (64, 9) filter matrix: one matrix product for the batch.",
    ),
    (
        "Q2.2",
        "Convolution layer: backward (gradients of the parameters).",
        "conv2d:grad@Conv2d.backward",
        "The backward pass gives dW as the patches' transpose times the output gradient, db as the output gradient summed over batch and positions, and the input gradient by folding the patch gradients back (col2im).",
    ),
    (
        "Q2.3",
        "Max-pooling layer (2x2): forward.",
        "maxpool2d:forward@MaxPool2d.forward",
        "The forward pass takes the maximum of each 2×2 window and remembers where it was.",
    ),
    (
        "Q2.4",
        "Max-pooling layer: backward (gradient with respect to the input).",
        "maxpool2d:grad@MaxPool2d.backward",
        "The backward pass routes each output gradient to the position of its window's maximum; every other input position gets 0.",
    ),
]

QUESTIONS = [
    *(
        Question(f"002-{qid}", text, ["demo"], layer_check(piece, why))
        for qid, text, piece, why in Q1
    ),
    *(
        Question(f"002-{qid}", text, ["demo"], layer_check(piece, why))
        for qid, text, piece, why in Q2
    ),
    *CIFAR_QUESTIONS,
]
