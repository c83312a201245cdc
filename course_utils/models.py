"""Models taught in the notebooks, kept here so that later notebooks can reuse them."""

from __future__ import annotations

import copy

import torch
from torch import nn

from . import config
from ._validate import arguments, as_float_tensor, positive_int, sequences
from .vae import reparameterize


def _channels_last_on_cpu(model: nn.Module) -> None:
    """Store ``model``'s convolution weights channels-last when the course's device
    (:func:`course_utils.config.get_device`, the CPU unless ``$COURSE_DEVICE`` says otherwise) is
    the CPU: the CPU's convolution library (oneDNN) prefers that memory order, and the course's
    convolutional autoencoders then train about a quarter faster and predict about a third faster.
    Done once, when the model is built (a checkpoint loaded into it keeps the order), and only to
    the course's own models: a model of your own is left as you wrote it. Their intermediate
    activations are channels-last too: flatten them with ``.flatten`` or ``.reshape``, not
    ``.view``; what :meth:`ConvAutoencoder.features` and ``train.predict`` return is in the default
    order."""
    try:
        on_cpu = config.get_device().type == "cpu"
    except ValueError:        # an unusable $COURSE_DEVICE: the error belongs where the device is used
        on_cpu = False
    if on_cpu:
        nn.utils.convert_conv2d_weight_memory_format(model, torch.channels_last)


def _flat(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """``(N, 1, 28, 28)`` images or ``(N, d)`` vectors -> ``(N, d)``."""
    x = as_float_tensor(x, name, ndim=(2, 4))
    return x.reshape(len(x), -1)


class PCA:
    """Principal component analysis of the centred data (by its scatter matrix). Introduced in notebook 01.

    ``fit(x)`` takes ``(N, d)`` vectors or ``(N, 1, 28, 28)`` images. After fitting:
    ``mean`` ``(d,)``, ``components`` ``(d, r)`` (orthonormal columns, largest variance first),
    ``singular_values`` ``(r,)``.
    """

    def __init__(self) -> None:
        self.mean: torch.Tensor | None = None
        self.components: torch.Tensor | None = None
        self.singular_values: torch.Tensor | None = None

    def __repr__(self) -> str:
        if self.components is None:
            return "PCA(not fitted)"
        d, r = self.components.shape
        return f"PCA(dim={d}, components={r})"

    @arguments
    def fit(self, x: torch.Tensor) -> PCA:
        x = _flat(x)
        if len(x) < 2:
            raise ValueError(f"PCA needs at least 2 samples, got {len(x)}")
        # The right singular vectors of the centred data are the eigenvectors of its scatter matrix
        # (x - mean)^T (x - mean), summed here in float64 a few thousand rows at a time: the same
        # directions as the SVD, with a (d, d) matrix in memory instead of (N, d) copies of the data
        # (measured on 50 000 images: 1 s instead of 3-7 s, and no 300 MB transient).
        # One (2048, d) float64 buffer, 13 MB, filled again for every chunk: a new one per chunk
        # left the kernel 20-50 MB larger (freed blocks that stay in the heap).
        buffer = torch.empty(min(len(x), 2048), x.shape[1], dtype=torch.float64)
        mean = torch.zeros(x.shape[1], dtype=torch.float64)
        for rows in x.split(2048):
            mean += buffer[:len(rows)].copy_(rows).sum(dim=0)
        mean /= len(x)
        scatter = torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64)
        for rows in x.split(2048):
            centred = buffer[:len(rows)].copy_(rows).sub_(mean)
            scatter += centred.T @ centred
        eigenvalues, eigenvectors = torch.linalg.eigh(scatter)            # ascending
        r = min(x.shape)
        vectors = eigenvectors.flip(1)[:, :r]                            # largest variance first
        signs = torch.sign(vectors[vectors.abs().argmax(dim=0), torch.arange(r)])  # deterministic signs
        self.mean = mean.to(x.dtype)
        self.components = (vectors * signs).to(x.dtype).contiguous()
        self.singular_values = eigenvalues.flip(0)[:r].clamp_min(0).sqrt().to(x.dtype)
        return self

    def _check_k(self, k: int) -> int:
        if self.components is None:
            raise RuntimeError("call fit(x) before using the PCA")
        return positive_int(k, "k", maximum=self.components.shape[1])

    @arguments
    def encode(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Codes ``z`` ``(N, k)``: coordinates along the top ``k`` principal directions."""
        k = self._check_k(k)
        x = _flat(x)
        if x.shape[1] != self.mean.shape[0]:
            raise ValueError(f"x has {x.shape[1]} features per sample, the PCA was fitted on "
                             f"{self.mean.shape[0]}")
        return (x - self.mean) @ self.components[:, :k]

    @arguments
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Vectors ``(N, d)`` from codes ``z`` ``(N, k)``."""
        z = as_float_tensor(z, "z", ndim=2)
        k = self._check_k(z.shape[1])
        return (z @ self.components[:, :k].T).add_(self.mean)   # the same sum, no second (N, d) tensor

    @arguments
    def reconstruct(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Project ``x`` onto the top-``k`` subspace; returns the shape ``x`` came in."""
        return self.decode(self.encode(x, k)).reshape(x.shape)


class LinearAutoencoder(nn.Module):
    """Linear encoder ``(N, d) -> (N, latent_dim)`` and linear decoder back; no activations.

    Introduced in notebook 01.
    """

    def __init__(self, input_dim: int = 784, latent_dim: int = 32) -> None:
        super().__init__()
        self.input_dim = positive_int(input_dim, "input_dim")
        self.latent_dim = positive_int(latent_dim, "latent_dim", maximum=input_dim)
        self.encoder = nn.Linear(input_dim, latent_dim)
        self.decoder = nn.Linear(latent_dim, input_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = as_float_tensor(x, "x")
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"LinearAutoencoder expects flat vectors (N, {self.input_dim}), got "
                             f"shape {tuple(x.shape)}; flatten images with x.reshape(len(x), -1)")
        return self.decoder(self.encoder(x))


def _check_images(x: torch.Tensor, model: nn.Module) -> None:
    as_float_tensor(x, "x")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"{type(model).__name__} expects images (N, 1, 28, 28), got shape "
                         f"{tuple(x.shape)}; reshape flat vectors with x.reshape(-1, 1, 28, 28)")


class MLPAutoencoder(nn.Module):
    """Stacked fully connected autoencoder on ``(N, 1, 28, 28)`` images; code ``z`` is ``(N, latent_dim)``.

    Encoder 784 -> hidden... -> latent_dim with ReLU between layers; the decoder mirrors it and
    ends in a sigmoid, so ``x_hat`` is in (0, 1). Introduced in notebook 02.
    """

    def __init__(self, latent_dim: int = 32, hidden: tuple[int, ...] = (256, 64)) -> None:
        super().__init__()
        self.latent_dim = positive_int(latent_dim, "latent_dim", maximum=784)
        sizes = [784, *(positive_int(h, "hidden size") for h in hidden), latent_dim]
        encoder: list[nn.Module] = [nn.Flatten()]                       # (N, 1, 28, 28) => (N, 784)
        decoder: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            encoder += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
        rev = sizes[::-1]
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            decoder += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(rev) - 2 else [])
        decoder += [nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))]        # (N, 784) => (N, 1, 28, 28)
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.decoder(self.encoder(x))


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder on ``(N, 1, 28, 28)`` images; code ``z`` is ``(N, latent_dim)``.

    Two stride-2 convolutions (28 -> 14 -> 7) and a linear bottleneck; the decoder mirrors them
    with transposed convolutions and ends in a sigmoid. Introduced in notebook 03.
    """

    def __init__(self, latent_dim: int = 32, channels: tuple[int, int] = (16, 32)) -> None:
        super().__init__()
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        if len(channels) != 2:
            raise ValueError(f"channels must be two numbers (c1, c2), got {channels!r}")
        c1, c2 = (positive_int(c, "channels") for c in channels)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),        # 1x28x28 => c1x14x14
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),       # c1x14x14 => c2x7x7
            nn.Flatten(), nn.Linear(c2 * 7 * 7, latent_dim),            # c2*49 => latent_dim
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c2 * 7 * 7), nn.ReLU(),               # latent_dim => c2*49
            nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # => c1x14x14
            nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1),              # => 1x28x28
            nn.Sigmoid(),
        )
        _channels_last_on_cpu(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last convolution's feature maps ``(N, c2, 7, 7)``, before the bottleneck."""
        _check_images(x, self)
        return self.encoder[:4](x).contiguous()          # the default order, whatever the weights'


    def code_from_features(self, h: torch.Tensor) -> torch.Tensor:
        """The code ``z`` ``(N, latent_dim)`` from :meth:`features`' output."""
        h = as_float_tensor(h, "h", ndim=4)
        want = (self.encoder[2].out_channels, 7, 7)
        if tuple(h.shape[1:]) != want:
            raise ValueError(f"h must be the feature maps from .features(x), shape (N, {want[0]}, 7, 7), "
                             f"got {tuple(h.shape)}")
        return self.encoder[4:](h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.decoder(self.encoder(x))


def _check_codes(z: torch.Tensor, latent_dim: int) -> torch.Tensor:
    z = as_float_tensor(z, "z", ndim=2)
    if z.shape[1] != latent_dim:
        raise ValueError(f"z must have shape (N, {latent_dim}), one code of {latent_dim} numbers per "
                         f"sample, got {tuple(z.shape)}")
    return z


@arguments
def assert_same_function(model: nn.Module, reference: nn.Module, x: torch.Tensor) -> None:
    """Assert that ``model`` computes what ``reference`` computes: the same parameters (names and
    shapes) and, with the reference's weights copied in, the same outputs on ``x`` (evaluation
    mode). A notebook uses it to show that the model it wrote is the library's; a dropped
    activation or a changed layer fails. Introduced in notebook 02.
    """
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    want = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    if shapes != want:
        diff = sorted(set(shapes.items()) ^ set(want.items()))[:4]
        raise AssertionError(f"{type(model).__name__} and {type(reference).__name__} have different "
                             f"parameters: {diff}")
    twin = copy.deepcopy(model)  # the notebook's own weights stay untouched
    twin.load_state_dict(reference.state_dict())
    twin.eval()
    reference.eval()
    with torch.no_grad():
        out, ref = twin(x), reference(x)
    out, ref = (o[0] if isinstance(o, tuple) else o for o in (out, ref))
    if out.shape != ref.shape or not torch.allclose(out, ref, atol=1e-5):
        raise AssertionError(f"with the same weights, {type(model).__name__} computes something else "
                             f"than {type(reference).__name__} (an activation or a layer differs)")


@arguments
def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters. Introduced in notebook 02."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class RecurrentAutoencoder(nn.Module):
    """GRU autoencoder for sequences ``(N, T, C)``; code ``z`` is ``(N, latent_dim)``.

    A bidirectional GRU reads the sequence; its final states (forward and backward) map to ``z``.
    The decoder, a bidirectional GRU, is unrolled over the ``T`` steps with ``z`` as the input at
    every step, and a linear layer maps each state to ``C`` channels. Introduced in notebook 04.
    """

    def __init__(self, channels: int = 1, latent_dim: int = 8, hidden_size: int = 48) -> None:
        super().__init__()
        self.channels = positive_int(channels, "channels")
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        hidden_size = positive_int(hidden_size, "hidden_size")
        self.encoder_rnn = nn.GRU(channels, hidden_size, batch_first=True, bidirectional=True)
        self.to_code = nn.Linear(2 * hidden_size, latent_dim)        # [h_fwd, h_bwd] => z
        self.decoder_rnn = nn.GRU(latent_dim, hidden_size, batch_first=True, bidirectional=True)
        self.to_output = nn.Linear(2 * hidden_size, channels)        # state at t => x_hat_t

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, T, C)`` => ``(N, latent_dim)``."""
        x = sequences(x, self.channels)
        _, h = self.encoder_rnn(x)                                   # h: (2, N, hidden)
        return self.to_code(torch.cat([h[0], h[1]], dim=1))

    def decode(self, z: torch.Tensor, steps: int) -> torch.Tensor:
        """``(N, latent_dim)`` => ``(N, steps, C)``."""
        z = _check_codes(z, self.latent_dim)
        steps = positive_int(steps, "steps")
        states, _ = self.decoder_rnn(z.unsqueeze(1).expand(-1, steps, -1))  # (N, T, 2*hidden)
        return self.to_output(states)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = sequences(x, self.channels)
        return self.decode(self.encode(x), x.shape[1])


class DenoisingAutoencoder(nn.Module):
    """Fully convolutional denoiser ``(N, 1, 28, 28) -> (N, 1, 28, 28)``, trained on corrupted inputs.

    Encoder: two stride-2 3x3 convolutions down to ``c2`` channels at 7x7; decoder: two transposed
    convolutions back to 28x28 and a sigmoid. There is no narrow bottleneck: the code
    (``c2 x 7 x 7``) is larger than the image, and the noise, not the size, stops it from learning
    the identity (Vincent et al. 2010). Introduced in notebook 05.
    """

    def __init__(self, channels: tuple[int, int] = (24, 48)) -> None:
        super().__init__()
        if len(channels) != 2:
            raise ValueError(f"channels must be two numbers (c1, c2), got {channels!r}")
        c1, c2 = (positive_int(c, "channels") for c in channels)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),     # 1x28x28 => c1x14x14
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),    # => c2x7x7
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # => c1x14x14
            nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),  # => 1x28x28
        )
        _channels_last_on_cpu(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.decoder(self.encoder(x))


class VAE(nn.Module):
    """Variational autoencoder on ``(N, 1, 28, 28)`` images (Kingma & Welling 2013).

    ``encode(x)`` gives ``mu`` and ``logvar`` ``(N, latent_dim)`` of q(z|x); ``decode(z)`` gives
    Bernoulli means ``x_hat`` in (0, 1); ``forward(x)`` samples ``z`` with the reparameterisation
    trick in training mode (uses ``mu`` in evaluation mode) and returns ``(x_hat, mu, logvar)``.
    Introduced in notebook 06.
    """

    def __init__(self, latent_dim: int = 16, hidden: int = 512) -> None:
        super().__init__()
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        hidden = positive_int(hidden, "hidden")
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())  # => hidden
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_images(x, self)
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(_check_codes(z, self.latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar) if self.training else mu
        return self.decode(z), mu, logvar
