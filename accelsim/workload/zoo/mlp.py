"""A small MNIST multilayer perceptron: 784 inputs, ReLU hidden layers, 10-way softmax.

Defaults follow the Keras ``mnist_mlp`` example (784-512-512-10, 669,706 parameters, 0.67 M MACs
per image). ``hidden`` and ``hidden_layers`` are settings.
"""
from __future__ import annotations

from ..graph import Workload, WorkloadBuilder
from . import ZooEntry, positive_setting


def mnist_mlp(batch: int = 1, hidden: int = 512, hidden_layers: int = 2) -> Workload:
    """MLP for 28x28 digits: ``hidden_layers`` FC+ReLU layers of ``hidden`` units, then FC 10 + softmax."""
    hidden = positive_setting("hidden", hidden)
    hidden_layers = positive_setting("hidden_layers", hidden_layers)
    b = WorkloadBuilder("mnist_mlp", batch, f"MNIST MLP 784-{'-'.join([str(hidden)] * hidden_layers)}-10",
                        "Keras examples mnist_mlp.py shapes", {"hidden": hidden, "hidden_layers": hidden_layers})
    x = b.input("image", (batch, 784))
    for i in range(hidden_layers):
        x = b.act(f"fc{i}_relu", b.fc(f"fc{i}", x, hidden))
    b.softmax("softmax", b.fc("fc_out", x, 10))
    return b.build()


WORKLOADS = {
    "mnist_mlp": ZooEntry(mnist_mlp, 1, "MNIST MLP 784-512-512-10 (0.67 M parameters)", "Keras mnist_mlp example",
                          {"hidden": 512, "hidden_layers": 2}),
}
