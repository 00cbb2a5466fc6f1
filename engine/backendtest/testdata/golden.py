"""Golden per-epoch losses from the course's NumPy Perceptron (../shared/reference/seed_perceptron.py).

An adapted copy of the reference: the same Layer, activations, loss and fit loop, instrumented to record
the initial parameters and each epoch's permutation next to the printed losses, so that the Go engine can
be run from the same initial weights in the same example order (engine/backendtest/golden.go).

Run with Debian's NumPy from this folder: /usr/bin/python3 golden.py > golden.json
"""
import json
import numpy as np


class ReLU:
    def __call__(self, z): return np.maximum(0, z)
    def derivative(self, z): return (z > 0).astype(float)


class Sigmoid:
    def __call__(self, z): return 1 / (1 + np.exp(-z))

    def derivative(self, z):
        s = self(z)
        return s * (1 - s)


ACTIVATIONS = {'relu': ReLU(), 'sigmoid': Sigmoid()}


class Layer:
    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.random.uniform(-1, 1, (n_neurons, 1))
        self.activation = activation_function

    def forward(self, inputs):
        self.inputs = np.array(inputs).reshape(-1, 1)
        self.outputs = np.dot(self.weights, self.inputs) + self.biases
        return self.activation(self.outputs)

    def backward(self, da, learning_rate):
        dz = da * self.activation.derivative(self.outputs)
        d_weights = dz @ self.inputs.T
        d_biases = dz
        da_prev = self.weights.T @ dz
        self.weights -= learning_rate * d_weights
        self.biases -= learning_rate * d_biases
        return da_prev


def fit(layers, training_data, labels, epochs, learning_rate):
    """The reference's Perceptron.fit, returning the losses and the permutations drawn."""
    losses, perms = [], []
    for epoch in range(epochs):
        loss = 0
        indices = np.random.permutation(training_data.shape[0])
        perms.append(indices.tolist())
        training_data = training_data[indices]
        labels = labels[indices]
        for i in range(training_data.shape[0]):
            inputs = training_data[i, :].reshape(-1, 1)
            target = labels[i, :].reshape(-1, 1)
            output = inputs
            for layer in layers:
                output = layer.forward(output)
            loss += -(target * np.log(output) + (1 - target) * np.log(1 - output))
            da = (output - target) / (output * (1 - output))
            for layer in layers[::-1]:
                da = layer.backward(da, learning_rate)
        losses.append(float(np.sum(loss) / training_data.shape[0]))
    return losses, perms


def case(name, data_seed, n, features, label_fn, layers, epochs, lr, seed):
    rng = np.random.RandomState(data_seed)
    x = rng.normal(0, 1, (n, features))
    y = label_fn(x).astype(float).reshape(-1, 1)
    np.random.seed(seed)
    built, n_in = [], features
    for spec in layers.split(','):
        units, act = spec.split(':')
        built.append(Layer(n_in, int(units), ACTIVATIONS[act]))
        n_in = int(units)
    init = [{'w': l.weights.ravel().tolist(), 'b': l.biases.ravel().tolist()} for l in built]
    losses, perms = fit(built, x, y, epochs, lr)
    return {'name': name, 'features': features, 'layers': layers, 'lr': lr, 'epochs': epochs, 'seed': seed,
            'x': x.ravel().tolist(), 'y': y.ravel().tolist(), 'init': init, 'perms': perms, 'losses': losses}


cases = [
    case('course', 1, 120, 2, lambda x: x[:, 0] * x[:, 1] > 0, '6:relu,6:relu,1:sigmoid', 10, 0.01, 10),
    case('wide', 2, 80, 3, lambda x: x.sum(axis=1) > 0.3, '8:relu,1:sigmoid', 6, 0.05, 3),
    case('sigmoid-hidden', 3, 60, 4, lambda x: x[:, 0] ** 2 + x[:, 1] > 1, '5:sigmoid,4:relu,1:sigmoid', 8, 0.1, 7),
]
print(json.dumps(cases, indent=None, separators=(',', ':')))
