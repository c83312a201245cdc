"""Auto-checked exercises: each check says what is wrong and gives a hint, never a bare assert.

One module per notebook and assignment, named like it (``nb05_denoising`` holds notebook 05's
checks, ``a4_new_physics_jets`` assignment 4's), each speaking that notebook's language, beside
the feedback they share (``_feedback``: :class:`ExerciseFeedback` and its helpers). Notebooks call
them from here: ``from course_utils import checks``, then ``checks.check_psnr(psnr_db)``.
"""

from ._feedback import ExerciseFeedback
from .a1_conv_autoencoder import check_conv_autoencoder, check_reconstruction_target
from .a2_beta_vae import check_beta_tradeoff, check_beta_vae_loss, check_reconstruction_and_kl
from .a3_anomaly_sneakers import check_auroc_value, check_one_class_split, check_threshold_value
from .a4_new_physics_jets import (
    check_blackbox_answer,
    check_blackbox_truth,
    check_event_score,
    check_improvement_value,
    check_local_significance,
    check_working_point,
)
from .nb01_pca import check_pca_reconstruct, check_reparameterize_weights, check_variance_fraction
from .nb02_stacked import check_bce, check_encode, check_mlp_parameters
from .nb03_conv import check_conv_output_size, check_conv_parameters, check_upsample
from .nb04_recurrent import check_gru_parameters, check_shift_right, check_to_ntc
from .nb05_denoising import check_best_k, check_psnr, check_training_pair
from .nb06_vae import check_discrete_kl, check_gaussian_kl, check_reparameterize
from .nb07_anomaly import check_auroc_by_ranking, check_per_image_error, check_threshold_for_fpr
from .nb08_jets import check_improvement_at, check_jet_mass, check_pixelate, check_tau_n

__all__ = [
    "ExerciseFeedback",
    # notebooks 01-08
    "check_variance_fraction", "check_pca_reconstruct", "check_reparameterize_weights",
    "check_mlp_parameters", "check_bce", "check_encode",
    "check_conv_output_size", "check_conv_parameters", "check_upsample",
    "check_to_ntc", "check_shift_right", "check_gru_parameters",
    "check_psnr", "check_training_pair", "check_best_k",
    "check_discrete_kl", "check_gaussian_kl", "check_reparameterize",
    "check_per_image_error", "check_threshold_for_fpr", "check_auroc_by_ranking",
    "check_jet_mass", "check_pixelate", "check_improvement_at", "check_tau_n",
    # assignments a1-a4
    "check_conv_autoencoder", "check_reconstruction_target",
    "check_beta_vae_loss", "check_reconstruction_and_kl", "check_beta_tradeoff",
    "check_one_class_split", "check_threshold_value", "check_auroc_value",
    "check_event_score", "check_working_point", "check_improvement_value",
    "check_local_significance", "check_blackbox_answer", "check_blackbox_truth",
]
