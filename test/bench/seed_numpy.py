"""The seed network, re-implemented in numpy as the benchmark's reference: what `digits` replaced.

Faithful to the original notebook ("Simple MNIST NN from scratch"): pandas reads the CSV, the rows are shuffled,
the first 1000 are held out, pixels are divided by 255, weights and biases start uniform in [-0.5, 0.5]
(np.random.rand(..) - 0.5), ReLU, softmax, full-batch gradient descent with alpha 0.1, and the training accuracy
is printed every 10 iterations. Its quirks are kept on purpose, because they are part of its cost: the softmax
sums with Python's builtin sum and can overflow, the bias gradients are summed over all units, and the gradients
are divided by the row count of the whole file (a global m), not of the training part.

Not the original in two harmless ways, both needed to measure it: the random generator can be seeded (--seed),
and the program prints a machine-readable line per report on stderr (`BENCH {...}` JSON: iterations done and
seconds since training began), plus a final one with the load time. Its human output on stdout is the
seed's.

Usage: python3 seed_numpy.py train.csv [--iterations 500] [--seed 0]
"""

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd


def bench(event, **fields):
    print("BENCH " + json.dumps({"event": event, **fields}), file=sys.stderr, flush=True)


def blas_libraries():
    """The BLAS shared libraries this process has loaded (Linux), to say what numpy ran on."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return sorted(paths)
    except OSError:
        return []


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("file")
parser.add_argument("--iterations", type=int, default=500)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(args.seed)

load_started = time.perf_counter()
data = pd.read_csv(args.file)
data = np.array(data)
m, n = data.shape
np.random.shuffle(data)

data_dev = data[0:1000].T
Y_dev = data_dev[0]
X_dev = data_dev[1:n]
X_dev = X_dev / 255.

data_train = data[1000:m].T
Y_train = data_train[0]
X_train = data_train[1:n]
X_train = X_train / 255.
_, m_train = X_train.shape
bench("loaded", seconds=time.perf_counter() - load_started, rows=m, train_rows=m_train,
      numpy=np.__version__, pandas=pd.__version__, blas=blas_libraries())


def init_params():
    W1 = np.random.rand(10, 784) - 0.5
    b1 = np.random.rand(10, 1) - 0.5
    W2 = np.random.rand(10, 10) - 0.5
    b2 = np.random.rand(10, 1) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    A = np.exp(Z) / sum(np.exp(Z))
    return A


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def ReLU_deriv(Z):
    return Z > 0


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    one_hot_Y = one_hot_Y.T
    return one_hot_Y


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y):
    one_hot_Y = one_hot(Y)
    dZ2 = A2 - one_hot_Y
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2)
    dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1)
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def get_predictions(A2):
    return np.argmax(A2, 0)


def get_accuracy(predictions, Y):
    print(predictions, Y)
    return np.sum(predictions == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations):
    started = time.perf_counter()
    W1, b1, W2, b2 = init_params()
    for i in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
        if i % 10 == 0:
            print("Iteration: ", i)
            predictions = get_predictions(A2)
            accuracy = get_accuracy(predictions, Y)
            print(accuracy)
            bench("iteration", iterations=i + 1, seconds=time.perf_counter() - started, accuracy=float(accuracy))
    bench("done", iterations=iterations, seconds=time.perf_counter() - started)
    return W1, b1, W2, b2


W1, b1, W2, b2 = gradient_descent(X_train, Y_train, 0.10, args.iterations)
_, _, _, A2_dev = forward_prop(W1, b1, W2, b2, X_dev)
bench("held-out", accuracy=float(np.sum(get_predictions(A2_dev) == Y_dev) / Y_dev.size))
